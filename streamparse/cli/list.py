"""``sparse list``: the topologies Nimbus runs (stormbridge's ``sparse list``)."""

from __future__ import annotations

import argparse
from typing import Any

from .common import add_config, add_environment, add_timeout, run_sparse, sparse_argv

__all__ = ["list_topologies", "main", "subparser_hook"]


def list_topologies(
    env_name: str | None = None, timeout: int | None = None, config_file: Any = None
) -> None:
    """Print the running topologies; ``timeout`` in milliseconds."""
    run_sparse(sparse_argv("list", env_name=env_name, config_file=config_file, timeout=timeout))


def subparser_hook(subparsers: Any) -> None:
    parser = subparsers.add_parser("list", help="list running topologies")
    parser.set_defaults(func=main)
    add_config(parser)
    add_environment(parser)
    add_timeout(parser)


def main(args: argparse.Namespace) -> None:
    list_topologies(args.environment, timeout=args.timeout, config_file=args.config)
