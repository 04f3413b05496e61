"""``sparse kill``: kill a running topology (Storm deactivates it for ``--wait`` seconds first)."""

from __future__ import annotations

import argparse

from . import _common

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "kill",
        help="kill a running topology",
        description="Kill a topology on the env's Nimbus. Any name is allowed with -n.",
    )
    _common.add_running_topology(parser)
    _common.add_wait(parser, short=True)
    parser.add_argument(
        "--block",
        action="store_true",
        help="return only once Nimbus no longer lists the topology",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ctx = _common.load_context(args)
    name = _common.topology_name(args, ctx.project)
    with _common.connect_nimbus(ctx.env, args.timeout) as nimbus:
        nimbus.kill(name, wait_secs=args.wait, wait=args.block, deadline=args.wait + 60)
        where = nimbus.address
    if args.block:
        print(f"Killed topology {name} on {where}: gone")
    else:
        print(f"Killed topology {name} on {where}: Storm removes it in about {args.wait} s")
    return 0
