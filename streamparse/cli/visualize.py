"""``sparse visualize``: draw the topology with Graphviz (stormbridge's ``sparse visualize``)."""

from __future__ import annotations

import argparse
from typing import Any

from .common import add_name, run_sparse, sparse_argv

__all__ = ["main", "subparser_hook", "visualize_topology"]


def visualize_topology(
    name: str | None = None, format: str | None = None, filename: str | None = None
) -> None:
    """Render topology ``name`` to ``filename`` (default NAME.FORMAT, PNG)."""
    extra = (["--format", format] if format else []) + (
        ["--output_file", filename] if filename else []
    )
    run_sparse(sparse_argv("visualize", name=name, extra=extra))


def subparser_hook(subparsers: Any) -> None:
    parser = subparsers.add_parser("visualize", help="draw the topology with Graphviz")
    parser.set_defaults(func=main)
    add_name(parser)
    parser.add_argument("-f", "--format", help="file extension of the graph (default png)")
    parser.add_argument("-o", "--output_file", help="output file (default NAME.FORMAT)")


def main(args: argparse.Namespace) -> None:
    visualize_topology(name=args.name, format=args.format, filename=args.output_file)
