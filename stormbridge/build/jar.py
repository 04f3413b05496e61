"""The topology jar, built with :mod:`zipfile` (no Leiningen, no JDK).

Layout (see ``docs/jar.md``)::

    META-INF/MANIFEST.MF
    resources/...          the tree from :func:`stormbridge.build.resources.collect_resources`
    <class entries>        only when ``extra_jars`` are merged (Kafka spout, serializers, ...)

The bytes are a function of the inputs only: entries are sorted, every timestamp is
1980-01-01 00:00, every file is ``0644`` and every directory ``0755``, and nothing about
the build machine (user, time, absolute paths) is recorded. Two builds of the same project
give the same SHA-256 (with the same zlib, which does the compression).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from ..errors import JarError
from .resources import ResourceOptions, ResourceTree, collect_resources, write_resources_dir

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "CHUNK_FRIENDLY_LIMIT",
    "FIXED_DATE_TIME",
    "JarInfo",
    "build_jar",
    "jar_entry_filter",
    "write_resources_dir",
]

#: Timestamp of every entry (the earliest a zip can hold), for reproducible bytes.
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
_FILE_ATTR = (0o100644 << 16) & 0xFFFF0000
_DIR_ATTR = ((0o040755 << 16) & 0xFFFF0000) | 0x10  # plus the MS-DOS directory bit
_COMPRESS_LEVEL = 6
_MANIFEST = b"Manifest-Version: 1.0\r\nCreated-By: stormbridge\r\n\r\n"

#: Informational: a jar this large takes several seconds to upload in 300 KB chunks.
CHUNK_FRIENDLY_LIMIT = 64 * 1024 * 1024

#: Names of jars never merged: Storm itself and its logging, which every worker already has.
_PROVIDED_JAR_PREFIXES = (
    "storm-core-",
    "storm-client-",
    "storm-server-",
    "storm-webapp-",
    "storm-shaded-deps-",
    "storm-autocreds-",
    "log4j-api-",
    "log4j-core-",
    "log4j-slf4j-impl-",
    "log4j-slf4j2-impl-",
    "slf4j-api-",
)
_SIGNATURE_SUFFIXES = (".sf", ".dsa", ".rsa", ".ec")
_LOG_CONFIGS = (
    "log4j.properties",
    "log4j.xml",
    "log4j2.xml",
    "log4j2.properties",
    "log4j2.component.properties",
    "log4j2-test.xml",
    "logback.xml",
    "logback-test.xml",
)


@dataclass(frozen=True)
class JarInfo:
    """What :func:`build_jar` wrote."""

    path: Path
    size: int
    sha256: str
    #: Number of zip entries (files and directories).
    entries: int
    #: Files under ``resources/`` (user code, boot scripts, runtime).
    resource_files: int = 0
    #: Class and resource files merged from ``extra_jars``.
    merged_files: int = 0
    #: Project files left out because their names look like secrets.
    excluded_secrets: tuple[str, ...] = ()
    #: Why the stormbridge packages were shipped whole rather than the runtime alone
    #: (imports in ``src/`` of the DSL or other build-side modules); empty normally.
    whole_packages_because: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for people: ``path (1.2 MiB, 84 entries, sha256 ab12…)``."""
        return (
            f"{self.path} ({_human_size(self.size)}, {self.entries} entries, "
            f"sha256 {self.sha256[:12]})"
        )


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024 or unit == "MiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def jar_entry_filter(name: str) -> bool:
    """True if entry ``name`` of an extra jar is merged into the topology jar.

    Left out: directories (regenerated), ``resources/`` (the Python side is ours),
    the manifest, ``INDEX.LIST`` and signatures (a merged jar is unsigned), root-level
    ``*.yaml`` (a second ``defaults.yaml`` or ``storm.yaml`` on the worker classpath breaks
    Storm), logging configs, ``module-info.class``, and unsafe paths.
    """
    if not name or name.endswith("/") or name.startswith("/") or "\\" in name:
        return False
    parts = PurePosixPath(name).parts
    if ".." in parts:
        return False
    lowered = name.lower()
    base = lowered.rsplit("/", 1)[-1]
    if parts[0] == "resources":
        return False
    if lowered.startswith("meta-inf/"):
        if lowered in ("meta-inf/manifest.mf", "meta-inf/index.list"):
            return False
        if "/" not in lowered[len("meta-inf/") :] and base.endswith(_SIGNATURE_SUFFIXES):
            return False
        if base.startswith("sig-"):
            return False
    if len(parts) == 1 and (base.endswith(".yaml") or base.endswith(".yml")):
        return False
    return base not in _LOG_CONFIGS and base != "module-info.class"


def _is_provided_jar(path: Path) -> bool:
    return path.name.startswith(_PROVIDED_JAR_PREFIXES)


def _zip_info(name: str, *, directory: bool = False) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
    info.create_system = 3  # Unix, so external_attr carries the mode
    if directory:
        info.external_attr = _DIR_ATTR
        info.compress_type = zipfile.ZIP_STORED
    else:
        info.external_attr = _FILE_ATTR
        # Wheels are zips already: deflating them again costs time and saves ~1%.
        stored = name.endswith(".whl")
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    return info


