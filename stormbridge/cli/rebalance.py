"""``sparse rebalance``: change a running topology's workers and per-component executors."""

from __future__ import annotations

import argparse

from . import _common

__all__ = ["add_parser", "parse_executor", "run"]


def parse_executor(text: str) -> tuple[str, int]:
    """``COMPONENT=N`` → ``(component, n)`` for ``-e``; an argparse usage error otherwise."""
    component, sep, count = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not COMPONENT=N (on rebalance, -e is --executor; the environment is "
            "--environment)"
        )
    if not component:
        raise argparse.ArgumentTypeError(f"{text!r} has no component name before '='")
    try:
        n = int(count)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: {count!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: executors must be 1 or more")
    return component, n


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "rebalance",
        help="change a running topology's workers or executors",
        description=(
            "Rebalance a topology: Storm deactivates it for --wait seconds, redistributes it "
            "over -w workers and -e executor counts, and restores its state. Note: here -e is "
            "--executor (as in `storm rebalance`); choose the environment with --environment."
        ),
    )
    parser.add_argument("--environment", metavar="ENV", help="environment in config.json")
    _common.add_name(parser)
    _common.add_override_name(parser)
    _common.add_config(parser)
    _common.add_timeout(parser)
    _common.add_wait(parser)
    _common.add_workers(parser)
    parser.add_argument(
        "-e",
        "--executor",
        dest="executors",
        action="append",
        type=parse_executor,
        default=[],
        metavar="COMPONENT=N",
        help="new executor count of one component (repeatable)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ctx = _common.load_context(args)
    name = _common.topology_name(args, ctx.project)
    executors = dict(args.executors)
    with _common.connect_nimbus(ctx.env, args.timeout) as nimbus:
        nimbus.rebalance(
            name, wait_secs=args.wait, num_workers=args.workers, num_executors=executors or None
        )
        where = nimbus.address
    changes = []
    if args.workers is not None:
        changes.append(f"{args.workers} workers")
    changes.extend(f"{c}={n} executors" for c, n in sorted(executors.items()))
    what = ", ".join(changes) or "same layout"
    print(f"Rebalancing topology {name} on {where} ({what}) after {args.wait} s")
    return 0
