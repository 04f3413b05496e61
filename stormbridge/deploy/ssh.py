"""SSH to worker hosts with Fabric 3: who logs in, running a command, uploading, tunnels.

:class:`SSHSettings` is the env's SSH identity (``user``, ``ssh_port``, ``ssh_password``,
``ssh_key``, ``sudo_user``); :class:`RemoteHost` is one Fabric connection with every call bounded
(connect and command timeouts) and every failure turned into a :class:`DeployError` that names the
host, the step and the remote stderr. Commands are strings for the remote shell: callers build them
from :func:`shlex.quote`-d parts only. With a ``sudo_user`` different from the login user, the
commands that touch virtualenvs run as that user (Fabric's ``sudo``, in a ``sh -c``).

:func:`forward_local` opens a tunnel (Fabric's ``forward_local``) on a free loopback port and
closes it on exit: ``use_ssh_for_nimbus`` uses it to reach Nimbus through the Nimbus host.
"""

from __future__ import annotations

import contextlib
import shlex
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, DeployError
from ..project.config import EnvConfig

if TYPE_CHECKING:
    from fabric import Connection

__all__ = ["DEFAULT_SSH_PORT", "RemoteHost", "SSHSettings", "forward_local", "free_local_port"]

DEFAULT_SSH_PORT = 22
#: Seconds to wait for the TCP connection and the SSH handshake.
DEFAULT_CONNECT_TIMEOUT = 15.0
#: Seconds any one remote command may take (a virtualenv install is the longest).
DEFAULT_COMMAND_TIMEOUT = 600.0
_STDERR_TAIL = 12


@dataclass(frozen=True)
class SSHSettings:
    """How to log in to the worker hosts and as whom to run commands there."""

    user: str | None = None
    port: int | None = None
    password: str | None = None
    key: str | None = None
    sudo_user: str | None = None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    command_timeout: float = DEFAULT_COMMAND_TIMEOUT

    @classmethod
    def from_env(cls, env: EnvConfig, *, sudo_user: str | None = None) -> SSHSettings:
        """The env's SSH identity; ``sudo_user`` (``--user``) replaces the env's ``sudo_user``."""
        if env.ssh_port is not None and not 0 < env.ssh_port < 65536:
            raise ConfigError(
                f"envs.{env.name}.ssh_port {env.ssh_port} is not a port number 1-65535"
            )
        key = env.ssh_key
        if key is not None:
            key = str(Path(key).expanduser())
            if not Path(key).is_file():
                raise ConfigError(
                    f"envs.{env.name}.ssh_key {env.ssh_key!r} is not a file: point it at the "
                    "private key for the worker hosts (`sparse cluster env` prints the one of a "
                    "local multi-host cluster), or remove it to use ~/.ssh/config and the agent"
                )
        return cls(
            user=env.user,
            port=env.ssh_port,
            password=env.ssh_password,
            key=key,
            sudo_user=sudo_user or env.sudo_user,
        )

    @property
    def run_as(self) -> str | None:
        """The user remote virtualenv commands run as (``sudo -u``), or None: the login user."""
        if self.sudo_user and self.sudo_user != self.user:
            return self.sudo_user
        return None

    def describe(self, host: str) -> str:
        who = f"{self.user}@" if self.user else ""
        return f"{who}{host}:{self.port or DEFAULT_SSH_PORT}"


