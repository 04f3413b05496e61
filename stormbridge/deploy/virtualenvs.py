"""Create or update a topology's virtualenv on every worker host over SSH, from uploaded wheels.

For each host, in parallel (``pool_size`` at a time), with one Fabric connection per host:

1. read ``<venv>/.stormbridge-deploy`` (the hash of what was installed there); when it equals
   the hash of the wheels about to be installed and ``overwrite`` is off, the host is
   ``unchanged`` and nothing else happens (no upload, no pip);
2. else upload the wheels once as one tar (SFTP) into a ``mktemp -d`` folder;
3. ``rm -rf`` the old virtualenv and create it afresh with the host's interpreter
   (``python3 -m venv --without-pip``: no ``ensurepip`` needed there);
4. install every wheel with the uploaded pip wheel: ``pip install --no-index --find-links``,
   so the workers need no package index;
5. write the hash file last (a failed install is retried by the next deploy), remove the
   temporary folder.

Every path and name that reaches a remote shell is :func:`shlex.quote`-d; the virtualenv's
name must be one path segment. A host that fails is reported with the step and its stderr
(:class:`HostResult`); :meth:`DeployReport.raise_for_failures` turns failures into one
:class:`DeployError` so that the caller submits nothing.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol

from ..errors import ConfigError, DeployError, StormBridgeError
from ..project.config import EnvConfig
from .ssh import RemoteHost, SSHSettings

__all__ = [
    "HASH_FILE",
    "DeployReport",
    "HostResult",
    "Progress",
    "VenvTarget",
    "Wheels",
    "deploy_virtualenvs",
    "venv_hash",
]

#: The hash of the installed wheels, inside the virtualenv.
HASH_FILE = ".stormbridge-deploy"
#: Bumped when the remote layout or steps change: every host rebuilds once.
_FORMAT = 1
DEFAULT_POOL_SIZE = 10

#: ``progress(host, message)``: one line of news about one host (called from worker threads).
Progress = Callable[[str, str], None]


class Wheels(Protocol):
    """What is installed: a set of wheel files and pip's own wheel (``build.wheels.Wheelhouse``)."""

    @property
    def wheels(self) -> tuple[Path, ...]: ...

    @property
    def pip_wheel(self) -> Path: ...

    @property
    def digest(self) -> str: ...


@dataclass(frozen=True)
class VenvTarget:
    """Where the virtualenv goes on each host and how it is created."""

    root: str
    name: str
    #: The host's interpreter that creates it (``-p``/``--python`` in ``virtualenv_flags``).
    interpreter: str = "python3"
    #: Further ``virtualenv_flags``, passed to ``python -m venv`` (e.g. --system-site-packages).
    flags: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return f"{self.root.rstrip('/')}/{self.name}"

    @property
    def python(self) -> str:
        return f"{self.path}/bin/python"

    @classmethod
    def from_env(cls, env: EnvConfig, topology_name: str) -> VenvTarget:
        """``<virtualenv_root>/<virtualenv_name or topology_name>``, validated."""
        where = f"envs.{env.name}"
        root = env.virtualenv_root
        if not root:
            raise ConfigError(
                f"env {env.name!r} installs virtualenvs but sets no virtualenv_root: set "
                f"{where}.virtualenv_root (e.g. /data/virtualenvs) in config.json, or set "
                "use_virtualenv to false"
            )
        if not PurePosixPath(root).is_absolute() or root.strip("/") == "" or _bad_chars(root):
            raise ConfigError(
                f"{where}.virtualenv_root {root!r} must be an absolute path on the worker "
                "hosts other than / (e.g. /data/virtualenvs)"
            )
        name = env.virtualenv_name or topology_name
        if name in ("", ".", "..") or "/" in name or _bad_chars(name):
            raise ConfigError(
                f"virtualenv name {name!r} must be one path segment (no '/', not '.' or '..', "
                f"no control characters): fix {where}.virtualenv_name or the topology name"
            )
        interpreter, flags = _split_flags(env.virtualenv_flags or "", where)
        return cls(root=root, name=name, interpreter=interpreter, flags=flags)


