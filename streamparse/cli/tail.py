"""``sparse tail``: the worker logs of a topology (stormbridge's ``sparse tail``)."""

from __future__ import annotations

import argparse
from typing import Any

from .common import (
    add_config,
    add_environment,
    add_name,
    add_override_name,
    add_pattern,
    add_pool_size,
    run_sparse,
    sparse_argv,
)

__all__ = ["main", "subparser_hook", "tail_topology"]


def tail_topology(
    topology_name: str | None = None,
    env_name: str | None = None,
    pattern: str | None = None,
    follow: bool = False,
    num_lines: int = 10,
    override_name: str | None = None,
    config_file: Any = None,
    pool_size: int | None = None,
) -> None:
    """Print the last ``num_lines`` of the topology's worker logs on every worker host (over
    SSH, or through the logviewers), and with ``follow`` keep printing new lines."""
    extra = ["--num_lines", str(num_lines)]
    if pattern:
        extra += ["--pattern", str(pattern)]
    if follow:
        extra.append("--follow")
    if pool_size:
        extra += ["--pool_size", str(pool_size)]
    run_sparse(
        sparse_argv(
            "tail", env_name=env_name, name=topology_name, override_name=override_name,
            config_file=config_file, extra=extra,
        )
    )  # fmt: skip


def subparser_hook(subparsers: Any) -> None:
    parser = subparsers.add_parser("tail", help="tail the topology's worker logs")
    parser.set_defaults(func=main)
    add_config(parser)
    add_environment(parser)
    parser.add_argument("-f", "--follow", action="store_true", help="follow the logs")
    parser.add_argument("-l", "--num_lines", default=10, type=int, help="lines to show")
    add_name(parser)
    add_override_name(parser)
    add_pool_size(parser)
    add_pattern(parser)


def main(args: argparse.Namespace) -> None:
    tail_topology(
        args.name,
        args.environment,
        pattern=args.pattern,
        follow=args.follow,
        num_lines=args.num_lines,
        override_name=args.override_name,
        config_file=args.config,
        pool_size=args.pool_size,
    )
