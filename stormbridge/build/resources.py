"""What goes into a topology's ``resources/``: the layout shared by the jar and local mode.

Storm unpacks ``resources/`` of the topology jar for every worker and starts each
Python component there (``storm.md`` §2). stormbridge lays it out as::

    resources/
      <the project's src/ tree>              user spouts and bolts (``bolts/wordcount.py``, …)
      _stormbridge/boot/<module.Class>.py    one boot script per Python component class
      _stormbridge/workerenv.py              settles the interpreter first (when needed)
      _stormbridge/wheels/, _stormbridge/pip/   shipped wheels ("deploy": "ship")
      _stormbridge/site/<tag>/               a carried orjson, for interpreters that load it
      stormbridge/{__init__,errors}.py, stormbridge/runtime/
                                             the worker runtime (unless include_runtime=False)
      streamparse/, pystorm/                 the compatibility modules components import

:func:`collect_resources` computes that tree (sorted, with secrets and caches left out)
without writing anything; :mod:`stormbridge.build.jar` zips it and :func:`write_resources_dir`
writes it to a directory for local mode, where Storm reads ``resources/`` from the JVM
classpath. Both read the same :class:`ResourceTree`, so the jar and local mode never differ.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from ..dsl.boot import WORKERENV_PATH, boot_script_path, render_boot_script
from ..errors import JarError
from .shipped import RUNTIME_PACKAGES, imports_beyond_runtime, is_runtime_file
from .wheels import SitePackage, Wheelhouse

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "RUNTIME_PACKAGES",
    "ResourceEntry",
    "ResourceOptions",
    "ResourceTree",
    "collect_resources",
    "is_cache_or_junk",
    "is_secret",
    "write_resources_dir",
]

#: Directory names never shipped: VCS data, caches, virtualenvs, editor and credential folders.
_SKIP_DIRS = frozenset(
    {
        "__pycache__",
        ".git",
        ".hg",
        ".svn",
        ".venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
        ".idea",
        ".vscode",
        ".eggs",
        "node_modules",
        ".ssh",
        ".aws",
        ".gnupg",
        ".kube",
        ".docker",
    }
)
_SKIP_DIR_PATTERNS = ("*.egg-info",)

#: File names left out silently: byte code and editor droppings.
_JUNK_FILES = ("*.pyc", "*.pyo", ".DS_Store", "*.swp", "*.swo", "*~", ".coverage")

#: File names that look like secrets: left out *and* reported, so the user can see them.
_SECRET_FILES = (
    ".env",
    ".env.*",
    "*.env",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "*.kdbx",
    "*.gpg",
    "*.asc",
    "*.ppk",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".netrc",
    ".pgpass",
    ".pypirc",
    ".npmrc",
    ".htpasswd",
    "credentials",
    "credentials.*",
    "secrets.json",
    "secrets.yaml",
    "secrets.yml",
    "secrets.toml",
    "secrets.ini",
    "*.tfvars",
    "service-account*.json",
)


def _matches(name: str, patterns: Sequence[str]) -> bool:
    lowered = name.lower()
    return any(fnmatch.fnmatchcase(lowered, pattern) for pattern in patterns)


def is_secret(name: str) -> bool:
    """True if a file called ``name`` looks like a secret (key, ``.env``, credentials)."""
    return _matches(name, _SECRET_FILES)


def is_cache_or_junk(name: str) -> bool:
    """True if a file called ``name`` is byte code or an editor/OS dropping."""
    return _matches(name, _JUNK_FILES)


def _skip_dir(path: Path) -> bool:
    name = path.name
    return (
        name in _SKIP_DIRS
        or _matches(name, _SKIP_DIR_PATTERNS)
        or (path / "pyvenv.cfg").exists()  # any virtualenv, whatever its name
    )


@dataclass(frozen=True)
class ResourceEntry:
    """One file under ``resources/``: ``path`` is relative and POSIX-style."""

    path: str
    source: Path | None = None
    data: bytes | None = None

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.source is not None
        try:
            return self.source.read_bytes()
        except OSError as exc:
            raise JarError(f"cannot read {self.source}: {exc.strerror or exc}") from exc


@dataclass(frozen=True)
class ResourceTree:
    """The files of ``resources/`` sorted by path, and what was left out as secrets-looking."""

    entries: tuple[ResourceEntry, ...]
    #: Files left out because their names look like secrets (paths as found on disk).
    excluded_secrets: tuple[str, ...] = field(default=())
    #: Imports in ``src/`` of parts of stormbridge that workers do not run (the DSL, …): when
    #: any, the packages were shipped whole so that those modules still load on workers.
    whole_packages_because: tuple[str, ...] = field(default=())

    def paths(self) -> list[str]:
        return [entry.path for entry in self.entries]

    def directories(self) -> list[str]:
        """Every directory (``a/``, ``a/b/``) that holds an entry, sorted."""
        dirs: set[str] = set()
        for entry in self.entries:
            parts = entry.path.split("/")[:-1]
            for depth in range(1, len(parts) + 1):
                dirs.add("/".join(parts[:depth]) + "/")
        return sorted(dirs)


def _walk_files(root: Path, secrets: list[str], label: str) -> Iterator[tuple[str, Path]]:
    """Yield ``(relative posix path, file)`` under ``root``, following directory symlinks once."""
    seen: set[str] = set()

    def walk(directory: Path, prefix: str) -> Iterator[tuple[str, Path]]:
        real = os.path.realpath(directory)
        if real in seen:  # a symlink loop, or the same folder linked twice
            return
        seen.add(real)
        try:
            children = sorted(directory.iterdir(), key=lambda p: p.name)
        except OSError as exc:
            raise JarError(f"cannot list {directory}: {exc.strerror or exc}") from exc
        for child in children:
            rel = f"{prefix}{child.name}"
            if child.is_dir():
                if not _skip_dir(child):
                    yield from walk(child, rel + "/")
            elif child.is_file():
                if is_secret(child.name):
                    secrets.append(f"{label}/{rel}")
                elif not is_cache_or_junk(child.name):
                    yield rel, child
            # anything else (dangling symlink, socket, fifo) is not a file to ship

    yield from walk(root, "")


def _package_dir(name: str) -> Path:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError) as exc:
        raise JarError(f"cannot locate the runtime package {name!r}: {exc}") from exc
    if spec is None or not spec.submodule_search_locations or spec.origin is None:
        raise JarError(
            f"the runtime package {name!r} is not installed as a regular package; "
            "reinstall stormbridge (pip install stormbridge), or build with "
            "include_runtime=False if the workers have it installed"
        )
    return Path(spec.origin).parent


class ResourceOptions(TypedDict, total=False):
    """The keyword options of :func:`collect_resources` besides ``class_paths``, which
    :func:`write_resources_dir` and :func:`stormbridge.build.jar.build_jar` pass on."""

    serializer: str
    virtualenv_python: str | None
    include_runtime: bool
    src_dir: str
    wheelhouse: Wheelhouse | None
    venv_root: str | None
    sites: Sequence[SitePackage]


def collect_resources(
    project_dir: Path,
    *,
    class_paths: Sequence[str],
    serializer: str = "json",
    virtualenv_python: str | None = None,
    include_runtime: bool = True,
    src_dir: str = "src",
    wheelhouse: Wheelhouse | None = None,
    venv_root: str | None = None,
    sites: Sequence[SitePackage] = (),
) -> ResourceTree:
    """Compute the ``resources/`` tree for ``project_dir`` (reads files lazily, writes nothing).

    ``class_paths`` are the ``module.Class`` paths of the topology's Python components
    (one boot script each); ``serializer`` and ``virtualenv_python`` go into those scripts.
    ``wheelhouse``: wheels the workers build their virtualenv from (under ``venv_root``, or the
    default of :func:`stormbridge.runtime.workerenv.default_venv_root`); ``sites``: compiled
    packages carried for interpreters that can load them (see :mod:`.wheels`).
    """
    project_dir = Path(project_dir)
    src = project_dir / src_dir
    if not src.is_dir():
        raise JarError(
            f"{src} is not a directory: the topology jar ships the project's {src_dir}/ "
            "(spouts and bolts); run from the project root or pass the right project_dir"
        )
    files: dict[str, ResourceEntry] = {}
    origins: dict[str, str] = {}
    secrets: list[str] = []

    def add(entry: ResourceEntry, origin: str) -> None:
        if entry.path in files:
            raise JarError(
                f"resources/{entry.path} would come from both {origins[entry.path]} and "
                f"{origin}; rename one of them"
            )
        files[entry.path] = entry
        origins[entry.path] = origin

    src_files = list(_walk_files(src, secrets, src_dir))
    for rel, path in src_files:
        add(ResourceEntry(rel, source=path), f"{src_dir}/{rel}")

    ship = wheelhouse.boot_ship(venv_root) if wheelhouse is not None else None
    boot_sites = [site.boot_site() for site in sites]
    for class_path in sorted(set(class_paths)):
        data = render_boot_script(
            class_path,
            serializer=serializer,
            virtualenv_python=virtualenv_python,
            ship=ship,
            sites=boot_sites,
        )
        add(
            ResourceEntry(boot_script_path(class_path), data=data),
            f"the boot script of {class_path}",
        )
    if class_paths and (virtualenv_python or ship or boot_sites):
        workerenv = _package_dir("stormbridge") / "runtime" / "workerenv.py"
        add(ResourceEntry(WORKERENV_PATH, source=workerenv), "stormbridge.runtime.workerenv")
        carried = [
            *(wheelhouse.resources() if wheelhouse else ()),
            *(item for site in sites for item in site.resources()),
        ]
        for rel, path in carried:
            add(ResourceEntry(rel, source=path), str(path))

    beyond: list[str] = []
    if include_runtime:
        package_dirs = {package: _package_dir(package) for package in RUNTIME_PACKAGES}
        beyond = imports_beyond_runtime(
            ((f"{src_dir}/{rel}", path) for rel, path in src_files if rel.endswith(".py")),
            package_dirs,
        )
        for package in RUNTIME_PACKAGES:
            if (src / package).exists():
                raise JarError(
                    f"{src_dir}/{package} would shadow the stormbridge runtime shipped in the jar; "
                    "rename it, or build with include_runtime=False"
                )
            for rel, path in _walk_files(package_dirs[package], secrets, package):
                if not beyond and not is_runtime_file(package, rel):
                    continue
                add(ResourceEntry(f"{package}/{rel}", source=path), f"the {package} package")

    entries = tuple(files[path] for path in sorted(files))
    return ResourceTree(
        entries=entries,
        excluded_secrets=tuple(sorted(secrets)),
        whole_packages_because=tuple(beyond),
    )


def write_resources_dir(
    dest: Path,
    project_dir: Path,
    *,
    class_paths: Sequence[str],
    **options: Unpack[ResourceOptions],
) -> ResourceTree:
    """Write ``dest/resources/`` (replacing an old one) with the same tree the jar would hold.

    Put ``dest`` on a JVM classpath: Storm's local mode copies the classpath directory
    ``resources`` for each worker. Only ``dest/resources`` is replaced; ``dest`` itself and
    its other contents are left alone. ``options``: those of :func:`collect_resources`.
    """
    tree = collect_resources(project_dir, class_paths=class_paths, **options)
    root = Path(dest) / "resources"
    try:
        if root.is_symlink() or root.is_file():
            root.unlink()
        elif root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        for entry in tree.entries:
            target = root / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(entry.read())
            target.chmod(0o644)
    except OSError as exc:
        raise JarError(f"cannot write {root}: {exc.strerror or exc}") from exc
    return tree
