"""``sparse remove_logs``: delete a topology's worker logs (stormbridge's ``sparse
remove_logs``)."""

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
    add_user,
    run_sparse,
    sparse_argv,
)

__all__ = ["main", "remove_logs", "subparser_hook"]


def remove_logs(
    topology_name: str | None = None,
    env_name: str | None = None,
    pattern: str | None = None,
    remove_worker_logs: bool = False,
    user: str | None = None,
    override_name: str | None = None,
    remove_all_artifacts: bool = False,
    options: dict[str, Any] | None = None,
    config_file: Any = None,
    pool_size: int | None = None,
) -> None:
    """Remove the topology's worker logs on every worker host over SSH (``remove_all_artifacts``:
    its whole workers-artifacts folders)."""
    extra: list[str] = []
    if pattern:
        extra += ["--pattern", str(pattern)]
    if remove_all_artifacts:
        extra.append("--remove_all_artifacts")
    sudo_user = user or (options or {}).get("sudo_user")
    if sudo_user:
        extra += ["--user", str(sudo_user)]
    if pool_size:
        extra += ["--pool_size", str(pool_size)]
    run_sparse(
        sparse_argv(
            "remove_logs", env_name=env_name, name=topology_name, override_name=override_name,
            config_file=config_file, extra=extra,
        )
    )  # fmt: skip


def subparser_hook(subparsers: Any) -> None:
    parser = subparsers.add_parser("remove_logs", help="remove the topology's worker logs")
    parser.set_defaults(func=main)
    parser.add_argument("-A", "--remove_all_artifacts", action="store_true", help="all artifacts")
    add_config(parser)
    add_environment(parser)
    add_name(parser)
    add_override_name(parser)
    add_pattern(parser)
    add_pool_size(parser)
    add_user(parser, allow_short=True)
    parser.add_argument("-w", "--remove_worker_logs", action="store_true", help="worker logs too")


def main(args: argparse.Namespace) -> None:
    remove_logs(
        args.name,
        args.environment,
        pattern=args.pattern,
        remove_worker_logs=args.remove_worker_logs,
        override_name=args.override_name,
        remove_all_artifacts=args.remove_all_artifacts,
        options=args.options,
        config_file=args.config,
        pool_size=args.pool_size,
    )
