"""Wheels a topology carries to its workers (``"deploy": "ship"``), and the carried fast codec.

With ``"deploy": "ship"`` the env's ``virtualenvs/<name>.txt`` is turned into wheels on the
submitting machine, once: ``pip wheel -r`` (packages from the index, sdists built here) into
``<cache>/wheels/<key>/``, where the key hashes the requirements text, this interpreter's
tags and, when the requirements name ``stormbridge``, the bytes of the stormbridge wheel. No
index serves stormbridge, so that wheel is built from the installed package
(:func:`build_stormbridge_wheel`). ``orjson`` is added when the requirements do not name it.

The jar then carries the wheels under ``resources/_stormbridge/wheels/`` and pip's own wheel
under ``resources/_stormbridge/pip/``; the boot script builds the virtualenv on each worker
host from them, offline (:mod:`stormbridge.runtime.workerenv`). The virtualenv's name on the
workers is :attr:`Wheelhouse.digest`, a hash of the wheels' bytes: topologies with the same
wheels share one virtualenv per host.

Without a virtualenv, :func:`orjson_site` describes the installed ``orjson`` unpacked, which
the jar carries under ``resources/_stormbridge/site/<tag>/`` and the boot script puts on
``sys.path`` only where the worker's interpreter can load it.
"""

from __future__ import annotations

import base64
import csv
import ensurepip
import hashlib
import importlib.machinery
import importlib.metadata
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import JarError

__all__ = [
    "PIP_DIR",
    "SITE_DIR",
    "WHEELS_DIR",
    "SitePackage",
    "Wheelhouse",
    "build_stormbridge_wheel",
    "build_wheelhouse",
    "orjson_site",
    "requirements_file",
]

#: Folders under ``resources/`` for the shipped wheels, pip's wheel and carried packages.
WHEELS_DIR = "_stormbridge/wheels"
PIP_DIR = "_stormbridge/pip"
SITE_DIR = "_stormbridge/site"

_STORMBRIDGE_PACKAGES = ("stormbridge", "streamparse", "pystorm")
_NAME_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_PIP_TIMEOUT = 900.0


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Wheelhouse:
    """The wheels of one requirements file, ready to ship."""

    requirements: Path
    directory: Path
    wheels: tuple[Path, ...]
    pip_wheel: Path
    #: Names the virtualenv on the workers: a hash of the wheels' names and bytes.
    digest: str
    #: True when the wheels came from the cache (no pip run).
    cached: bool
    seconds: float

    @property
    def size(self) -> int:
        return sum(w.stat().st_size for w in (*self.wheels, self.pip_wheel))

    def resources(self) -> list[tuple[str, Path]]:
        """``(path under resources/, file)`` for each shipped file."""
        out = [(f"{WHEELS_DIR}/{w.name}", w) for w in self.wheels]
        out.append((f"{PIP_DIR}/{self.pip_wheel.name}", self.pip_wheel))
        return out

    def boot_ship(self, root: str | None = None) -> dict[str, str]:
        """What the boot script needs (see :func:`stormbridge.runtime.workerenv.prepare`)."""
        return {
            "hash": self.digest,
            "wheels": WHEELS_DIR,
            "pip": f"{PIP_DIR}/{self.pip_wheel.name}",
            "root": root or "",
        }


def requirements_file(virtualenvs_dir: Path | None, name: str) -> Path:
    """``<virtualenv_specs>/<name>.txt``, or a :class:`JarError` saying how to add it."""
    if virtualenvs_dir is None:
        raise JarError(
            f'"deploy": "ship" needs the requirements of virtualenv {name!r}: add '
            '"virtualenv_specs": "virtualenvs/" to config.json and list the packages in '
            f"virtualenvs/{name}.txt"
        )
    path = virtualenvs_dir / f"{name}.txt"
    if not path.is_file():
        raise JarError(
            f'"deploy": "ship" needs {path} (the packages the workers install, one per '
            "line, as for pip install -r): create it, or set the env's virtualenv_name to the "
            "name of an existing file there"
        )
    return path


# --------------------------------------------------------------------------- stormbridge wheel


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _installed_files() -> list[tuple[str, Path]]:
    files: list[tuple[str, Path]] = []
    for package in _STORMBRIDGE_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            if package == "stormbridge":
                raise JarError("stormbridge is not importable here: pip install stormbridge")
            continue
        base = Path(spec.origin).parent
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(base)
            if path.is_file() and "__pycache__" not in rel.parts and path.suffix != ".pyc":
                files.append((f"{package}/{rel.as_posix()}", path))
    return files


