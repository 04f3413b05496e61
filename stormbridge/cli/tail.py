"""``sparse tail``: the end of the topology's Storm worker logs on every worker host, over SSH
(the Python components' log lines are in them). ``-f`` follows them until Ctrl-C.

Without SSH access to the workers (an env with no ``workers``, ``user`` or ``ssh_key``, like
the ``local`` env of ``sparse cluster up``) or with ``--via-logviewer``, the logs are read
through the logviewer on each worker host instead: the workers (host, port, log link) come
from the Storm UI's topology page, each ``worker.log`` is read by byte offset."""

from __future__ import annotations

import argparse
import re
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from ..deploy.logs import LogQuery, tail_script
from ..deploy.ssh import RemoteHost, SSHSettings
from ..errors import ConfigError, DeployError, StormBridgeError, UIError
from ..ui.client import UIClient
from ..ui.logclient import LogClient
from ..ui.loglinks import worker_log_link
from . import _common, _hosts

#: Storm's ``logviewer.port``: where the logviewer is when the UI gives no log links.
DEFAULT_LOGVIEWER_PORT = 8000
#: Seconds between two reads of the logs with ``-f`` through the logviewer.
POLL_SECONDS = 1.0

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "tail",
        help="show the topology's worker logs on every worker host (SSH)",
        description="Tail <storm.log.dir>/workers-artifacts/<topology id>/*/worker.log on every "
        "worker host over SSH. The log folder is the env's log.path, else the one of the "
        "Storm processes running on the host.",
    )
    _common.add_environment(parser)
    _common.add_name(parser)
    _common.add_override_name(parser)
    _common.add_config(parser)
    _common.add_timeout(parser)
    _hosts.add_pool_size(parser)
    parser.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    parser.add_argument(
        "-l", "--num_lines", type=_common.non_negative_int, default=10, metavar="N",
        help="lines from the end of each file (default 10)",
    )  # fmt: skip
    parser.add_argument(
        "--pattern", metavar="REGEX", help="only log files whose path matches (grep -E)"
    )
    parser.add_argument(
        "--via-logviewer", action="store_true",
        help="read the logs through the logviewers (workers from the Storm UI), not SSH; the "
        "default for an env without workers, user and ssh_key",
    )  # fmt: skip
    parser.add_argument(
        "--logviewer_port", type=_common.positive_int, default=DEFAULT_LOGVIEWER_PORT,
        metavar="PORT",
        help="the logviewers' port when the UI gives no log links "
        f"(default {DEFAULT_LOGVIEWER_PORT})",
    )  # fmt: skip
    parser.set_defaults(func=run)


def _without_ssh(env: Any) -> bool:
    return not (env.workers or env.user or env.ssh_key)


def run(args: argparse.Namespace) -> int:
    ctx = _common.load_context(args)
    name = _common.topology_name(args, ctx.project)
    if getattr(args, "via_logviewer", False) or _without_ssh(ctx.env):
        return _run_logviewer(args, ctx, name)
    ssh = SSHSettings.from_env(ctx.env)
    hosts = _hosts.hosts_of(ctx, ssh, args.timeout)
    query = LogQuery(name, ctx.env.log.path, args.pattern)
    script = tail_script(query, lines=args.num_lines, follow=args.follow)
    if args.follow:
        return _follow(hosts, ssh, script)
    results = _hosts.on_each_host(
        hosts, ssh, lambda r: r.run(script, step="reading the worker logs"), args.pool_size
    )
    for host, output, error in results:
        print(f"===== {host} =====")
        if error is not None:
            print(f"sparse: {error}", file=sys.stderr)
        else:
            print((output or "").rstrip("\n"))
    if all(error is not None for _, _, error in results):
        raise DeployError(f"no worker logs of topology {name!r} on any of {len(hosts)} host(s)")
    return 0


def _follow(hosts: tuple[str, ...], ssh: SSHSettings, script: str) -> int:
    """``tail -F`` on every host at once until Ctrl-C, which closes every connection (so no
    thread is left waiting on a remote ``tail``)."""
    lock = threading.Lock()
    remotes = [RemoteHost(host, ssh) for host in hosts]

    def one(remote: RemoteHost) -> None:
        def line(text: str) -> None:
            with lock:
                print(f"{remote.host} | {text}", flush=True)

        try:
            remote.stream(script, line, step="following the worker logs")
        except StormBridgeError as exc:
            with lock:
                print(f"sparse: {exc}", file=sys.stderr, flush=True)

    # daemon threads: a thread still inside Fabric after Ctrl-C must not keep the process alive
    threads = [threading.Thread(target=one, args=(r,), daemon=True) for r in remotes]
    for thread in threads:
        thread.start()
    try:
        while any(thread.is_alive() for thread in threads):
            for thread in threads:
                thread.join(timeout=0.5)
    finally:

        def close_all() -> None:
            for remote in remotes:
                remote.close()

        closer = threading.Thread(target=close_all, daemon=True)
        closer.start()
        end = time.monotonic() + 5
        closer.join(timeout=5)
        for thread in threads:
            thread.join(timeout=max(0.0, end - time.monotonic()))
    return 0


