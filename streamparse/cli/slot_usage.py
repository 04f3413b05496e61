"""``sparse slot_usage``: used and free worker slots per supervisor, read from Nimbus."""

from __future__ import annotations

import argparse
from typing import Any

from ._nimbus_tables import slot_usage_rows
from .common import add_config, add_environment

__all__ = ["display_slot_usage", "main", "subparser_hook"]


def display_slot_usage(env_name: str | None, config_file: Any = None) -> None:
    """Print each supervisor's slots, used slots and the topologies running there."""
    slot_usage_rows(env_name, config_file)


def subparser_hook(subparsers: Any) -> None:
    parser = subparsers.add_parser("slot_usage", help="display slots used per supervisor")
    parser.set_defaults(func=main)
    add_config(parser)
    add_environment(parser)


def main(args: argparse.Namespace) -> None:
    display_slot_usage(args.environment, config_file=args.config)
