"""The package's folders are its layers: imports go one way only, and never in a circle.

The order is read from ``docs/architecture.md`` (the line starting "Layers, lowest first:"),
so the documented picture and the code cannot drift apart. Every import counts, at any
depth of the module: top level, inside functions and under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "stormbridge"


def documented_layers() -> list[str]:
    text = (ROOT / "docs" / "architecture.md").read_text()
    match = re.search(r"^Layers, lowest first: (.+)$", text, re.MULTILINE)
    assert match, "docs/architecture.md must state 'Layers, lowest first: ...'"
    return re.findall(r"`([a-z_]+)`", match.group(1))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every stormbridge module (or package) that ``path`` imports, resolved to absolute names."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "stormbridge")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "stormbridge":
                continue
            found.add(target)
            for alias in node.names:  # `from . import health` imports a module
                if (PACKAGE.parent / (target + "." + alias.name).replace(".", "/")).with_suffix(
                    ".py"
                ).exists() or (
                    PACKAGE.parent / (target + "." + alias.name).replace(".", "/") / "__init__.py"
                ).exists():
                    found.add(f"{target}.{alias.name}")
    found.discard(module)
    return found


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "stormbridge"


def test_the_documented_layers_are_the_folders() -> None:
    layers = documented_layers()
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    assert set(layers) == folders | modules, "docs/architecture.md lists every folder once"


def test_imports_go_down_the_layers_only() -> None:
    layers = documented_layers()
    rank = {name: i for i, name in enumerate(layers)}
    wrong = []
    for module, path in all_modules().items():
        if module == "stormbridge":
            continue  # the package root is the public face that wires the layers together
        for target in imports_of(path):
            target_layer = "stormbridge" if target == "stormbridge" else layer_of(target)
            source_layer = layer_of(module)
            if target_layer == "stormbridge":
                # importing the root (e.g. __version__) is allowed from the CLI and the
                # compatibility packages only
                if source_layer != "cli":
                    wrong.append(f"{module} -> stormbridge (the package root)")
                continue
            if rank[target_layer] > rank[source_layer]:
                wrong.append(f"{module} ({source_layer}) -> {target} ({target_layer})")
    assert not wrong, "imports that go up the layers:\n" + "\n".join(sorted(wrong))


def test_no_import_circles() -> None:
    modules = all_modules()
    graph = {
        m: sorted(t for t in imports_of(p) if t in modules and t != "stormbridge")
        for m, p in modules.items()
        if m != "stormbridge"
    }
    # A package's __init__ that imports its own modules is not a circle with them when
    # those modules import siblings only (Python imports the parent package first anyway).
    state: dict[str, int] = {}
    stack: list[str] = []
    circles: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                circles.append(" -> ".join([*stack[stack.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node)
    assert not circles, "import circles:\n" + "\n".join(circles)


def test_the_runtime_imports_only_itself_and_errors() -> None:
    for module, path in all_modules().items():
        if layer_of(module) != "runtime":
            continue
        for target in imports_of(path):
            assert target.startswith(("stormbridge.runtime", "stormbridge.errors")), (
                f"{module} imports {target}: the worker runtime ships alone in the jar"
            )
