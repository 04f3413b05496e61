"""``sparse update_virtualenv``: the topology's virtualenv on the worker hosts (stormbridge's)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from .common import (
    add_config,
    add_environment,
    add_name,
    add_options,
    add_override_name,
    add_overwrite_virtualenv,
    add_pool_size,
    add_requirements,
    add_user,
    run_sparse,
    sparse_argv,
)

__all__ = ["create_or_update_virtualenvs", "main", "subparser_hook"]


def create_or_update_virtualenvs(
    env_name: str | None,
    topology_name: str | None,
    options: dict[str, Any] | None = None,
    virtualenv_name: str | None = None,
    requirements_paths: Sequence[str] | None = None,
    config_file: Any = None,
    overwrite_virtualenv: bool = False,
    user: str | None = None,
) -> None:
    """Create or update the virtualenv of ``topology_name`` on every worker host."""
    extra: list[str] = []
    for path in requirements_paths or ():
        extra += ["--requirements", str(path)]
    if overwrite_virtualenv:
        extra.append("--overwrite_virtualenv")
    sudo_user = user or (options or {}).get("sudo_user")
    if sudo_user:
        extra += ["--user", str(sudo_user)]
    run_sparse(
        sparse_argv(
            "update_virtualenv", env_name=env_name, name=topology_name,
            override_name=virtualenv_name, config_file=config_file, extra=extra,
        )
    )  # fmt: skip


def subparser_hook(subparsers: Any) -> None:
    parser = subparsers.add_parser("update_virtualenv", help="create or update virtualenvs")
    parser.set_defaults(func=main)
    add_config(parser)
    add_environment(parser)
    add_overwrite_virtualenv(parser)
    add_name(parser)
    add_options(parser)
    add_override_name(parser)
    add_pool_size(parser)
    add_requirements(parser)
    add_user(parser)


def main(args: argparse.Namespace) -> None:
    create_or_update_virtualenvs(
        args.environment,
        args.name,
        args.options,
        virtualenv_name=args.override_name,
        requirements_paths=args.requirements,
        config_file=args.config,
        overwrite_virtualenv=args.overwrite_virtualenv,
    )
