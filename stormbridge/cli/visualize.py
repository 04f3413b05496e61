"""``sparse visualize``: the topology as a Graphviz graph.

Without ``-f`` the DOT text goes to stdout (or ``-o FILE``); pipe it to any Graphviz tool. With
``-f png|svg|pdf|jpeg`` the Graphviz ``dot`` program renders it (found on ``PATH``; run without a
shell, with a deadline); if ``dot`` is missing the command says how to install it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import ConfigError, StormBridgeError
from ..project.loader import load_project, load_topology
from . import _common

__all__ = ["add_parser", "run", "topology_dot"]

_FORMATS = ("dot", "png", "svg", "pdf", "jpeg")
_RENDER_TIMEOUT = 60.0


def _quote(text: object) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _grouping(grouping: Any) -> str:
    if getattr(grouping, "is_global", False):
        return "global"
    kind = getattr(grouping, "kind", None)
    if kind == "fields":
        return "fields(" + ", ".join(grouping.field_names) + ")"
    return str(kind or grouping).lower()


def _par(par: Any) -> str:
    if isinstance(par, dict):
        return ", ".join(f"{env}: {n}" for env, n in sorted(par.items()))
    return str(par)


def topology_dot(name: str, specs: Iterable[Any]) -> str:
    """DOT text for a topology's component specs (spouts as boxes, bolts as ellipses)."""
    lines = [f"digraph {_quote(name)} {{", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    specs = list(specs)
    for spec in specs:
        shape = "box" if getattr(spec, "is_spout", False) else "ellipse"
        cls = getattr(spec, "component_cls", None)
        label = f"{spec.name}\n{getattr(cls, '__name__', '')} x{_par(spec.par)}"
        lines.append(f"  {_quote(spec.name)} [shape={shape}, label={_quote(label)}];")
    for spec in specs:
        for stream_id, grouping in spec.inputs.items():
            source = stream_id.componentId
            source_name = source if isinstance(source, str) else source.name
            stream = stream_id.streamId
            label = (
                _grouping(grouping) if stream == "default" else f"{stream}: {_grouping(grouping)}"
            )
            lines.append(f"  {_quote(source_name)} -> {_quote(spec.name)} [label={_quote(label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "visualize",
        help="draw the topology with Graphviz",
        description="Print the topology as Graphviz DOT, or render it with `dot` (-f).",
    )
    _common.add_name(parser)
    _common.add_config(parser)
    parser.add_argument(
        "-f",
        "--format",
        choices=_FORMATS,
        default="dot",
        help="output format; anything but dot needs the Graphviz `dot` program (default dot)",
    )
    parser.add_argument(
        "-o",
        "--output_file",
        metavar="FILE",
        help="write here instead of stdout (required for images)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    project = load_project(args.config)
    topology_cls = load_topology(project, args.name)
    name = _common.topology_name(args, project)
    dot = topology_dot(name, topology_cls.specs)
    if args.format == "dot":
        if args.output_file:
            Path(args.output_file).write_text(dot, encoding="utf-8")
            print(f"Wrote {args.output_file}")
        else:
            sys.stdout.write(dot)
        return 0
    if not args.output_file:
        raise ConfigError(f"-f {args.format} writes an image: give the file with -o FILE")
    render(dot, args.format, Path(args.output_file))
    print(f"Wrote {args.output_file}")
    return 0


def render(dot: str, fmt: str, out: Path) -> None:
    """Render ``dot`` to ``out`` with Graphviz's ``dot`` program."""
    exe = shutil.which("dot")
    if exe is None:
        raise ConfigError(
            "rendering images needs the Graphviz `dot` program, which is not on PATH: install "
            "Graphviz (apt-get install graphviz, brew install graphviz), or use -f dot"
        )
    try:
        proc = subprocess.run(
            [exe, f"-T{fmt}", "-o", str(out)],
            input=dot.encode("utf-8"),
            capture_output=True,
            timeout=_RENDER_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise StormBridgeError(f"Graphviz dot did not finish in {_RENDER_TIMEOUT:g} s") from exc
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip()
        raise StormBridgeError(f"Graphviz dot failed (exit {proc.returncode}): {detail}")
