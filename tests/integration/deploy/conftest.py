"""Real sshd "hosts" on loopback for deploy tests.

``ssh_hosts(n)`` starts ``n`` OpenSSH servers (``/usr/sbin/sshd``), one per loopback address
(127.0.0.11, 127.0.0.12, …) on one random high port, each with its own host key, key-only login
(a client key made for the session), ``StrictModes no``, ``UsePAM no``. Each runs in its own
mount namespace (``unshare --mount``) with a private tmpfs on ``/srv/stormbridge-test``, so
what a deploy writes there on one host is invisible to the others and to this machine, like
separate machines; :meth:`SSHHost.run` runs a command inside a host (``nsenter``). Everything
is stopped at the end of the test.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD = "/usr/sbin/sshd"
#: The folder each host has to itself (a tmpfs in its mount namespace).
HOST_ROOT = "/srv/stormbridge-test"
NO_PROXY = "PIP_RETRIES=0 PIP_TIMEOUT=2"


def _need_tools() -> None:
    missing = [t for t in (SSHD, "ssh-keygen", "unshare", "nsenter") if not shutil.which(t)]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (make system-deps installs openssh-server)")
    if os.geteuid() != 0:
        pytest.skip("needs root (mount namespaces for private host folders)")


@dataclass
class SSHHost:
    address: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside this host's mount namespace."""
        return subprocess.run(
            ["nsenter", "-t", str(self.pid), "-m", "--", *argv],
            capture_output=True, text=True, timeout=60, check=check,
        )  # fmt: skip

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""


@dataclass(frozen=True)
class SSHKeys:
    private: Path
    public: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "stormbridge-test", "-f", str(path)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip


@pytest.fixture(scope="session")
def ssh_keys(tmp_path_factory: pytest.TempPathFactory) -> SSHKeys:
    _need_tools()
    folder = tmp_path_factory.mktemp("ssh-client")
    _keygen(folder / "id_ed25519")
    return SSHKeys(folder / "id_ed25519", folder / "id_ed25519.pub")


def _wait_listening(host: SSHHost, deadline: float) -> None:
    while time.monotonic() < deadline:
        if host.proc.poll() is not None:
            raise RuntimeError(f"sshd on {host.address} exited: {host.log_text()}")
        try:
            with socket.create_connection((host.address, host.port), timeout=1) as sock:
                if sock.recv(4).startswith(b"SSH-"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"sshd on {host.address}:{host.port} did not listen: {host.log_text()}")


@pytest.fixture
def ssh_hosts(ssh_keys: SSHKeys, tmp_path: Path) -> Iterator[Callable[..., list[SSHHost]]]:
    started: list[SSHHost] = []
    Path("/run/sshd").mkdir(parents=True, exist_ok=True)

    def start(count: int, *, log_level: str = "INFO") -> list[SSHHost]:
        port = _free_port()
        hosts: list[SSHHost] = []
        for _ in range(count):
            address = f"127.0.0.{11 + len(started)}"
            folder = tmp_path / f"sshd-{address}"
            folder.mkdir()
            _keygen(folder / "host_key")
            config = folder / "sshd_config"
            config.write_text(
                "\n".join(
                    [
                        f"ListenAddress {address}", f"Port {port}", f"HostKey {folder}/host_key",
                        f"AuthorizedKeysFile {ssh_keys.public}", "PubkeyAuthentication yes",
                        "PasswordAuthentication no", "KbdInteractiveAuthentication no",
                        "PermitRootLogin prohibit-password", "UsePAM no", "StrictModes no",
                        "PidFile none", "Subsystem sftp internal-sftp", f"LogLevel {log_level}",
                        # no package index on these hosts: an install that asks one fails
                        f"SetEnv PIP_INDEX_URL=http://127.0.0.1:9/simple {NO_PROXY}", "",
                    ]
                )
            )  # fmt: skip
            log = folder / "sshd.log"
            script = (
                f"mkdir -p {HOST_ROOT} && mount -t tmpfs tmpfs {HOST_ROOT} && "
                f'exec {SSHD} -D -f "$0" -E "$1"'
            )
            proc = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                 str(config), str(log)],
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
            host = SSHHost(address, port, proc, log)
            started.append(host)
            hosts.append(host)
        for host in hosts:
            _wait_listening(host, time.monotonic() + 20)
        return hosts

    yield start
    for host in started:
        host.stop()
