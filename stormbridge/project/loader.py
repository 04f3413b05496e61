"""A streamparse project on disk: its root, its ``config.json`` and its topology files.

::

    project/
      config.json          -> stormbridge.project.config.ProjectConfig
      topologies/NAME.py   -> load_topology(project, "NAME") -> Topology subclass
      src/                 -> importable while a topology file loads (bolts, spouts, ...)

Loading a topology file runs user code, so it happens in a scope: ``src/`` and the topologies
folder go first on ``sys.path`` only while the file executes, modules already imported under the
same top-level names (another project's ``bolts``) are hidden meanwhile, and every module
imported from the project is dropped from ``sys.modules`` afterwards. Loading two projects in one
process (tests, tools) therefore never mixes them up. Errors say exactly what went wrong: no such
file, a syntax error (with file and line), an exception raised while importing user code (with
its last frame), or no Topology subclass in the file.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import ConfigError, TopologyError
from .config import CONFIG_FILE, ProjectConfig, load_config

__all__ = [
    "Project",
    "find_project_root",
    "load_project",
    "load_topology",
    "load_topology_file",
    "project_import_path",
    "topology_file",
    "topology_names",
]


@dataclass(frozen=True)
class Project:
    """A project directory and its validated ``config.json``."""

    config: ProjectConfig

    @property
    def root(self) -> Path:
        return self.config.root

    @property
    def src_dir(self) -> Path:
        return self.root / "src"

    @property
    def topologies_dir(self) -> Path:
        return self.config.topologies_dir


def find_project_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The nearest directory at or above ``start`` (default: cwd) holding ``config.json``."""
    here = Path(start if start is not None else os.getcwd()).absolute()
    for candidate in (here, *here.parents):
        if (candidate / CONFIG_FILE).is_file():
            return candidate
    raise ConfigError(
        f"no {CONFIG_FILE} in {here} or any folder above it: run sparse inside a project "
        "(`sparse quickstart NAME` creates one) or pass --config PATH/config.json"
    )


def load_project(
    config_path: str | os.PathLike[str] | None = None,
    *,
    cwd: str | os.PathLike[str] | None = None,
) -> Project:
    """Load the project named by ``config_path`` (a ``config.json``), or found from ``cwd``."""
    if config_path is None:
        path = find_project_root(cwd) / CONFIG_FILE
    else:
        path = Path(config_path)
        if not path.is_absolute():
            path = Path(cwd if cwd is not None else os.getcwd()) / path
        if path.is_dir():
            path = path / CONFIG_FILE
    return Project(load_config(path))


def topology_names(project: Project) -> list[str]:
    """Names (file stems) of the ``.py`` files in the topologies folder, sorted."""
    folder = project.topologies_dir
    if not folder.is_dir():
        raise ConfigError(
            f"topology_specs folder {folder} does not exist: create it, or fix "
            f'"topology_specs" in {project.config.path}'
        )
    return sorted(p.stem for p in folder.glob("*.py") if p.is_file() and not p.name.startswith("_"))


def topology_file(project: Project, name: str | None = None) -> Path:
    """The file of topology ``name`` (``NAME`` or ``NAME.py``); with ``None``, the only one."""
    names = topology_names(project)
    folder = project.topologies_dir
    if name is None:
        if len(names) == 1:
            return folder / f"{names[0]}.py"
        if not names:
            raise ConfigError(f"no topology files (*.py) in {folder}: add one, e.g. wordcount.py")
        raise ConfigError(
            f"{folder} holds several topologies ({', '.join(names)}): choose one with -n/--name"
        )
    stem = name[:-3] if name.endswith(".py") else name
    if "/" in stem or "\\" in stem or stem in ("", ".", "..") or stem not in names:
        raise ConfigError(
            f"no topology {name!r}: there is no {stem}.py in {folder}; "
            f"available: {', '.join(names) or '(none)'}"
        )
    return folder / f"{stem}.py"


@contextmanager
def project_import_path(project: Project) -> Iterator[None]:
    """Make ``src/`` and the topologies folder importable, and undo it all on exit."""
    roots = [project.src_dir.resolve(), project.topologies_dir]
    dirs = [str(d) for d in roots if d.is_dir()]
    own_names = {_top_name(p) for d in roots if d.is_dir() for p in d.iterdir()}
    own_names.discard("")
    saved_path = list(sys.path)
    hidden = {
        name: mod
        for name, mod in sys.modules.items()
        if name.split(".", 1)[0] in own_names and not _within(mod, roots)
    }
    for name in hidden:
        del sys.modules[name]
    before = set(sys.modules)
    sys.path[:0] = dirs
    importlib.invalidate_caches()
    try:
        yield
    finally:
        sys.path[:] = saved_path
        for name in set(sys.modules) - before:
            if _within(sys.modules.get(name), roots):
                del sys.modules[name]
        sys.modules.update(hidden)