@dataclass(frozen=True)
class _Merged:
    jar: Path
    name: str


def _plan_extra_jars(
    extra_jars: Sequence[Path], taken: set[str]
) -> tuple[dict[str, _Merged], dict[str, list[_Merged]]]:
    """Pick the entries of ``extra_jars`` to merge: first jar wins, services are concatenated."""
    files: dict[str, _Merged] = {}
    services: dict[str, list[_Merged]] = {}
    for jar in extra_jars:
        jar = Path(jar)
        if _is_provided_jar(jar):
            continue
        try:
            with zipfile.ZipFile(jar) as zf:
                names = zf.namelist()
        except (OSError, zipfile.BadZipFile) as exc:
            raise JarError(f"cannot read the extra jar {jar}: {exc}") from exc
        for name in names:
            if not jar_entry_filter(name):
                continue
            if name.lower().startswith("meta-inf/services/"):
                services.setdefault(name, []).append(_Merged(jar, name))
            elif name not in files and name not in taken:
                files[name] = _Merged(jar, name)
    return files, services


class _JarReader:
    """Opens each extra jar once while the topology jar is written."""

    def __init__(self) -> None:
        self._open: dict[Path, zipfile.ZipFile] = {}

    def read(self, item: _Merged) -> bytes:
        try:
            zf = self._open.get(item.jar)
            if zf is None:
                zf = self._open[item.jar] = zipfile.ZipFile(item.jar)
            return zf.read(item.name)
        except (OSError, zipfile.BadZipFile, KeyError) as exc:
            raise JarError(f"cannot read {item.name} from {item.jar}: {exc}") from exc

    def close(self) -> None:
        for zf in self._open.values():
            zf.close()
        self._open.clear()


def _merge_services(items: list[_Merged], reader: _JarReader) -> bytes:
    lines: list[str] = []
    for item in items:
        for line in reader.read(item).decode("utf-8", "replace").splitlines():
            stripped = line.strip()
            if stripped and stripped not in lines:
                lines.append(stripped)
    return ("\n".join(lines) + "\n").encode("utf-8")


def _parent_dirs(names: Sequence[str]) -> set[str]:
    dirs: set[str] = set()
    for name in names:
        parts = name.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:depth]) + "/")
    return dirs


def build_jar(
    project_dir: Path,
    out: Path,
    *,
    class_paths: Sequence[str],
    extra_jars: Sequence[Path] = (),
    **options: Unpack[ResourceOptions],
) -> JarInfo:
    """Build the topology jar for ``project_dir`` at ``out`` and describe it.

    ``class_paths``: the ``module.Class`` paths of the topology's Python components (one boot
    script each). ``extra_jars``: JVM jars whose classes are merged in (see
    :func:`jar_entry_filter`; jars of Storm itself are skipped). ``options`` (``serializer``,
    ``wheelhouse``, ``sites``, …): see :func:`~stormbridge.build.resources.collect_resources`.
    The file is written atomically: a failed build leaves no partial jar at ``out``.
    """
    tree: ResourceTree = collect_resources(project_dir, class_paths=class_paths, **options)
    resource_names = {f"resources/{entry.path}": entry for entry in tree.entries}
    taken = {"META-INF/MANIFEST.MF", *resource_names}
    merged, services = _plan_extra_jars(extra_jars, taken)

    payload: dict[str, object] = {}  # name -> ResourceEntry | _Merged | list[_Merged]
    payload.update(resource_names)
    payload.update(merged)
    payload.update(services)
    names = sorted(payload)
    dirs = sorted(_parent_dirs(names) - {"META-INF/"})

    out = Path(out)
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    reader = _JarReader()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(
            tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=_COMPRESS_LEVEL
        ) as zf:
            zf.writestr(_zip_info("META-INF/", directory=True), b"")
            zf.writestr(_zip_info("META-INF/MANIFEST.MF"), _MANIFEST, compresslevel=_COMPRESS_LEVEL)
            for name in sorted([*names, *dirs]):
                if name.endswith("/"):
                    zf.writestr(_zip_info(name, directory=True), b"")
                    continue
                item = payload[name]
                if isinstance(item, list):
                    data = _merge_services(item, reader)
                elif isinstance(item, _Merged):
                    data = reader.read(item)
                else:
                    data = resource_names[name].read()
                zf.writestr(_zip_info(name), data, compresslevel=_COMPRESS_LEVEL)
            count = len(zf.infolist())
        os.replace(tmp, out)
    except OSError as exc:
        raise JarError(f"cannot write the topology jar {out}: {exc.strerror or exc}") from exc
    finally:
        reader.close()
        with contextlib.suppress(OSError):  # never hide the error above behind a second one
            tmp.unlink(missing_ok=True)

    digest = hashlib.sha256()
    with out.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return JarInfo(
        path=out,
        size=out.stat().st_size,
        sha256=digest.hexdigest(),
        entries=count,
        resource_files=len(tree.entries),
        merged_files=len(merged) + len(services),
        excluded_secrets=tree.excluded_secrets,
        whole_packages_because=tree.whole_packages_because,
    )
