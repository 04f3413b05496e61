"""``sparse jar``: build the topology jar (stormbridge's ``sparse jar``)."""

from __future__ import annotations

import argparse
from typing import Any

from .common import add_simple_jar, run_sparse, sparse_argv

__all__ = ["jar_for_deploy", "main", "subparser_hook"]


def jar_for_deploy(simple_jar: bool = False, name: str | None = None) -> None:
    """Build the jar of the project's topology (``simple_jar``: no project.clj JVM jars)."""
    run_sparse(sparse_argv("jar", name=name, extra=["--simple_jar"] if simple_jar else []))


def subparser_hook(subparsers: Any) -> None:
    parser = subparsers.add_parser("jar", help="build the topology jar")
    parser.set_defaults(func=main)
    add_simple_jar(parser)


def main(args: argparse.Namespace) -> None:
    jar_for_deploy(simple_jar=args.simple_jar)
