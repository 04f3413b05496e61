"""``sparse quickstart NAME``: a new word-count project in ``./NAME``.

The templates live in ``stormbridge/cli/templates/quickstart/`` (package data). Every file ends
in ``.tmpl``; ``__name__`` in a path and ``{{name}}``, ``{{class_name}}``, ``{{storm_version}}`` in
a file become the project's values. The project is written to a temporary folder next to the
target and renamed into place, so a failure leaves nothing half-written, and an existing
``NAME`` is never touched. No shell is involved anywhere.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import tempfile
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from ..errors import ConfigError
from ..storm import DEFAULT_STORM_VERSION

__all__ = ["add_parser", "create_project", "run", "validate_project_name"]

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_RENAMES = {"gitignore": ".gitignore"}


def validate_project_name(name: str) -> str:
    """``name`` if it is safe as a folder, file, topology and Clojure project name."""
    if not _NAME_RE.match(name):
        raise ConfigError(
            f"{name!r} is not a valid project name: use a letter, then letters, digits, '_' or "
            "'-' (at most 64 characters), e.g. wordcount"
        )
    return name


def _class_name(name: str) -> str:
    parts = [p for p in re.split(r"[_-]+", name) if p]
    return "".join(p[:1].upper() + p[1:] for p in parts) or "MyTopology"


def _walk(node: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    out: list[tuple[str, Traversable]] = []
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        rel = f"{prefix}{child.name}"
        if child.is_dir():
            if child.name != "__pycache__":
                out.extend(_walk(child, rel + "/"))
        elif child.name.endswith(".tmpl"):
            out.append((rel, child))
    return out


def create_project(name: str, parent: str | os.PathLike[str]) -> Path:
    """Write the quickstart project ``parent/name``; return its path."""
    validate_project_name(name)
    parent_dir = Path(parent).absolute()
    target = parent_dir / name
    if os.path.lexists(target):
        raise ConfigError(f"{target} already exists: choose another name or remove it first")
    if not parent_dir.is_dir():
        raise ConfigError(f"{parent_dir} is not a folder: create it first")
    values = {
        "{{name}}": name,
        "{{class_name}}": _class_name(name),
        "{{storm_version}}": DEFAULT_STORM_VERSION,
    }
    templates = resources.files(__package__).joinpath("templates").joinpath("quickstart")
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=parent_dir))
    try:
        for rel, src in _walk(templates):
            parts = rel[: -len(".tmpl")].replace("__name__", name).split("/")
            parts[-1] = _RENAMES.get(parts[-1], parts[-1])
            dest = staging.joinpath(*parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            text = src.read_text(encoding="utf-8")
            for key, value in values.items():
                text = text.replace(key, value)
            dest.write_text(text, encoding="utf-8")
        if os.path.lexists(target):
            raise ConfigError(f"{target} appeared while writing the project: not touching it")
        staging.chmod(0o755)  # mkdtemp made it 0o700
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "quickstart",
        help="create a new word-count project",
        description="Create ./NAME with a word-count topology, config.json and project layout.",
    )
    parser.add_argument("project_name", metavar="NAME", help="project (and topology) name")
    parser.add_argument(
        "--directory",
        metavar="DIR",
        default=".",
        help="create the project inside DIR (default: the current folder)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = create_project(args.project_name, args.directory)
    name = args.project_name
    print(f"Created {path}")
    for rel in sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()):
        print(f"  {rel}")
    print(
        f"\nNext:\n  cd {path}\n  sparse run -n {name} -t 30            # Storm local mode\n"
        f"  sparse cluster up && sparse submit -e local -n {name}"
    )
    return 0