def build_stormbridge_wheel(dest: Path) -> Path:
    """Write ``stormbridge-<version>-py3-none-any.whl`` into ``dest`` from the installed
    packages (``stormbridge``, ``streamparse``, ``pystorm``) and their metadata; the bytes
    depend only on the installed files."""
    try:
        dist = importlib.metadata.distribution("stormbridge")
    except importlib.metadata.PackageNotFoundError:
        raise JarError(
            "requirements name stormbridge, but it is not installed here as a distribution: "
            "pip install stormbridge (or pip install -e . in its checkout)"
        ) from None
    version = dist.version
    info = f"stormbridge-{version}.dist-info"
    metadata = [f"Metadata-Version: 2.1\nName: stormbridge\nVersion: {version}\n"]
    metadata += [f"Requires-Dist: {req}\n" for req in dist.requires or ()]
    meta_files = {
        f"{info}/METADATA": "".join(metadata).encode(),
        f"{info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: stormbridge\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
        f"{info}/entry_points.txt": (dist.read_text("entry_points.txt") or "").encode(),
    }
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / f"stormbridge-{version}-py3-none-any.whl"
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:

        def put(name: str, data: bytes) -> None:
            entry = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            entry.external_attr = 0o100644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(entry, data)
            writer.writerow([name, _record_hash(data), len(data)])

        for name, path in _installed_files():
            put(name, path.read_bytes())
        for name, data in meta_files.items():
            put(name, data)
        writer.writerow([f"{info}/RECORD", "", ""])
        entry = zipfile.ZipInfo(f"{info}/RECORD", date_time=_ZIP_DATE)
        entry.external_attr = 0o100644 << 16
        zf.writestr(entry, record.getvalue().encode())
    os.replace(tmp, out)
    return out


# --------------------------------------------------------------------------- the wheelhouse


def _pip_wheel_file(cache: Path) -> Path:
    """pip's own wheel: the one this Python bundles for ensurepip, else downloaded once."""
    bundled = sorted((Path(ensurepip.__file__).parent / "_bundled").glob("pip-*.whl"))
    if bundled:
        return bundled[-1]
    target = cache / "pip"
    found = sorted(target.glob("pip-*.whl"))
    if found:
        return found[-1]
    _pip(["download", "--no-deps", "--only-binary=:all:", "-d", str(target), "pip"], "pip")
    found = sorted(target.glob("pip-*.whl"))
    if not found:
        raise JarError(f"pip download pip saved no wheel into {target}")
    return found[-1]


def _pip(args: list[str], what: str) -> None:
    argv = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=_PIP_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise JarError(f"pip took more than {_PIP_TIMEOUT:.0f} s for {what}") from None
    except OSError as exc:
        raise JarError(f"cannot run pip ({sys.executable} -m pip): {exc}") from exc
    if done.returncode != 0:
        tail = "\n    ".join((done.stderr or done.stdout).strip().splitlines()[-12:])
        raise JarError(
            f"building the wheels of {what} failed (`{' '.join(argv[3:])}`):\n    {tail}\n"
            "fix the requirements (pip must find every package, or build it from source here)"
        )


def _rewrite(requirements: Path, stormbridge_wheel: Path | None) -> tuple[list[str], bool]:
    """The requirement lines for ``pip wheel``, and whether they name stormbridge."""
    lines: list[str] = []
    names: set[str] = set()
    for raw in requirements.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        option = re.match(r"^(-r|--requirement|-c|--constraint)\s*=?\s*(\S+)$", line)
        if option:  # nested files are read from the original folder
            lines.append(f"{option.group(1)} {(requirements.parent / option.group(2)).resolve()}")
            continue
        match = _NAME_RE.match(line)
        name = _canonical(match.group(1)) if match and not line.startswith("-") else ""
        names.add(name)
        if name == "stormbridge" and "@" not in line and match:
            if stormbridge_wheel is None:
                return [], True
            lines.append(f"{stormbridge_wheel}{match.group(2) or ''}")
            continue
        lines.append(line)
    if "orjson" not in names:
        lines.append("orjson>=3.9")
    return lines, "stormbridge" in names


def _interpreter_key() -> list[str]:
    return [
        sys.implementation.name,
        ".".join(map(str, sys.version_info[:2])),
        importlib.machinery.EXTENSION_SUFFIXES[0],
        (os.confstr("CS_GNU_LIBC_VERSION") or "") if hasattr(os, "confstr") else "",
    ]


