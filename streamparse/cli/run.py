"""``sparse run``: the topology in Storm local mode (stormbridge's ``sparse run``)."""

from __future__ import annotations

import argparse
from typing import Any

from .common import (
    add_ackers,
    add_config,
    add_debug,
    add_environment,
    add_name,
    add_options,
    add_workers,
    run_sparse,
    sparse_argv,
)

__all__ = ["main", "run_local_topology", "subparser_hook"]


def run_local_topology(
    name: str | None = None,
    env_name: str | None = None,
    time: float = 0,
    options: dict[str, Any] | None = None,
    config_file: Any = None,
) -> None:
    """Run topology ``name`` in local mode for ``time`` seconds (0: until Ctrl-C)."""
    extra = ["-t", str(time)] if time else []
    run_sparse(
        sparse_argv(
            "run", env_name=env_name, name=name, config_file=config_file, options=options,
            extra=extra,
        )
    )  # fmt: skip


def subparser_hook(subparsers: Any) -> None:
    parser = subparsers.add_parser("run", help="run a topology in Storm local mode")
    parser.set_defaults(func=main)
    add_ackers(parser)
    add_config(parser)
    add_debug(parser)
    add_environment(parser)
    add_name(parser)
    add_options(parser)
    parser.add_argument("-t", "--time", default=0, type=int, help="seconds to run (0: forever)")
    add_workers(parser)


def main(args: argparse.Namespace) -> None:
    run_local_topology(
        name=args.name,
        time=args.time,
        options=args.options,
        env_name=args.environment,
        config_file=args.config,
    )
