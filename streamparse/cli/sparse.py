"""``streamparse.cli.sparse``: streamparse's ``sparse`` parser (``load_subparsers``, ``main``).

The installed ``sparse``/``streamparse`` commands are stormbridge's own CLI
(``stormbridge.cli.main``); this module serves scripts that build streamparse's parser.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Any

from stormbridge.errors import StormBridgeError

__all__ = ["SUBCOMMANDS", "load_subparsers", "main"]

SUBCOMMANDS = (
    "jar",
    "kill",
    "list",
    "quickstart",
    "remove_logs",
    "run",
    "slot_usage",
    "stats",
    "submit",
    "tail",
    "update_virtualenv",
    "visualize",
    "worker_uptime",
)


def load_subparsers(subparsers: Any) -> None:
    """Add every subcommand's parser (each module's ``subparser_hook``)."""
    for name in SUBCOMMANDS:
        importlib.import_module(f"{__package__}.{name}").subparser_hook(subparsers)


def main(argv: list[str] | None = None) -> int:
    """Parse streamparse's command line and run the subcommand; returns the exit code."""
    parser = argparse.ArgumentParser(prog="sparse", description="streamparse's sparse commands")
    subparsers = parser.add_subparsers(title="sub-commands")
    load_subparsers(subparsers)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        func(args)
    except StormBridgeError as exc:
        print(f"sparse: error: {exc}", file=sys.stderr)
        return 1
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
