"""What ``tail`` and ``remove_logs`` share: the worker hosts of the env (``workers``, else
Nimbus's supervisors, through the SSH tunnel with ``use_ssh_for_nimbus``), and running one
remote script on each of them in parallel with per-host results."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from ..deploy.nimbus import nimbus_session, worker_hosts
from ..deploy.ssh import RemoteHost, SSHSettings
from ..deploy.virtualenvs import DEFAULT_POOL_SIZE
from ..errors import StormBridgeError
from . import _common

__all__ = ["add_pool_size", "hosts_of", "on_each_host"]


def add_pool_size(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pool_size",
        type=_common.positive_int,
        default=DEFAULT_POOL_SIZE,
        metavar="N",
        help=f"worker hosts handled in parallel over SSH (default {DEFAULT_POOL_SIZE})",
    )


def hosts_of(ctx: _common.Context, ssh: SSHSettings, timeout: float) -> tuple[str, ...]:
    if ctx.env.workers:
        return worker_hosts(ctx.env, None)
    with nimbus_session(ctx.env, ssh, timeout=timeout) as nimbus:
        return worker_hosts(ctx.env, nimbus)


def on_each_host(
    hosts: tuple[str, ...],
    ssh: SSHSettings,
    work: Callable[[RemoteHost], str],
    pool_size: int,
) -> list[tuple[str, str | None, str | None]]:
    """``(host, output, error)`` for each host, in ``hosts`` order."""

    def one(host: str) -> tuple[str, str | None, str | None]:
        try:
            with RemoteHost(host, ssh) as remote:
                return host, work(remote), None
        except StormBridgeError as exc:
            return host, None, str(exc)

    with ThreadPoolExecutor(max_workers=min(pool_size, len(hosts))) as pool:
        return list(pool.map(one, hosts))
