"""``sparse tail``: the end of the topology's Storm worker logs on every worker host, over SSH
(the Python components' log lines are in them). ``-f`` follows them until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
import threading
import time

from ..deploy.logs import LogQuery, tail_script
from ..deploy.ssh import RemoteHost, SSHSettings
from ..errors import DeployError, StormBridgeError
from . import _common, _hosts

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
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ctx = _common.load_context(args)
    name = _common.topology_name(args, ctx.project)
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
