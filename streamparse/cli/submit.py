"""``sparse submit``: build the jar and submit the topology (stormbridge's ``sparse submit``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from stormbridge.errors import ConfigError

from .common import (
    add_ackers,
    add_config,
    add_debug,
    add_environment,
    add_name,
    add_options,
    add_override_name,
    add_overwrite_virtualenv,
    add_pool_size,
    add_requirements,
    add_timeout,
    add_user,
    add_wait,
    add_workers,
    run_sparse,
    sparse_argv,
)

__all__ = ["main", "submit_topology", "subparser_hook"]


def submit_topology(
    name: str | None = None,
    env_name: str | None = None,
    options: dict[str, Any] | None = None,
    force: bool = False,
    wait: int | None = None,
    simple_jar: bool = True,
    override_name: str | None = None,
    requirements_paths: Sequence[str] | None = None,
    local_jar_path: str | None = None,
    remote_jar_path: str | None = None,
    timeout: int | None = None,
    config_file: Any = None,
    overwrite_virtualenv: bool = False,
    user: str | None = None,
    active: bool = True,
) -> None:
    """Submit topology ``name`` to the env's Nimbus; ``timeout`` in milliseconds."""
    if remote_jar_path:
        raise ConfigError(
            "remote_jar_path is not supported: stormbridge uploads the jar to Nimbus itself "
            "(pass local_jar_path to submit a prebuilt jar)"
        )
    extra: list[str] = []
    for path in requirements_paths or ():
        extra += ["--requirements", str(path)]
    if overwrite_virtualenv:
        extra.append("--overwrite_virtualenv")
    if user:
        extra += ["--user", str(user)]
    if force:
        extra.append("--force")
    if not active:
        extra.append("--inactive")
    if wait is not None:
        extra += ["--wait", str(wait)]
    if local_jar_path:
        extra += ["--local_jar_path", str(local_jar_path)]
    run_sparse(
        sparse_argv(
            "submit", env_name=env_name, name=name, override_name=override_name,
            config_file=config_file, options=options, timeout=timeout, extra=extra,
        )
    )  # fmt: skip


def subparser_hook(subparsers: Any) -> None:
    parser = subparsers.add_parser("submit", help="submit a topology to a Storm cluster")
    parser.set_defaults(func=main)
    add_ackers(parser)
    add_config(parser)
    add_debug(parser)
    add_environment(parser)
    parser.add_argument("-f", "--force", action="store_true", help="kill a running one first")
    parser.add_argument("-i", "--inactive", action="store_false", dest="active", help="inactive")
    parser.add_argument("-j", "--local_jar_path", help="submit this jar")
    add_name(parser)
    add_options(parser)
    add_override_name(parser)
    add_overwrite_virtualenv(parser)
    add_pool_size(parser)
    add_requirements(parser)
    parser.add_argument("-R", "--remote_jar_path", help="(not supported by stormbridge)")
    add_timeout(parser)
    parser.add_argument(
        "-u", "--uber_jar", action="store_false", dest="simple_jar",
        help="include JVM dependencies (stormbridge always does unless the jar is simple)",
    )  # fmt: skip
    add_user(parser)
    add_wait(parser)
    add_workers(parser)


def main(args: argparse.Namespace) -> None:
    submit_topology(
        name=args.name,
        env_name=args.environment,
        options=args.options,
        force=args.force,
        wait=args.wait,
        simple_jar=args.simple_jar,
        override_name=args.override_name,
        requirements_paths=args.requirements,
        local_jar_path=args.local_jar_path,
        remote_jar_path=args.remote_jar_path,
        timeout=args.timeout,
        config_file=args.config,
        overwrite_virtualenv=args.overwrite_virtualenv,
        active=args.active,
    )
