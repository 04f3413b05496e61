"""``sparse slot_usage``: per worker host, its slots (used/total) and the executors of each
topology running there (Storm UI REST API)."""

from __future__ import annotations

import argparse

from ..ui.client import UIClient
from . import _common
from ._workers import running_workers

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "slot_usage",
        help="slots and executors per worker host (Storm UI)",
        description="For each supervisor host: slots used and total, and the workers and "
        "executors of each topology on it.",
    )
    _common.add_cluster(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ctx = _common.load_context(args)
    ui = UIClient(ctx.env.ui_url, timeout=args.timeout)
    per_host: dict[str, list[int]] = {}
    for s in ui.supervisor_summary():
        used_total = per_host.setdefault(s.host, [0, 0])
        used_total[0] += s.slots_used
        used_total[1] += s.slots_total
    placed: dict[tuple[str, str], list[int]] = {}
    for w in running_workers(ui):
        key = (str(w.get("host")), str(w.get("topologyName")))
        counts = placed.setdefault(key, [0, 0])
        counts[0] += 1
        counts[1] += int(w.get("executorsTotal") or 0)
    rows = []
    for host in sorted(set(per_host) | {h for h, _ in placed}):
        used, total = per_host.get(host, [0, 0])
        topologies: list[str | None] = [*sorted(t for h, t in placed if h == host)] or [None]
        for topo in topologies:
            workers, executors = placed.get((host, str(topo)), [0, 0])
            rows.append([host, f"{used}/{total}", topo, workers, executors])
    _common.print_table(["host", "slots used", "topology", "workers", "executors"], rows)
    return 0
