"""Entry point of ``sparse``: builds the parser from the subcommand modules and maps errors
to exit codes (0 ok, 1 failure, 2 usage, 130 interrupted).

Every subcommand module in :data:`COMMANDS` defines::

    def add_parser(subparsers) -> None      # adds its parser, calls set_defaults(func=run)
    def run(args: argparse.Namespace) -> int

Library code raises :class:`stormbridge.errors.StormBridgeError`; only this module turns
it into a one-line message and an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import StormBridgeError

#: Subcommand modules under ``stormbridge.cli``, in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = (
    "quickstart",
    "run",
    "submit",
    "update_virtualenv",
    "kill",
    "list",
    "activate",  # and "deactivate"
    "rebalance",
    "jar",
    "stats",
    "tail",
    "remove_logs",
    "worker_uptime",
    "slot_usage",
    "visualize",
    "cluster",
    "container",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sparse",
        description="Python spouts and bolts on real Apache Storm (streamparse-compatible).",
    )
    parser.add_argument("--version", action="version", version=f"stormbridge {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{name}":
                raise
            continue  # subcommand not built yet
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``sparse`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # argparse: --help/--version (0) or a usage error (2)
        return int(exc.code or 0)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(func(args) or 0)
    except StormBridgeError as exc:
        print(f"sparse: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sparse: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
