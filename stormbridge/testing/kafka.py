"""A real Kafka broker for tests and examples: Apache Kafka from Maven Central, KRaft mode.

:func:`broker_classpath` resolves ``org.apache.kafka:kafka_2.13`` (:data:`BROKER_VERSION`)
and an SLF4J binding with Maven (cached under ``<cache>/kafka-broker/``; ``make test`` fetches
them ahead with :func:`fetch_kafka_jars`). :class:`KafkaBroker` runs one node that is both
broker and controller, bound to 127.0.0.1 on free ports, with its data and log in a folder of
the caller's::

    with KafkaBroker.start(tmp_path / "kafka") as broker:
        producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers)

``start`` formats the storage, starts ``java -cp … kafka.Kafka server.properties`` in its
own process group, and returns once the node logged that it started and its port accepts
(else it stops it and raises :class:`~stormbridge.errors.ClusterError` with the log's tail);
``stop`` sends SIGTERM, then SIGKILL after ``grace`` seconds. ``log_tail()`` is for a
failing test's report.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from ..build.jvmdeps import MavenDependency, resolve_maven_jars
from ..errors import ClusterError
from ..storm.home import default_cache_root

__all__ = ["BROKER_VERSION", "KafkaBroker", "broker_classpath", "fetch_kafka_jars", "free_port"]

#: The Kafka release the broker runs (kafka_2.13, the Scala 2.13 build; Java 17).
BROKER_VERSION = "4.1.0"
#: SLF4J 1.7 binding for the broker's log (Kafka 4.1 logs through slf4j-api 1.7.36).
_LOG_BINDING = MavenDependency("org.slf4j", "slf4j-simple", "1.7.36")
#: What the node logs once it serves clients.
_STARTED = "Kafka Server started"
_JVM_OPTIONS = ("-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-Djava.awt.headless=true")


def broker_classpath(
    cache_root: Path | None = None, *, mvn: str = "mvn", timeout: float = 900.0
) -> list[Path]:
    """The jars of the broker (Maven, cached); raises :class:`~stormbridge.errors.JarError`
    when Maven is missing or cannot resolve them."""
    return resolve_maven_jars(
        [MavenDependency("org.apache.kafka", "kafka_2.13", BROKER_VERSION), _LOG_BINDING],
        storm_version=None,
        cache_dir=(cache_root or default_cache_root()) / "kafka-broker",
        mvn=mvn,
        timeout=timeout,
        what="the Kafka broker's jars",
    )


def fetch_kafka_jars(cache_root: Path | None = None) -> list[Path]:
    """Resolve ahead (``make kafka-jars``) the broker's jars and those a topology with a Kafka
    spout carries, so that tests do not download them; all of them."""
    from ..build.kafka import resolve_kafka_jars
    from ..storm.home import storm_version

    root = cache_root or default_cache_root()
    spout = resolve_kafka_jars(storm_version(), cache_dir=root / "jvm-deps")
    return [*broker_classpath(root), *spout]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    candidate = Path(home) / "bin" / "java" if home else None
    if candidate is not None and candidate.is_file():
        return str(candidate)
    found = shutil.which("java")
    if found is None:
        raise ClusterError(
            "the Kafka broker needs Java 17 (`java` on PATH or in $JAVA_HOME); "
            "install it with `make system-deps`"
        )
    return found


def _server_properties(data: Path, port: int, controller_port: int) -> str:
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data / "data"),
        "num.partitions": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def _cluster_id() -> str:
    """A new KRaft cluster id: 16 random bytes, base64url without padding (as Kafka's)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def _tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class KafkaBroker:
    """One running KRaft node (broker + controller) on 127.0.0.1; see the module docstring."""

    port: int
    controller_port: int
    directory: Path
    process: subprocess.Popen[bytes]
    started_secs: float = 0.0
    classpath: Sequence[Path] = field(default=(), repr=False)

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.directory / "broker.log"

    @classmethod
    def start(
        cls,
        directory: Path,
        *,
        port: int | None = None,
        timeout: float = 120.0,
        classpath: Sequence[Path] | None = None,
    ) -> KafkaBroker:
        """Format ``directory`` and start a node in it (free ports unless ``port`` is given);
        returns once it serves clients, raises :class:`ClusterError` otherwise."""
        jars = list(classpath) if classpath is not None else broker_classpath()
        java = _java()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        port = port or free_port()
        controller_port = free_port()
        properties = directory / "server.properties"
        properties.write_text(_server_properties(directory, port, controller_port))
        cp = ":".join(str(jar) for jar in jars)
        log = directory / "broker.log"
        began = time.monotonic()
        with log.open("ab") as out:
            formatted = subprocess.run(
                [java, *_JVM_OPTIONS, "-cp", cp, "kafka.tools.StorageTool", "format",
                 "-t", _cluster_id(), "-c", str(properties), "--ignore-formatted"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                timeout=timeout, check=False,
            )  # fmt: skip
            if formatted.returncode != 0:
                raise ClusterError(
                    f"formatting the Kafka broker's storage in {directory} failed "
                    f"(exit {formatted.returncode}):\n{_tail(log, 30)}"
                )
            process = subprocess.Popen(
                [java, *_JVM_OPTIONS, "-cp", cp, "kafka.Kafka", str(properties)],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                cwd=directory, start_new_session=True,
            )  # fmt: skip
        broker = cls(port, controller_port, directory, process, classpath=jars)
        try:
            broker._wait_ready(began + timeout)
        except BaseException:
            broker.stop()
            raise
        broker.started_secs = time.monotonic() - began
        return broker

    def _wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                raise ClusterError(
                    f"the Kafka broker exited with code {code} while starting:\n{self.log_tail()}"
                )
            if _STARTED in _tail(self.log_file, 400) and self._accepts():
                return
            time.sleep(0.25)
        raise ClusterError(
            f"the Kafka broker did not start within the deadline on {self.bootstrap_servers}:\n"
            f"{self.log_tail()}"
        )

    def _accepts(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0):
                return True
        except OSError:
            return False

    def log_tail(self, lines: int = 60) -> str:
        """The last ``lines`` of the broker's log."""
        return f"===== {self.log_file} (last {lines} lines) =====\n{_tail(self.log_file, lines)}"

    def stop(self, grace: float = 30.0) -> None:
        """SIGTERM the broker's process group; SIGKILL what is left after ``grace`` seconds."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=grace)
        except ProcessLookupError:
            self.process.wait(timeout=grace)

    def __enter__(self) -> KafkaBroker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
