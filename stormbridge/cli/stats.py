"""``sparse stats``: topology and component counts from the Storm UI REST API, as tables.

The UI is reached at ``ui.host`` (or the env's first Nimbus host) on ``ui.port`` (8080); no SSH
tunnel is ever opened. ``-n`` (default: the only topology file) shows one topology's totals,
spouts and bolts; ``-c`` one component's streams, executors and errors; ``--all`` the cluster
summary and every running topology.

``--watch [SECS]`` redraws one topology's components every SECS seconds (default 2) with rates
per second (emitted, acked, failed: the growth of Storm's counts over the last minute, see
:mod:`stormbridge.ui.rates`) and each bolt's capacity. On a terminal the table is redrawn in
place (rich); when stdout is a pipe or a file each refresh is a plain, colourless table under a
time stamp. Ctrl-C ends it (exit 0).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from typing import Any

from ..errors import UIError
from ..ui.client import UIClient
from ..ui.rates import ComponentRow, RateTracker, component_rows
from . import _common

__all__ = ["add_parser", "run"]

_WINDOWS = (":all-time", "600", "10800", "86400")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "stats",
        help="topology and component counts from the Storm UI",
        description="Show counts (emitted, acked, failed, latencies) from the Storm UI REST API.",
    )
    _common.add_environment(parser)
    _common.add_name(parser)
    _common.add_override_name(parser)
    _common.add_config(parser)
    _common.add_timeout(parser)
    parser.add_argument("-c", "--component", metavar="ID", help="show one component in detail")
    parser.add_argument(
        "--all", action="store_true", help="show the cluster and every running topology"
    )
    parser.add_argument(
        "--window",
        default=":all-time",
        choices=_WINDOWS,
        help="stats window in seconds, or :all-time (default)",
    )
    parser.add_argument(
        "--watch",
        nargs="?",
        const=2.0,
        type=_common.positive_float,
        metavar="SECS",
        help="refresh every SECS seconds (default 2) with rates per second and capacity; "
        "Ctrl-C stops",
    )
    parser.add_argument(
        "--iterations",
        type=_common.positive_int,
        metavar="N",
        help="with --watch: stop after N refreshes",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ctx = _common.load_context(args)
    ui = UIClient(ctx.env.ui_url, timeout=args.timeout)
    out = sys.stdout
    if args.all:
        _print_cluster(ui, out)
        for topo in ui.topology_summary():
            print(file=out)
            _print_topology(ui, topo.id, args.window, out)
        return 0
    name = _common.topology_name(args, ctx.project)
    topo_id = _find_id(ui, name)
    if args.watch is not None:
        if args.component or args.all:
            raise UIError("--watch shows one topology's components: leave out -c and --all")
        return _watch(ui, topo_id, args.watch, args.iterations, out)
    if args.iterations is not None:
        raise UIError("--iterations goes with --watch")
    if args.component:
        _print_component(ui, topo_id, args.component, args.window, out)
    else:
        _print_topology(ui, topo_id, args.window, out)
    return 0


def _find_id(ui: UIClient, name: str) -> str:
    summaries = ui.topology_summary()
    for topo in summaries:
        if topo.name == name:
            return topo.id
    running = ", ".join(sorted(t.name for t in summaries)) or "none"
    raise UIError(
        f"no topology named {name!r} is running on the cluster at {ui.base_url} "
        f"(running: {running}); submit it with `sparse submit -n {name}`"
    )


def _print_cluster(ui: UIClient, out: Any) -> None:
    c = ui.cluster_summary()
    print(f"Storm {c.storm_version or '?'} at {ui.base_url}", file=out)
    _common.print_table(
        ["supervisors", "slots used", "slots total", "executors", "tasks", "topologies"],
        [
            [
                c.supervisors,
                c.slots_used,
                c.slots_total,
                c.executors_total,
                c.tasks_total,
                c.topologies,
            ]
        ],
        out=out,
    )
    topologies = ui.topology_summary()
    if topologies:
        print(file=out)
        _common.print_table(
            ["name", "id", "status", "uptime s", "workers", "executors", "tasks"],
            [
                [
                    t.name,
                    t.id,
                    t.status,
                    t.uptime_seconds,
                    t.workers_total,
                    t.executors_total,
                    t.tasks_total,
                ]
                for t in topologies
            ],
            out=out,
        )


def _print_topology(ui: UIClient, topo_id: str, window: str, out: Any) -> None:
    t = ui.topology(topo_id, window=window)
    print(
        f"Topology {t.get('name')} ({t.get('id')}): {t.get('status')}, up "
        f"{t.get('uptime') or str(t.get('uptimeSeconds', '?')) + 's'}, "
        f"{t.get('workersTotal')} workers, {t.get('executorsTotal')} executors",
        file=out,
    )
    stats = t.get("topologyStats") or []
    _common.print_table(
        ["window", "emitted", "transferred", "acked", "failed", "complete ms"],
        [
            [
                s.get("windowPretty") or s.get("window"),
                s.get("emitted"),
                s.get("transferred"),
                s.get("acked"),
                s.get("failed"),
                _num(s.get("completeLatency")),
            ]
            for s in stats
        ],
        out=out,
    )
    print("\nSpouts", file=out)
    _common.print_table(
        ["spout", "executors", "tasks", "emitted", "acked", "failed", "complete ms", "last error"],
        [
            [
                s.get("spoutId"),
                s.get("executors"),
                s.get("tasks"),
                s.get("emitted"),
                s.get("acked"),
                s.get("failed"),
                _num(s.get("completeLatency")),
                _error(s.get("lastError")),
            ]
            for s in t.get("spouts") or []
        ],
        out=out,
    )
    print("\nBolts", file=out)
    _common.print_table(
        [
            "bolt",
            "executors",
            "tasks",
            "emitted",
            "executed",
            "acked",
            "failed",
            "process ms",
            "capacity",
            "last error",
        ],
        [
            [
                b.get("boltId"),
                b.get("executors"),
                b.get("tasks"),
                b.get("emitted"),
                b.get("executed"),
                b.get("acked"),
                b.get("failed"),
                _num(b.get("processLatency")),
                _num(b.get("capacity")),
                _error(b.get("lastError")),
            ]
            for b in t.get("bolts") or []
        ],
        out=out,
    )


def _print_component(ui: UIClient, topo_id: str, component: str, window: str, out: Any) -> None:
    c = ui.component(topo_id, component, window=window)
    print(
        f"{c.get('componentType', 'component')} {component} of {topo_id}: "
        f"{c.get('executors')} executors, {c.get('tasks')} tasks",
        file=out,
    )
    inputs = c.get("inputStats") or []
    if inputs:
        print("\nInputs", file=out)
        _common.print_table(
            ["from", "stream", "executed", "acked", "failed", "execute ms", "process ms"],
            [
                [
                    i.get("component"),
                    i.get("stream"),
                    i.get("executed"),
                    i.get("acked"),
                    i.get("failed"),
                    _num(i.get("executeLatency")),
                    _num(i.get("processLatency")),
                ]
                for i in inputs
            ],
            out=out,
        )
    print("\nOutputs", file=out)
    _common.print_table(
        ["stream", "emitted", "transferred", "acked", "failed"],
        [
            [
                o.get("stream"),
                o.get("emitted"),
                o.get("transferred"),
                o.get("acked"),
                o.get("failed"),
            ]
            for o in c.get("outputStats") or []
        ],
        out=out,
    )
    executors = c.get("executorStats") or []
    if executors:
        print("\nExecutors", file=out)
        _common.print_table(
            ["id", "host", "port", "uptime s", "emitted", "executed", "acked", "failed"],
            [
                [
                    e.get("id"),
                    e.get("host"),
                    e.get("port"),
                    e.get("uptimeSeconds"),
                    e.get("emitted"),
                    e.get("executed"),
                    e.get("acked"),
                    e.get("failed"),
                ]
                for e in executors
            ],
            out=out,
        )
    errors = c.get("componentErrors") or []
    print(f"\nErrors ({len(errors)})", file=out)
    for err in errors:
        where = f"{err.get('errorHost', '?')}:{err.get('errorPort', '?')}"
        print(f"--- {where} at {err.get('errorTime', '?')}", file=out)
        print(str(err.get("error", "")).rstrip(), file=out)


def _num(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _error(value: Any) -> str:
    if not value:
        return ""
    lines = [line for line in str(value).strip().splitlines() if line.strip()]
    last = lines[-1].strip() if lines else ""
    return last if len(last) <= 60 else last[:57] + "..."


# --- --watch ----------------------------------------------------------------------------------

_WATCH_HEADERS = [
    "component", "type", "executors", "emitted", "emitted/s", "acked/s", "failed/s",
    "capacity", "latency ms",
]  # fmt: skip


def _rate(rates: dict[str, float] | None, key: str) -> float | None:
    return None if rates is None else round(rates[key], 1)


def _watch_cells(row: ComponentRow, tracker: RateTracker) -> list[Any]:
    rates = tracker.rates(row.id)
    return [
        row.id,
        row.kind,
        row.executors,
        row.counts["emitted"],
        _rate(rates, "emitted"),
        _rate(rates, "acked"),
        _rate(rates, "failed"),
        row.capacity,
        row.latency_ms,
    ]


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def _watch_title(page: dict[str, Any], interval: float) -> str:
    return (
        f"{page.get('name')} ({page.get('id')}): {page.get('status')}, up "
        f"{page.get('uptime') or '?'}; every {interval:g} s, rates over the last "
        "minute; Ctrl-C stops"
    )


def _rich_table(page: dict[str, Any], rows: list[ComponentRow], tracker: RateTracker,
                interval: float) -> Any:  # fmt: skip
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table()
    for i, header in enumerate(_WATCH_HEADERS):
        table.add_column(header, justify="left" if i < 2 else "right")
    for row in rows:
        cells = [_text(c) for c in _watch_cells(row, tracker)]
        if row.capacity is not None and row.capacity >= 0.8:
            cells[7] = f"[bold red]{cells[7]}[/]"
        elif row.capacity is not None and row.capacity >= 0.5:
            cells[7] = f"[yellow]{cells[7]}[/]"
        table.add_row(*cells)
    return Group(Text(_watch_title(page, interval), style="bold"), table)


def _watch(ui: UIClient, topo_id: str, interval: float, iterations: int | None, out: Any) -> int:
    """Redraw the topology's components until Ctrl-C (or ``iterations`` refreshes)."""
    from rich.console import Console
    from rich.live import Live

    console = Console(file=out, highlight=False)
    in_place = console.is_terminal and not console.is_dumb_terminal
    tracker = RateTracker()
    done = 0
    try:
        with Live(console=console, auto_refresh=False) if in_place else _NoLive() as live:
            while True:
                page = ui.topology(topo_id)
                rows = component_rows(page)
                tracker.add(time.monotonic(), rows)
                if live is not None:
                    live.update(_rich_table(page, rows, tracker, interval), refresh=True)
                else:
                    stamp = datetime.now().strftime("%H:%M:%S")
                    print(f"[{stamp}] {_watch_title(page, interval)}", file=out)
                    _common.print_table(
                        _WATCH_HEADERS, [_watch_cells(r, tracker) for r in rows], out=out
                    )
                    print(file=out, flush=True)
                done += 1
                if iterations is not None and done >= iterations:
                    return 0
                time.sleep(interval)
    except KeyboardInterrupt:
        return 0


class _NoLive:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