# --- through the logviewers ---------------------------------------------------------------


@dataclass
class _WorkerLog:
    label: str  # host:port
    client: LogClient
    offset: int = 0
    partial: str = ""


def _worker_rows(ui: UIClient, topo_id: str) -> list[dict[str, Any]]:
    """``host``, ``port`` (and ``workerLogLink``) of each worker: the topology page's
    ``workers``, else its components' ``executorStats``."""
    page = ui.topology(topo_id)
    rows = [r for r in page.get("workers") or () if isinstance(r, dict)]
    if not rows:
        for comp in [*(page.get("spouts") or ()), *(page.get("bolts") or ())]:
            cid = comp.get("spoutId") or comp.get("boltId") if isinstance(comp, dict) else None
            if cid:
                stats = ui.component(topo_id, str(cid)).get("executorStats") or ()
                rows.extend(r for r in stats if isinstance(r, dict))
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        if row.get("host") and row.get("port") is not None:
            key = (str(row["host"]), str(row["port"]))
            if key not in seen or (row.get("workerLogLink") and not seen[key].get("workerLogLink")):
                seen[key] = row
    return [seen[k] for k in sorted(seen)]


def _worker_logs(args: argparse.Namespace, ctx: _common.Context, name: str) -> list[_WorkerLog]:
    ui = UIClient(ctx.env.ui_url, timeout=args.timeout)
    topo_id = ui.topology_id(name)
    try:
        pattern = re.compile(args.pattern) if args.pattern else None
    except re.error as exc:
        raise ConfigError(f"--pattern {args.pattern!r} is not a regular expression: {exc}") from exc
    logs = []
    for row in _worker_rows(ui, topo_id):
        host, port = str(row["host"]), row["port"]
        if pattern is not None and not pattern.search(f"./{topo_id}/{port}/worker.log"):
            continue
        link = str(row.get("workerLogLink") or "") or worker_log_link(
            host, port, topo_id, args.logviewer_port
        )
        logs.append(_WorkerLog(f"{host}:{port}", LogClient(link, timeout=args.timeout)))
    if not logs:
        raise UIError(
            f"no worker of topology {topo_id!r} in the Storm UI"
            + (f" has a log matching --pattern {args.pattern!r}" if pattern else "")
        )
    return logs


def _run_logviewer(args: argparse.Namespace, ctx: _common.Context, name: str) -> int:
    logs = _worker_logs(args, ctx, name)
    failed = 0
    for log in logs:
        try:
            lines, log.offset = log.client.tail(args.num_lines)
        except UIError as exc:
            failed += 1
            print(f"sparse: {log.label}: {exc}", file=sys.stderr, flush=True)
            log.offset = -1  # not found yet: follow from its end once it is there
            continue
        for line in lines:
            print(f"{log.label} | {line}", flush=True)
    if not args.follow:
        if failed == len(logs):
            raise UIError(f"no worker log of topology {name!r} could be read (see above)")
        return 0
    _follow_logviewer(logs)
    return 0


def _follow_logviewer(logs: list[_WorkerLog], polls: int | None = None) -> None:
    """Print what is appended to each log every :data:`POLL_SECONDS` until Ctrl-C (or
    ``polls`` rounds). A log that fails is reported once and retried."""
    reported: set[str] = set()
    done = 0
    while polls is None or done < polls:
        time.sleep(POLL_SECONDS)
        done += 1
        for log in logs:
            try:
                if log.offset < 0:
                    _, log.offset = log.client.tail(0)
                    continue
                text, log.offset = log.client.since(log.offset)
            except UIError as exc:
                if log.label not in reported:
                    reported.add(log.label)
                    print(f"sparse: {log.label}: {exc}", file=sys.stderr, flush=True)
                continue
            reported.discard(log.label)
            *complete, log.partial = (log.partial + text).split("\n")
            for line in complete:
                print(f"{log.label} | {line.rstrip(chr(13))}", flush=True)
