"""``sparse activate`` and ``sparse deactivate``: resume or pause a topology's spouts (bolts
keep draining while it is deactivated)."""

from __future__ import annotations

import argparse

from . import _common

__all__ = ["add_parser", "run"]

#: command -> (help, description)
_COMMANDS = {
    "activate": (
        "resume a deactivated topology",
        "Activate a topology: its spouts' next_tuple is called again.",
    ),
    "deactivate": (
        "pause a running topology's spouts",
        "Deactivate a topology: its spouts' next_tuple stops being called.",
    ),
}


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for command, (help_text, description) in _COMMANDS.items():
        parser = subparsers.add_parser(command, help=help_text, description=description)
        _common.add_running_topology(parser)
        parser.set_defaults(func=run, command=command)


def run(args: argparse.Namespace) -> int:
    ctx = _common.load_context(args)
    name = _common.topology_name(args, ctx.project)
    with _common.connect_nimbus(ctx.env, args.timeout) as nimbus:
        if args.command == "activate":
            nimbus.activate(name)
        else:
            nimbus.deactivate(name)
        print(f"{args.command.capitalize()}d topology {name} on {nimbus.address}")
    return 0
