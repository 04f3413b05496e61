"""The interpreter a Python component runs in, settled on the worker before anything else.

The boot script (:mod:`stormbridge.dsl.boot`) loads this file from ``resources/_stormbridge/``
by path and calls :func:`prepare` first thing. Standard library only, no stormbridge import
(nothing of ours is importable yet), and written for any Python 3 a worker host may have.

What :func:`prepare` does, in order:

* **shipped wheels** (``"deploy": "ship"``): make sure the virtualenv
  ``<root>/<hash>`` exists on this host, building it at first start from the wheels the
  topology carries (``python3 -m venv --without-pip``, then the shipped pip wheel run as
  ``python pip.whl/pip install --no-index``), one build per host and hash: concurrent tasks
  wait on ``fcntl.flock``; a finished venv has a marker file and is reused by later starts and
  by every topology with the same wheels. Then re-execute the boot script in it.
* **a configured virtualenv** (``use_virtualenv``): re-execute in it; when its interpreter is
  missing, fail (no silent fall-back to the system ``python3``).
* **fast codec**: put a carried ``orjson`` (``_stormbridge/site/<tag>/``) at the end of
  ``sys.path`` when this interpreter can load it (extension suffix and glibc version).

A failure is written to stderr (Storm logs it) and, for the JSON serializer, reported through
the multilang protocol (handshake, then an ``error`` command: the UI shows it as the
component's last error); then the process exits with status 1.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

__all__ = ["BootFailure", "default_venv_root", "ensure_shipped_venv", "fail", "prepare"]

#: Marker file written into a virtualenv once its build finished.
COMPLETE_MARKER = ".stormbridge-complete"
#: Overrides the folder that holds shipped virtualenvs (``topology.environment`` can set it).
ROOT_ENV_VAR = "STORMBRIDGE_VENV_ROOT"
_BUILD_TIMEOUT = 600.0
_LOCK_TIMEOUT = 900.0
_MAX_HANDSHAKE = 16 * 1024 * 1024


class BootFailure(Exception):
    """Why the component cannot start; the message says what to do."""


def _say(text: str) -> None:
    sys.stderr.write(f"stormbridge: {text}\n")
    sys.stderr.flush()


def default_venv_root(resources: str) -> str:
    """``$STORMBRIDGE_VENV_ROOT``, else ``<storm.local.dir>/stormbridge-venvs`` (Storm runs
    components in ``<storm.local.dir>/supervisor/stormdist/<id>/resources``), else
    ``<tmp>/stormbridge-venvs``."""
    override = os.environ.get(ROOT_ENV_VAR, "").strip()
    if override:
        return override
    real = os.path.realpath(resources)
    parts = real.split(os.sep)
    if len(parts) >= 5 and parts[-1] == "resources" and parts[-4:-2] == ["supervisor", "stormdist"]:
        return os.sep.join([*parts[:-4], "stormbridge-venvs"])
    return os.path.join(tempfile.gettempdir(), "stormbridge-venvs")


@contextlib.contextmanager
def _locked(path: str, timeout: float) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited:
                    _say(f"waiting on {path}: another task is building this virtualenv")
                    waited = True
                if time.monotonic() > deadline:
                    raise BootFailure(
                        f"waited {timeout:.0f} s for the lock {path} held by another task "
                        "building the same virtualenv: look for a stuck pip on this host "
                        "and remove the half-built virtualenv next to the lock"
                    ) from None
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _run(argv: list[str], what: str, timeout: float) -> None:
    env = dict(os.environ)
    env.update({"PIP_NO_INPUT": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    env.pop("PYTHONPATH", None)
    env.pop("PIP_INDEX_URL", None)
    try:
        done = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BootFailure(f"{what} took more than {timeout:.0f} s and was stopped") from None
    except OSError as exc:
        raise BootFailure(f"{what} could not start: {exc}") from None
    if done.returncode != 0:
        tail = done.stdout.decode("utf-8", "replace").strip().splitlines()[-15:]
        raise BootFailure(
            f"{what} failed (exit status {done.returncode}):\n    " + "\n    ".join(tail)
        )


def _complete(venv: str, python: str) -> bool:
    return os.path.isfile(os.path.join(venv, COMPLETE_MARKER)) and os.path.exists(python)


def ensure_shipped_venv(resources: str, ship: dict[str, Any]) -> str:
    """The interpreter of the virtualenv for ``ship`` (built now if this host has none yet).

    ``ship``: ``{"hash": ..., "wheels": "_stormbridge/wheels", "pip": "_stormbridge/pip/…whl",
    "root": "" or a folder}``, paths relative to ``resources``.
    """
    digest = str(ship["hash"])
    root = str(ship.get("root") or "") or default_venv_root(resources)
    venv = os.path.join(root, digest)
    python = os.path.join(venv, "bin", "python")
    if _complete(venv, python):
        return python
    wheels_dir = os.path.join(resources, str(ship["wheels"]))
    pip_wheel = os.path.join(resources, str(ship["pip"]))
    wheels = sorted(glob.glob(os.path.join(glob.escape(wheels_dir), "*.whl")))
    if not wheels or not os.path.isfile(pip_wheel):
        raise BootFailure(
            f"the topology was built to ship its wheels, but {wheels_dir} or {pip_wheel} is "
            "missing from resources/: rebuild and resubmit it with `sparse submit`"
        )
    try:
        os.makedirs(root, exist_ok=True)
    except OSError as exc:
        raise BootFailure(
            f"cannot create the virtualenv folder {root}: {exc.strerror or exc}; set "
            f"virtualenv_root in the env (or ${ROOT_ENV_VAR} on the workers) to a writable folder"
        ) from None
    with _locked(os.path.join(root, f".{digest}.lock"), _LOCK_TIMEOUT):
        if _complete(venv, python):  # another task built it while we waited
            _say(f"using the virtualenv {venv} another task just built")
            return python
        started = time.monotonic()
        _say(f"building the virtualenv {venv} from {len(wheels)} shipped wheels (first start)")
        if os.path.lexists(venv):  # an interrupted build: start over
            shutil.rmtree(venv, ignore_errors=True)
        _run(
            [sys.executable, "-m", "venv", "--without-pip", venv],
            f"`{sys.executable} -m venv --without-pip {venv}`",
            _BUILD_TIMEOUT,
        )
        pip_argv = [python, os.path.join(pip_wheel, "pip"), "install", "--no-index"]
        pip_argv += [
            "--no-cache-dir",
            "--no-compile",
            "--find-links",
            wheels_dir,
            "--quiet",
            *wheels,
        ]
        _run(
            pip_argv, f"installing the shipped wheels into {venv} (pip --no-index)", _BUILD_TIMEOUT
        )
        seconds = time.monotonic() - started
        with open(os.path.join(venv, COMPLETE_MARKER), "w") as fh:
            json.dump(
                {"hash": digest, "wheels": [os.path.basename(w) for w in wheels], "s": seconds},
                fh,
            )
        _say(f"built the virtualenv {venv} in {seconds:.1f} s")
    return python


def _running_in(python: str) -> bool:
    venv = os.path.dirname(os.path.dirname(os.path.abspath(python)))
    return os.path.realpath(sys.prefix) == os.path.realpath(venv)


def _glibc() -> tuple[int, ...] | None:
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (ValueError, OSError, AttributeError):
        return None
    name, _, version = text.partition(" ")
    if name != "glibc":
        return None
    try:
        return tuple(int(p) for p in version.split(".")[:2])
    except ValueError:
        return None


def site_matches(site: dict[str, Any]) -> bool:
    """Whether this interpreter can load the compiled modules of a carried ``site`` folder:
    ``{"ext": ".cpython-311-x86_64-linux-gnu.so", "glibc": [2, 17]}``."""
    if site.get("ext") not in importlib.machinery.EXTENSION_SUFFIXES:
        return False
    needed = site.get("glibc")
    if needed:
        have = _glibc()
        return have is not None and have >= tuple(needed)
    return True


def fail(message: str, serializer: str) -> None:
    """Say ``message`` on stderr and to Storm (JSON handshake + ``error``), then exit 1."""
    _say(message)
    if serializer == "json":
        with contextlib.suppress(Exception):
            _report_to_storm(message)
    sys.exit(1)


def _report_to_storm(message: str) -> None:
    stdin = sys.stdin.buffer
    data = b""
    while b"\nend\n" not in data:
        chunk = stdin.read1(65536) if hasattr(stdin, "read1") else stdin.read(65536)
        if not chunk or len(data) > _MAX_HANDSHAKE:
            return  # no Storm on the other end (run by hand): stderr said it all
        data += chunk
    handshake = json.loads(data.split(b"\nend\n", 1)[0])
    pid = os.getpid()
    pid_dir = handshake.get("pidDir")
    if isinstance(pid_dir, str) and pid_dir:
        with contextlib.suppress(OSError):
            open(os.path.join(pid_dir, str(pid)), "w").close()
    out = sys.stdout.buffer
    out.write(json.dumps({"pid": pid}).encode() + b"\nend\n")
    out.write(json.dumps({"command": "error", "msg": message}).encode() + b"\nend\n")
    out.flush()
    time.sleep(0.5)  # let the Java side read the error before it sees the pipe close


def prepare(
    script: str,
    *,
    serializer: str = "json",
    virtualenv_python: str = "",
    ship: dict[str, Any] | None = None,
    sites: list[dict[str, Any]] | None = None,
) -> None:
    """Settle the interpreter for the boot script ``script`` (may re-execute it or exit)."""
    script = os.path.abspath(script)
    resources = os.path.dirname(os.path.dirname(os.path.dirname(script)))
    target = ""
    try:
        if ship:
            target = ensure_shipped_venv(resources, ship)
        elif virtualenv_python:
            if not os.path.exists(virtualenv_python):
                raise BootFailure(
                    f"the virtualenv interpreter {virtualenv_python} (use_virtualenv in the env) "
                    f"does not exist on this worker host ({os.uname().nodename}): create the "
                    "virtualenv there (install_virtualenv / `sparse update_virtualenv`), use "
                    '"deploy": "ship" to carry the dependencies in the jar, or set '
                    "use_virtualenv to false"
                )
            target = virtualenv_python
    except BootFailure as exc:
        fail(str(exc), serializer)
    except OSError as exc:
        fail(f"preparing the interpreter failed: {exc}", serializer)
    if target and not _running_in(target):
        os.execv(target, [target, script])
    for site in sites or ():
        if site_matches(site):
            sys.path.append(os.path.join(resources, str(site["dir"])))
