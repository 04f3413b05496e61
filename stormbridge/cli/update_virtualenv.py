"""``sparse update_virtualenv``: create or update the topology's virtualenv on every worker host
over SSH, without submitting (what ``sparse submit`` does first; ``docs/deploy.md``)."""

from __future__ import annotations

import argparse

from ..errors import ConfigError
from . import _common, _deploy

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "update_virtualenv",
        help="create or update the topology's virtualenv on the worker hosts (SSH)",
        description="Build the wheels of virtualenvs/<name>.txt here and install them into "
        "<virtualenv_root>/<virtualenv_name or topology name> on every worker host over SSH. "
        "A host whose virtualenv has the same wheels is skipped.",
    )
    _common.add_environment(parser)
    _common.add_name(parser)
    _common.add_override_name(parser)
    _common.add_config(parser)
    _common.add_timeout(parser)
    _deploy.add_deploy_flags(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ctx = _common.load_context(args)
    if not ctx.env.use_virtualenv:
        raise ConfigError(
            f"env {ctx.env.name!r} does not use virtualenvs: set envs.{ctx.env.name}."
            "use_virtualenv to true and virtualenv_root to their folder on the workers"
        )
    name = _common.topology_name(args, ctx.project)
    report = _deploy.deploy_virtualenv(ctx, args, name, _deploy.ssh_settings(ctx, args))
    counts = {a: sum(r.action == a for r in report.results) for a in ("created", "rebuilt")}
    skipped = sum(r.action == "unchanged" for r in report.results)
    print(
        f"Virtualenv {report.target.path}: {counts['created']} created, {counts['rebuilt']} "
        f"rebuilt, {skipped} unchanged on {len(report.results)} host(s) in {report.seconds:.1f} s"
    )
    return 0
