"""``sparse visualize``: the topology as a Graphviz graph.

As streamparse does, it renders an image with Graphviz by default: ``NAME.png`` in the current
directory, ``-f svg|pdf|jpeg|dot`` for another format, ``-o FILE`` for another file (the format
is taken from FILE's extension when ``-f`` is not given; a FILE without a known extension gets
``.<format>`` appended). ``--dot`` prints the DOT text to stdout instead (no Graphviz needed).
Images are rendered by the Graphviz ``dot`` program (found on ``PATH``, run without a shell,
with a deadline); when it is missing the error names the package to install.
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

_FORMATS = ("png", "svg", "pdf", "jpeg", "dot")
#: File extensions that name a format when ``-f`` is not given.
_EXTENSIONS = {
    ".png": "png",
    ".svg": "svg",
    ".pdf": "pdf",
    ".jpeg": "jpeg",
    ".jpg": "jpeg",
    ".dot": "dot",
    ".gv": "dot",
}
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
    lines = [
        f"digraph {_quote(name)} {{",
        "  rankdir=LR;",
        '  node [fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
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
        help="draw the topology with Graphviz (NAME.png by default)",
        description="Render the topology with Graphviz's `dot` (NAME.png by default), or print "
        "its DOT text with --dot.",
    )
    _common.add_name(parser)
    _common.add_config(parser)
    parser.add_argument(
        "-f",
        "--format",
        choices=_FORMATS,
        default=None,
        help="image format (default: from -o's extension, else png); dot writes the DOT text",
    )
    parser.add_argument(
        "-o",
        "--output_file",
        metavar="FILE",
        help="write here (default NAME.<format> in the current directory)",
    )
    parser.add_argument(
        "--dot",
        action="store_true",
        help="print the DOT text to stdout instead of rendering (no Graphviz needed)",
    )
    parser.set_defaults(func=run)


def output_target(name: str, fmt: str | None, output_file: str | None) -> tuple[str, Path]:
    """The format and file ``sparse visualize`` writes, streamparse's way: ``-f`` wins, else
    ``-o``'s extension, else png; without ``-o`` the file is ``NAME.<format>``, and an ``-o``
    without a known extension gets ``.<format>`` appended."""
    if output_file is None:
        fmt = fmt or "png"
        return fmt, Path(f"{name}.{fmt}")
    out = Path(output_file)
    from_suffix = _EXTENSIONS.get(out.suffix.lower())
    fmt = fmt or from_suffix or "png"
    if from_suffix is None:
        out = out.with_name(f"{out.name}.{fmt}")
    return fmt, out


def run(args: argparse.Namespace) -> int:
    project = load_project(args.config)
    topology_cls = load_topology(project, args.name)
    name = _common.topology_name(args, project)
    dot = topology_dot(name, topology_cls.specs)
    if args.dot:
        if args.format or args.output_file:
            raise ConfigError("--dot prints the DOT text to stdout: leave out -f and -o")
        sys.stdout.write(dot)
        return 0
    fmt, out = output_target(name, args.format, args.output_file)
    if not out.parent.is_dir():
        raise ConfigError(f"cannot write {out}: the folder {out.parent} does not exist")
    if fmt == "dot":
        try:
            out.write_text(dot, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write {out}: {exc.strerror or exc}") from exc
    else:
        render(dot, fmt, out)
    print(f"Wrote {out} ({fmt}, {_common.human_size(out.stat().st_size)})")
    return 0


def render(dot: str, fmt: str, out: Path) -> None:
    """Render ``dot`` to ``out`` with Graphviz's ``dot`` program."""
    exe = shutil.which("dot")
    if exe is None:
        raise ConfigError(
            "rendering the topology needs the Graphviz `dot` program, which is not on PATH: "
            "install the Debian package graphviz (`apt-get install graphviz`, or `make "
            "system-deps`; elsewhere e.g. `brew install graphviz`), or print the DOT text "
            "with --dot"
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
    except OSError as exc:
        raise StormBridgeError(f"cannot run Graphviz dot ({exe}): {exc}") from exc
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip()
        raise StormBridgeError(f"Graphviz dot failed (exit {proc.returncode}): {detail}")