def build_wheelhouse(requirements: Path, cache_root: Path) -> Wheelhouse:
    """Wheels for ``requirements`` (and their dependencies), built once per requirements
    hash into ``<cache_root>/wheels/<key>/`` and reused after that."""
    started = time.monotonic()
    requirements = Path(requirements).resolve()
    cache = Path(cache_root) / "wheels"
    _, names_stormbridge = _rewrite(requirements, None)
    stormbridge_wheel: Path | None = None
    key_parts: list[object] = [requirements.read_text(encoding="utf-8"), _interpreter_key()]
    if names_stormbridge:
        stormbridge_wheel = build_stormbridge_wheel(cache / "stormbridge")
        key_parts.append(_sha256(stormbridge_wheel))
    key = hashlib.sha256(json.dumps(key_parts).encode()).hexdigest()[:20]
    directory = cache / key
    pip_wheel = _pip_wheel_file(cache)
    cached = (directory / "complete.json").is_file()
    if not cached:
        lines, _ = _rewrite(requirements, stormbridge_wheel)
        building = cache / f"{key}.tmp{os.getpid()}"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        try:
            req = building / "requirements.txt"
            req.write_text("\n".join(lines) + "\n", encoding="utf-8")
            _pip(["wheel", "-r", str(req), "-w", str(building)], str(requirements))
            req.unlink()
            (building / "complete.json").write_text(json.dumps({"requirements": lines}))
            shutil.rmtree(directory, ignore_errors=True)
            os.replace(building, directory)
        finally:
            shutil.rmtree(building, ignore_errors=True)
    wheels = tuple(sorted(directory.glob("*.whl")))
    if not wheels:
        raise JarError(f"{requirements} gave no wheels (is it empty?)")
    digest = hashlib.sha256()
    for wheel in wheels:
        digest.update(f"{wheel.name}\0{_sha256(wheel)}\n".encode())
    return Wheelhouse(
        requirements=requirements,
        directory=directory,
        wheels=wheels,
        pip_wheel=pip_wheel,
        digest=digest.hexdigest()[:20],
        cached=cached,
        seconds=time.monotonic() - started,
    )


# --------------------------------------------------------------------------- carried orjson


@dataclass(frozen=True)
class SitePackage:
    """A compiled package carried unpacked, for interpreters that can load it."""

    tag: str
    #: The extension-module suffix its ``.so`` needs (``importlib.machinery.EXTENSION_SUFFIXES``).
    ext: str
    #: Lowest glibc (major, minor) it needs; None when not a manylinux build.
    glibc: tuple[int, int] | None
    files: tuple[tuple[str, Path], ...]

    @property
    def directory(self) -> str:
        return f"{SITE_DIR}/{self.tag}"

    def resources(self) -> list[tuple[str, Path]]:
        return [(f"{self.directory}/{rel}", path) for rel, path in self.files]

    def boot_site(self) -> dict[str, object]:
        return {"dir": self.directory, "ext": self.ext, "glibc": list(self.glibc or ())}


_MANYLINUX_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


def _glibc_of(platform_tag: str) -> tuple[int, int] | None:
    match = re.match(r"^manylinux_(\d+)_(\d+)_", platform_tag)
    if match:
        return int(match.group(1)), int(match.group(2))
    return _MANYLINUX_LEGACY.get(platform_tag.split("_", 1)[0])


def orjson_site() -> SitePackage | None:
    """The ``orjson`` installed here, as a :class:`SitePackage`; None when it is not
    installed, or not a manylinux (glibc) build that workers could check before loading."""
    try:
        dist = importlib.metadata.distribution("orjson")
    except importlib.metadata.PackageNotFoundError:
        return None
    tags = [
        line.split(":", 1)[1].strip()
        for line in (dist.read_text("WHEEL") or "").splitlines()
        if line.startswith("Tag:")
    ]
    files: list[tuple[str, Path]] = []
    ext = ""
    for entry in dist.files or ():
        parts = Path(str(entry)).parts
        if not parts or parts[0] != "orjson" or "__pycache__" in parts:
            continue
        path = Path(str(entry.locate()))
        if not path.is_file():
            continue
        files.append(("/".join(parts), path))
        if path.name.startswith("orjson.") and path.suffix == ".so":
            ext = path.name[len("orjson") :]
    if not tags or not ext or not files:
        return None
    platform_tag = tags[0].split("-")[-1]
    glibc = _glibc_of(platform_tag)
    if glibc is None:
        return None
    return SitePackage(tag=tags[0], ext=ext, glibc=glibc, files=tuple(sorted(files)))
