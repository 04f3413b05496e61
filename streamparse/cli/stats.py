"""``sparse stats``: topology and component stats from the Storm UI (stormbridge's)."""

from __future__ import annotations

import argparse
from typing import Any

from .common import add_config, add_environment, add_name, run_sparse, sparse_argv

__all__ = ["display_stats", "main", "subparser_hook"]


def display_stats(
    env_name: str | None,
    topology_name: str | None = None,
    component_name: str | None = None,
    all_components: bool = False,
    config_file: Any = None,
) -> None:
    """Print the stats of a topology (one component with ``component_name``)."""
    extra = (["--component", component_name] if component_name else []) + (
        ["--all"] if all_components else []
    )
    run_sparse(
        sparse_argv(
            "stats", env_name=env_name, name=topology_name, config_file=config_file, extra=extra
        )
    )


def subparser_hook(subparsers: Any) -> None:
    parser = subparsers.add_parser("stats", help="display stats of a topology")
    parser.set_defaults(func=main)
    parser.add_argument("--all", action="store_true", help="all available stats")
    parser.add_argument("-c", "--component", help="one component's stats")
    add_config(parser)
    add_environment(parser)
    add_name(parser)


def main(args: argparse.Namespace) -> None:
    display_stats(
        args.environment,
        topology_name=args.name,
        component_name=args.component,
        all_components=args.all,
        config_file=args.config,
    )
