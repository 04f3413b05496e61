"""The error for streamparse commands that read or delete files on worker hosts over SSH."""

from __future__ import annotations

from stormbridge.errors import ConfigError

__all__ = ["worker_logs_error"]


def worker_logs_error(command: str) -> ConfigError:
    return ConfigError(
        f"sparse {command} is not provided by stormbridge: it needs SSH access to the worker "
        "logs. Read a worker's log with `sparse stats -c COMPONENT` (last errors), in the "
        "Storm UI, or on the supervisor host under <storm.log.dir>/workers-artifacts/"
    )
