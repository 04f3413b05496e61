"""``sparse kill``: kill a running topology (stormbridge's ``sparse kill``)."""

from __future__ import annotations

import argparse
from typing import Any

from .common import (
    add_config,
    add_environment,
    add_name,
    add_timeout,
    add_wait,
    run_sparse,
    sparse_argv,
)

__all__ = ["kill_topology", "main", "subparser_hook"]


def kill_topology(
    topology_name: str | None = None,
    env_name: str | None = None,
    wait: int | None = None,
    timeout: int | None = None,
    config_file: Any = None,
) -> None:
    """Kill ``topology_name`` (Storm deactivates it for ``wait`` seconds first);
    ``timeout`` in milliseconds."""
    extra = ["--wait", str(wait)] if wait is not None else []
    run_sparse(
        sparse_argv(
            "kill", env_name=env_name, name=topology_name, config_file=config_file,
            timeout=timeout, extra=extra,
        )
    )  # fmt: skip


def subparser_hook(subparsers: Any) -> None:
    parser = subparsers.add_parser("kill", help="kill a running topology")
    parser.set_defaults(func=main)
    add_config(parser)
    add_environment(parser)
    add_name(parser)
    add_timeout(parser)
    add_wait(parser)


def main(args: argparse.Namespace) -> None:
    kill_topology(
        topology_name=args.name,
        env_name=args.environment,
        wait=args.wait,
        timeout=args.timeout,
        config_file=args.config,
    )
