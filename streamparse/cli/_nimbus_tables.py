"""Tables read from Nimbus for ``slot_usage`` and ``worker_uptime`` (no SSH, no Storm UI)."""

from __future__ import annotations

from typing import Any

from stormbridge.cli._common import print_table
from streamparse.util import get_env_config, get_nimbus_client

__all__ = ["slot_usage_rows", "worker_uptime_rows"]


def _client(env_name: str | None, config_file: Any) -> Any:
    _, env_config = get_env_config(env_name, config_file=config_file)
    return get_nimbus_client(env_config)


def slot_usage_rows(env_name: str | None, config_file: Any = None) -> list[list[Any]]:
    """``[host, slots, used, topologies on it]`` per supervisor, printed as a table."""
    with _client(env_name, config_file) as client:
        cluster = client.cluster_summary()
        on_host: dict[str, set[str]] = {}
        for summary in cluster.topologies:
            for executor in client.topology_info(summary.name).executors:
                if not executor.component_id.startswith("__"):
                    on_host.setdefault(executor.host, set()).add(summary.name)
    rows = [
        [s.host, s.num_workers, s.num_used_workers, ", ".join(sorted(on_host.get(s.host, ())))]
        for s in sorted(cluster.supervisors, key=lambda s: s.host)
    ]
    print_table(["host", "slots", "used", "topologies"], rows)
    return rows


def worker_uptime_rows(env_name: str | None, config_file: Any = None) -> list[list[Any]]:
    """``[topology, host, port, uptime seconds]`` per worker process, printed as a table."""
    rows: list[list[Any]] = []
    with _client(env_name, config_file) as client:
        for summary in client.cluster_summary().topologies:
            workers: dict[tuple[str, int], int] = {}
            for executor in client.topology_info(summary.name).executors:
                key = (executor.host, executor.port)
                workers[key] = max(workers.get(key, 0), executor.uptime_secs)
            rows += [[summary.name, h, p, up] for (h, p), up in sorted(workers.items())]
    print_table(["topology", "host", "port", "uptime (s)"], rows)
    return rows