def _bad_chars(text: str) -> bool:
    return any(ord(c) < 32 or c == "\x7f" for c in text)


def _split_flags(text: str, where: str) -> tuple[str, tuple[str, ...]]:
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise ConfigError(f"{where}.virtualenv_flags {text!r} cannot be split: {exc}") from exc
    interpreter = "python3"
    rest: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("-p", "--python"):
            if i + 1 >= len(words):
                raise ConfigError(f"{where}.virtualenv_flags: {word} needs an interpreter")
            interpreter = words[i + 1]
            i += 2
            continue
        if word.startswith("--python="):
            interpreter = word.split("=", 1)[1]
        elif word.startswith("-p") and len(word) > 2:
            interpreter = word[2:]
        else:
            rest.append(word)
        i += 1
    return interpreter, tuple(rest)


def venv_hash(wheels: Wheels, target: VenvTarget) -> str:
    """What a host's hash file must say for its virtualenv to count as up to date."""
    parts = [_FORMAT, wheels.digest, wheels.pip_wheel.name, target.interpreter, list(target.flags)]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


@dataclass(frozen=True)
class HostResult:
    host: str
    #: ``created``, ``rebuilt`` (it existed, with other wheels or --overwrite_virtualenv),
    #: ``unchanged`` (hash equal: skipped) or ``failed``.
    action: str
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.action != "failed"


@dataclass(frozen=True)
class DeployReport:
    target: VenvTarget
    results: tuple[HostResult, ...]
    seconds: float
    wheel_count: int = 0
    upload_bytes: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def failed(self) -> tuple[HostResult, ...]:
        return tuple(r for r in self.results if not r.ok)

    def raise_for_failures(self) -> None:
        """One :class:`DeployError` naming every failed host with its error."""
        if not self.failed:
            return
        lines = "\n  ".join(f"{r.error}" for r in self.failed)
        raise DeployError(
            f"the virtualenv {self.target.path} could not be deployed to "
            f"{len(self.failed)} of {len(self.results)} worker host(s), so nothing was "
            f"submitted:\n  {lines}"
        )


def deploy_virtualenvs(
    hosts: Sequence[str],
    settings: SSHSettings,
    target: VenvTarget,
    wheels: Wheels,
    *,
    overwrite: bool = False,
    pool_size: int = DEFAULT_POOL_SIZE,
    progress: Progress | None = None,
) -> DeployReport:
    """Put ``target`` built from ``wheels`` on every host of ``hosts``; never raises for one
    host's failure (see :meth:`DeployReport.raise_for_failures`)."""
    if not hosts:
        raise DeployError(
            "no worker hosts to deploy the virtualenv to: set the env's workers in config.json "
            "(or start supervisors: when workers is empty, Nimbus's supervisors are used)"
        )
    if pool_size < 1:
        raise ConfigError(f"--pool_size must be 1 or more, not {pool_size}")
    started = time.monotonic()
    report = progress or (lambda host, message: None)
    digest = venv_hash(wheels, target)
    files = [*wheels.wheels, wheels.pip_wheel]
    with tempfile.TemporaryDirectory(prefix="stormbridge-deploy-") as tmp:
        bundle = Path(tmp) / "wheels.tar"
        with tarfile.open(bundle, "w") as tar:
            for path in files:
                tar.add(path, arcname=path.name, recursive=False)
        job = _HostJob(settings, target, wheels, bundle, digest, overwrite, report)
        unique = list(dict.fromkeys(hosts))
        with ThreadPoolExecutor(max_workers=min(pool_size, len(unique))) as pool:
            results = tuple(pool.map(job.run, unique))
        size = bundle.stat().st_size
    return DeployReport(
        target=target,
        results=results,
        seconds=time.monotonic() - started,
        wheel_count=len(files),
        upload_bytes=size,
    )