def load_topology(project: Project, name: str | None = None) -> type[Any]:
    """Import topology ``name`` (see :func:`topology_file`) and return its Topology class.

    The file may define helper base classes: the class returned is the one Topology subclass
    defined in the file that no other class there derives from.
    """
    from ..dsl import Topology  # the DSL is imported only when a topology is loaded

    path = topology_file(project, name)
    module_name = f"_stormbridge_topology_{path.stem}"
    module = _exec_file(project, path, module_name)
    found = [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, Topology)
        and obj is not Topology
        and obj.__module__ == module_name
    ]
    leaves = [c for c in found if not any(o is not c and issubclass(o, c) for o in found)]
    if not leaves:
        raise TopologyError(
            f"{path} defines no Topology subclass: write `class MyTopology(Topology):` "
            "with `from streamparse import Topology` (or stormbridge)"
        )
    if len(leaves) > 1:
        names = ", ".join(sorted(c.__name__ for c in leaves))
        raise TopologyError(
            f"{path} defines several topologies ({names}): keep one Topology per file"
        )
    return leaves[0]


def _exec_file(project: Project, path: Path, module_name: str) -> ModuleType:
    try:
        source = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read topology file {path}: {exc.strerror}") from exc
    try:
        code = compile(source, str(path), "exec")
    except SyntaxError as exc:
        raise TopologyError(
            f"syntax error in {exc.filename or path} line {exc.lineno}: {exc.msg}"
        ) from None
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    with project_import_path(project):
        sys.modules[module_name] = module
        try:
            exec(code, module.__dict__)
        except SyntaxError as exc:  # in a module the topology imports
            raise TopologyError(
                f"syntax error in {exc.filename} line {exc.lineno} (imported by {path.name}): "
                f"{exc.msg}"
            ) from exc
        except ModuleNotFoundError as exc:
            raise TopologyError(
                f"{path.name}: cannot import {exc.name!r} ({_where(exc, path)}): modules the "
                f"topology uses must live in {project.src_dir} or be installed in this Python"
            ) from exc
        except Exception as exc:
            raise TopologyError(
                f"{path.name} raised {type(exc).__name__}: {exc} ({_where(exc, path)})"
            ) from exc
        except SystemExit as exc:
            raise TopologyError(
                f"{path.name} called sys.exit({exc.code!r}) while being loaded "
                f"({_where(exc, path)}): a topology file must only define its Topology; put "
                'script code under `if __name__ == "__main__":`'
            ) from exc
        finally:
            sys.modules.pop(module_name, None)
    return module


def _where(exc: BaseException, path: Path) -> str:
    """``file:line`` of the innermost frame that is not importlib machinery."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "importlib" not in f.filename]
    if not frames:
        return str(path)
    last = frames[-1]
    return f"at {last.filename}:{last.lineno}"


def _top_name(p: Path) -> str:
    if p.is_dir():
        return p.name if p.name.isidentifier() else ""
    if p.suffix == ".py":
        return p.stem
    return ""


def _within(module: ModuleType | None, roots: list[Path]) -> bool:
    filename = getattr(module, "__file__", None)
    if not filename:
        paths = getattr(module, "__path__", None)
        filename = next(iter(paths), None) if paths is not None else None
    if not filename:
        return False
    resolved = Path(filename).resolve()
    return any(resolved.is_relative_to(root) for root in roots)


def load_topology_file(path: str | os.PathLike[str]) -> type[Any]:
    """The Topology class defined in the file ``path``.

    Inside a project (a ``config.json`` in the file's folder or above) the file must be in its
    topologies folder. Without one, the file is loaded as streamparse loaded it: its folder and
    ``../src`` next to that folder are importable while it executes.
    """
    from .config import ProjectConfig

    file = Path(path).resolve()
    if not file.is_file():
        raise ConfigError(f"topology file {file} does not exist")
    try:
        root = find_project_root(file.parent)
    except ConfigError:
        root = None
    if root is None:
        loose = ProjectConfig(
            path=file.parent.parent / CONFIG_FILE, topology_specs=file.parent.name or "."
        )
        return load_topology(Project(loose), file.stem)
    project = load_project(root / CONFIG_FILE)
    if file.parent != project.topologies_dir:
        raise ConfigError(
            f"{file} is not in the project's topology_specs folder {project.topologies_dir}: "
            f'move it there or fix "topology_specs" in {project.config.path}'
        )
    return load_topology(project, file.stem)
