"""Which files of stormbridge, streamparse and pystorm a topology ships to its workers.

A worker runs the runtime only: ``stormbridge/__init__.py``, ``errors.py`` and
``runtime/``, plus the compatibility modules that spouts and bolts import
(:data:`RUNTIME_PACKAGES`). The DSL, Thrift, build, project, Storm, UI and CLI code stay
on the machine that builds the jar: topology files run there, not on workers.

A spout or bolt module that imports more than that (``from streamparse import Grouping``,
``import streamparse.util``) would fail on the worker, so :func:`imports_beyond_runtime`
finds such imports in the project's ``src/`` before the jar is built, and the builder then
ships the packages whole for that topology (and says why).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

__all__ = ["DSL_NAMES", "RUNTIME_PACKAGES", "imports_beyond_runtime", "is_runtime_file"]

#: Per package, the files and folders (ending in ``/``; ``""`` for all) shipped to workers.
RUNTIME_PACKAGES: dict[str, tuple[str, ...]] = {
    "stormbridge": ("__init__.py", "errors.py", "py.typed", "runtime/"),
    "streamparse": (
        "__init__.py",
        "bolt.py",
        "component.py",
        "run.py",
        "spout.py",
        "storm/",
        "version.py",
    ),
    "pystorm": ("",),
}

#: Names the package roots load lazily from the DSL (not shipped to workers).
DSL_NAMES = frozenset(
    {"Topology", "Grouping", "Stream", "ShellBolt", "ShellSpout", "JavaBolt", "JavaSpout"}
)


def is_runtime_file(package: str, rel: str) -> bool:
    """Whether ``package/rel`` (POSIX path inside the package) is shipped to workers."""
    return any(
        rel == part or ((not part or part.endswith("/")) and rel.startswith(part))
        for part in RUNTIME_PACKAGES[package]
    )


def _module_is_shipped(package_dirs: dict[str, Path], module: str) -> bool | None:
    """True/False for a module of our packages; None when no such module exists."""
    package, _, rest = module.partition(".")
    base = package_dirs[package]
    if not rest:
        return True
    rel = rest.replace(".", "/")
    for candidate in (f"{rel}.py", f"{rel}/__init__.py"):
        if (base / candidate).is_file():
            return is_runtime_file(package, candidate)
    return None


def imports_beyond_runtime(
    files: Iterable[tuple[str, Path]], package_dirs: dict[str, Path]
) -> list[str]:
    """``"rel/path.py:LINE imports NAME"`` for each import in ``files`` (``(label, path)``
    pairs of ``.py`` files) of a part of our packages that workers do not get."""
    found: list[str] = []
    for label, path in files:
        try:
            tree = ast.parse(path.read_bytes(), label)
        except (SyntaxError, ValueError, OSError):
            continue  # not ours to judge here: the component fails to load with its own error
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules: list[tuple[str, list[str]]] = [(alias.name, []) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                modules = [(node.module, [alias.name for alias in node.names])]
            else:
                continue
            where = f"{label}:{node.lineno} imports"
            for module, names in modules:
                if module.split(".")[0] not in package_dirs:
                    continue
                if _module_is_shipped(package_dirs, module) is False:
                    found.append(f"{where} {module}")
                    continue
                # ``from streamparse.bolt import ShellBolt``: shipped modules load DSL names
                # lazily, so the name is what tells (any module of ours, not only the roots).
                found.extend(
                    f"{where} {module}.{name}"
                    for name in names
                    if name in DSL_NAMES
                    or _module_is_shipped(package_dirs, f"{module}.{name}") is False
                )
    return found