@dataclass(frozen=True)
class _HostJob:
    settings: SSHSettings
    target: VenvTarget
    wheels: Wheels
    bundle: Path
    digest: str
    overwrite: bool
    report: Progress

    def run(self, host: str) -> HostResult:
        started = time.monotonic()
        try:
            with RemoteHost(host, self.settings) as remote:
                action = self._deploy(remote)
        except StormBridgeError as exc:
            self.report(host, f"FAILED: {exc}")
            return HostResult(host, "failed", time.monotonic() - started, str(exc))
        except Exception as exc:  # noqa: BLE001 - one host's surprise must not hide the others
            message = f"{host}: unexpected {type(exc).__name__}: {exc}"
            self.report(host, f"FAILED: {message}")
            return HostResult(host, "failed", time.monotonic() - started, message)
        seconds = time.monotonic() - started
        if action == "unchanged":
            self.report(host, f"virtualenv unchanged (hash {self.digest[:12]}): skipped the build")
        else:
            self.report(host, f"virtualenv {action} in {seconds:.1f} s")
        return HostResult(host, action, seconds)

    def _deploy(self, remote: RemoteHost) -> str:
        q = shlex.quote
        t = self.target
        host = remote.host
        self.report(host, f"connecting as {self.settings.describe(host)}")
        hash_file = f"{t.path}/{HASH_FILE}"
        found = remote.run(
            f"if [ -x {q(t.python)} ]; then cat {q(hash_file)} 2>/dev/null || true; fi",
            step=f"reading {hash_file}",
            sudo=True,
            timeout=60,
        ).strip()
        if found == self.digest and not self.overwrite:
            return "unchanged"
        existed = bool(
            remote.run(
                f"if [ -e {q(t.path)} ]; then echo yes; fi", step="checking", sudo=True, timeout=60
            ).strip()
        )
        tmp = remote.run(
            "mktemp -d /tmp/stormbridge-venv-XXXXXXXX", step="making a temporary folder", timeout=60
        ).strip()
        if not tmp.startswith("/tmp/stormbridge-venv-") or _bad_chars(tmp) or "'" in tmp:
            raise DeployError(f"{host}: mktemp gave an unexpected path {tmp!r}")
        try:
            if self.settings.run_as:
                remote.run(f"chmod 755 {q(tmp)}", step="opening the temporary folder", timeout=60)
            size_mib = self.bundle.stat().st_size / 2**20
            self.report(
                host, f"uploading {len(self.wheels.wheels) + 1} wheels ({size_mib:.1f} MiB)"
            )
            remote.put(self.bundle, f"{tmp}/wheels.tar", step="uploading the wheels (sftp)")
            remote.run(
                f"tar -xf {q(tmp + '/wheels.tar')} -C {q(tmp)} && rm -f {q(tmp + '/wheels.tar')}",
                step="unpacking the wheels",
                timeout=120,
            )
            self.report(host, f"creating {t.path} with {t.interpreter}")
            flags = " ".join(q(f) for f in t.flags)
            remote.run(
                f"rm -rf -- {q(t.path)} && mkdir -p -- {q(t.root)} && "
                f"{q(t.interpreter)} -m venv --without-pip {flags} -- {q(t.path)}",
                step=f"creating the virtualenv {t.path}",
                sudo=True,
            )
            self.report(host, "installing the wheels (pip install --no-index)")
            pip = f"{tmp}/{self.wheels.pip_wheel.name}/pip"
            remote.run(
                f"{q(t.python)} {q(pip)} install --no-index --find-links {q(tmp)} "
                "--disable-pip-version-check --no-input --progress-bar off -q "
                f"{q(tmp)}/*.whl",
                step=f"installing the wheels into {t.path}",
                sudo=True,
            )
            remote.run(
                f"printf '%s\\n' {q(self.digest)} > {q(hash_file)}",
                step=f"writing {hash_file}",
                sudo=True,
                timeout=60,
            )
        finally:
            try:
                remote.run(f"rm -rf -- {q(tmp)}", step="removing the temporary folder", timeout=60)
            except DeployError:
                pass  # the deploy's own error (if any) says more; /tmp is cleaned anyway
        return "rebuilt" if existed else "created"
