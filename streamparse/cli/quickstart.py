"""``sparse quickstart``: create a new project (stormbridge's ``sparse quickstart``)."""

from __future__ import annotations

import argparse
from typing import Any

from .common import run_sparse

__all__ = ["main", "quickstart", "subparser_hook"]


def quickstart(project_name: str) -> None:
    """Create ``./project_name`` with a word-count topology."""
    run_sparse(["quickstart", "--", project_name])


def subparser_hook(subparsers: Any) -> None:
    parser = subparsers.add_parser("quickstart", help="create a new streamparse project")
    parser.set_defaults(func=main)
    parser.add_argument("project_name", help="name of the new project")


def main(args: argparse.Namespace) -> None:
    quickstart(args.project_name)
