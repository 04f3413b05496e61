"""``sparse deactivate``: pause a topology's spouts (bolts keep draining)."""

from __future__ import annotations

import argparse

from . import _common

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "deactivate",
        help="pause a running topology's spouts",
        description="Deactivate a topology: its spouts' next_tuple stops being called.",
    )
    _common.add_running_topology(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ctx = _common.load_context(args)
    name = _common.topology_name(args, ctx.project)
    with _common.connect_nimbus(ctx.env, args.timeout) as nimbus:
        nimbus.deactivate(name)
        print(f"Deactivated topology {name} on {nimbus.address}")
    return 0