class RemoteHost:
    """One SSH connection to ``host`` (opened on first use). Not thread-safe: one per thread."""

    def __init__(self, host: str, settings: SSHSettings) -> None:
        self.host = host
        self.settings = settings
        self._conn: Connection | None = None

    def __enter__(self) -> RemoteHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def connection(self) -> Connection:
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def _connect(self) -> Connection:
        try:
            from fabric import Config, Connection
        except ImportError as exc:
            raise DeployError(
                "deploying over SSH needs Fabric: pip install 'fabric>=3.2' (or set the env's "
                "use_virtualenv / install_virtualenv to false)"
            ) from exc
        s = self.settings
        connect_kwargs: dict[str, Any] = {
            "banner_timeout": s.connect_timeout,
            "auth_timeout": s.connect_timeout,
        }
        if s.key:
            connect_kwargs["key_filename"] = [s.key]
        if s.password:
            connect_kwargs["password"] = s.password
        overrides: dict[str, Any] = {"run": {"hide": True, "warn": True, "in_stream": False}}
        if s.password:
            overrides["sudo"] = {"password": s.password}
        conn = Connection(
            self.host,
            user=s.user,
            port=s.port or DEFAULT_SSH_PORT,
            connect_timeout=s.connect_timeout,
            connect_kwargs=connect_kwargs,
            config=Config(overrides=overrides),
        )
        try:
            conn.open()
        except Exception as exc:
            conn.close()
            raise DeployError(
                f"{self.host}: cannot log in over SSH as {s.describe(self.host)}: "
                f"{_describe(exc)}; check that sshd runs there and the env's user, ssh_port and "
                "ssh_key (or ~/.ssh/config)"
            ) from exc
        return conn

    def run(
        self, command: str, *, step: str, sudo: bool = False, timeout: float | None = None
    ) -> str:
        """Run ``command`` (already quoted) in the remote shell and return its stdout.

        ``sudo``: as :attr:`SSHSettings.run_as` when that is set. A non-zero exit, a timeout or a
        lost connection raises :class:`DeployError` naming the host, ``step`` and the stderr.
        """
        conn = self.connection
        limit = self.settings.command_timeout if timeout is None else timeout
        run_as = self.settings.run_as if sudo else None
        try:
            if run_as:
                result = conn.sudo(
                    f"sh -c {shlex.quote(command)}",
                    user=run_as,
                    hide=True,
                    warn=True,
                    in_stream=False,
                    timeout=limit,
                )
            else:
                result = conn.run(command, hide=True, warn=True, in_stream=False, timeout=limit)
        except Exception as exc:
            raise DeployError(f"{self.host}: {step} failed: {_describe(exc)}") from exc
        if result.exited != 0:
            raise DeployError(
                f"{self.host}: {step} failed (exit {result.exited}): "
                f"{_tail(result.stderr or result.stdout) or '(no output)'}"
            )
        return str(result.stdout)

    def stream(
        self, command: str, on_line: Callable[[str], None], *, step: str, sudo: bool = False
    ) -> int:
        """Run ``command`` with no time limit, handing each line of its stdout and stderr to
        ``on_line`` as it arrives (``tail -F``); returns the exit code."""
        conn = self.connection
        sink = _LineSink(on_line)
        run_as = self.settings.run_as if sudo else None
        try:
            if run_as:
                result = conn.sudo(
                    f"sh -c {shlex.quote(command)}", user=run_as, warn=True, in_stream=False,
                    out_stream=sink, err_stream=sink, hide=False,
                )  # fmt: skip
            else:
                result = conn.run(
                    command, warn=True, in_stream=False, out_stream=sink, err_stream=sink,
                    hide=False,
                )  # fmt: skip
        except Exception as exc:
            raise DeployError(f"{self.host}: {step} failed: {_describe(exc)}") from exc
        finally:
            sink.close()
        return int(result.exited)

    def put(self, local: Path, remote: str, *, step: str) -> None:
        """Upload ``local`` to the remote path ``remote`` (SFTP)."""
        try:
            self.connection.put(str(local), remote)
        except DeployError:
            raise
        except Exception as exc:
            raise DeployError(f"{self.host}: {step} failed: {_describe(exc)}") from exc

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None


class _LineSink:
    """A writable stream that hands on whole lines."""

    def __init__(self, on_line: Callable[[str], None]) -> None:
        self._on_line = on_line
        self._buffer = ""
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self._buffer += text
            *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            self._on_line(line)
        return len(text)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        with self._lock:
            rest, self._buffer = self._buffer, ""
        if rest:
            self._on_line(rest)


def free_local_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def forward_local(
    host: str, settings: SSHSettings, remote_host: str, remote_port: int
) -> Iterator[int]:
    """Tunnel ``127.0.0.1:<port>`` here to ``remote_host:remote_port`` as seen from ``host``
    (over SSH to ``host``); yields the local port and closes the tunnel on exit."""
    remote = RemoteHost(host, settings)
    try:
        conn = remote.connection
        port = free_local_port()
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(
                    conn.forward_local(
                        port,
                        remote_port=remote_port,
                        remote_host=remote_host,
                        local_host="127.0.0.1",
                    )
                )
            except Exception as exc:
                raise DeployError(
                    f"{host}: cannot open the SSH tunnel 127.0.0.1:{port} -> "
                    f"{remote_host}:{remote_port}: {_describe(exc)}"
                ) from exc
            _wait_listening(host, port, settings.connect_timeout)
            yield port
    finally:
        remote.close()


def _wait_listening(host: str, port: int, timeout: float) -> None:
    """Fabric's tunnel binds its local port in a thread of its own: wait until it accepts."""
    end = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
            return
        except OSError as exc:
            if time.monotonic() >= end:
                raise DeployError(
                    f"{host}: the SSH tunnel's local end 127.0.0.1:{port} did not open within "
                    f"{timeout:g} s: {exc}"
                ) from exc
            time.sleep(0.05)


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n    ".join(lines[-_STDERR_TAIL:])


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    result = getattr(exc, "result", None)  # invoke's CommandTimedOut / UnexpectedExit
    stderr = str(getattr(result, "stderr", "") or "") if result is not None else ""
    if stderr:
        text = f"{text} {_tail(stderr)}".strip()
    name = type(exc).__name__
    return f"{name}: {text}" if text else name
