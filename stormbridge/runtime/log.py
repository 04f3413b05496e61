"""Logging to Storm: ``StormHandler``, the ``pystorm.log.*`` conf keys, stray stdout.

Without ``pystorm.log.path`` every record that passes the level filter is sent to
Storm as a ``log`` command (Storm writes it to the worker log, prefixed ``ShellLog``).
With it, records go to a rotating file instead. Filtering happens in Python, so a
``debug`` call costs nothing on the wire unless DEBUG is enabled.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import threading
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from typing import Any, Protocol

from ..errors import ConfigError

__all__ = [
    "LOG_LEVELS",
    "PYTHON_LOG_LEVELS",
    "LogStream",
    "StormHandler",
    "configure_logging",
    "stdout_to_log",
]

#: Storm's multilang log levels (STORM-414): trace 0 … error 4.
LOG_LEVELS = {
    "trace": 0,
    "debug": 1,
    "info": 2,
    "warn": 3,
    "warning": 3,
    "error": 4,
    "critical": 4,
}

#: ``pystorm.log.level`` names → Python levels.
PYTHON_LOG_LEVELS = {
    "critical": logging.CRITICAL,
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
    "trace": logging.DEBUG,
}


class LoggingTarget(Protocol):
    """What :func:`configure_logging` reads of a component (``Component`` provides it)."""

    @property
    def storm_conf(self) -> dict[str, Any]: ...
    @property
    def debug(self) -> bool | None: ...
    @property
    def topology_name(self) -> str | None: ...
    @property
    def component_name(self) -> str | None: ...
    @property
    def task_id(self) -> int | None: ...
    @property
    def pid(self) -> int: ...
    @property
    def logger(self) -> logging.Logger: ...

    def send_message(self, message: dict[str, Any]) -> None: ...


_STORM_FORMAT = "%(asctime)s - %(name)s - %(message)s"
_FILE_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"


class StormHandler(logging.Handler):
    """A logging handler that sends records to Storm as ``log`` commands.

    ``target`` is the component (or anything with ``send_message``) whose pipe
    carries the records.
    """

    def __init__(self, target: Any, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self._send = target.send_message

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            level = LOG_LEVELS.get(record.levelname.lower(), 2)
            self._send({"command": "log", "msg": text, "level": level})
        except Exception:  # noqa: BLE001 - a handler must never raise into the caller
            self.handleError(record)


class LogStream(io.TextIOBase):
    """A text stream for ``sys.stdout`` that turns whole lines into log records."""

    def __init__(self, logger: logging.Logger, level: int = logging.INFO) -> None:
        super().__init__()
        self._logger = logger
        self._level = level
        self._partial = ""
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            data = self._partial + text
            *lines, self._partial = data.split("\n")
        for line in lines:
            if line.strip():
                self._logger.log(self._level, "%s", line)
        return len(text)

    def flush(self) -> None:
        with self._lock:
            line, self._partial = self._partial, ""
        if line.strip():
            self._logger.log(self._level, "%s", line)


def stdout_to_log() -> Callable[[], None]:
    """Point ``sys.stdout`` at the ``stormbridge.stdout`` logger; returns the undo."""
    previous = sys.stdout
    stream = LogStream(logging.getLogger("stormbridge.stdout"))
    sys.stdout = stream

    def restore() -> None:
        stream.flush()
        sys.stdout = previous

    return restore


_DEFAULT_FILE = "pystorm_{topology_name}_{component_name}_{task_id}_{pid}.log"
_FILE_FIELDS = "{topology_name}, {component_name}, {task_id}, {pid}"


def _count(conf: dict[str, Any], key: str, default: int) -> int:
    value = conf.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        value = repr(value)
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise ConfigError(
            f"{key} is {conf.get(key)!r}, not a whole number >= 0: fix it in the topology conf "
            f"(config.json options, -o {key}=...; default {default})"
        )
    return number


def _safe(value: object) -> str:
    """A value substituted into the log file name: no path separators, no NUL."""
    text = str(value)
    for bad in {os.sep, os.altsep or os.sep, "\0"}:
        text = text.replace(bad, "_")
    return text


def _log_file_name(component: LoggingTarget) -> str:
    """``pystorm.log.file`` filled in: a plain file name, so the log stays in the log path."""
    pattern = str(component.storm_conf.get("pystorm.log.file") or _DEFAULT_FILE)
    try:
        name = pattern.format(
            topology_name=_safe(component.topology_name),
            component_name=_safe(component.component_name),
            task_id=_safe(component.task_id),
            pid=component.pid,
        )
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        raise ConfigError(
            f"pystorm.log.file {pattern!r} is not a file name pattern ({type(exc).__name__}: "
            f"{exc}); it may use {_FILE_FIELDS}, and {{{{ }}}} for braces"
        ) from None
    if not name or name in (".", "..") or os.sep in name or (os.altsep and os.altsep in name):
        raise ConfigError(
            f"pystorm.log.file {pattern!r} gives {name!r}, which is not a plain file name: the "
            "log must stay in pystorm.log.path (set the directory there, the name here)"
        )
    if "\0" in name:
        raise ConfigError(f"pystorm.log.file {pattern!r} holds a NUL character")
    return name


def configure_logging(component: LoggingTarget) -> logging.Handler:
    """Add the handler chosen by ``pystorm.log.*`` to the root logger; returns it.

    Keys: ``pystorm.log.path`` (a directory: log to a rotating file there, else to
    Storm), ``pystorm.log.file`` (file name pattern with ``{topology_name}``,
    ``{component_name}``, ``{task_id}``, ``{pid}``), ``pystorm.log.max_bytes``
    (1,000,000), ``pystorm.log.backup_count`` (10), ``pystorm.log.format``,
    ``pystorm.log.level`` (info; ``topology.debug`` forces debug). A value that cannot work
    (a count that is no number, a file pattern with unknown fields or a path in it) raises
    :class:`~stormbridge.errors.ConfigError` naming the key.
    """
    conf = component.storm_conf
    level_name = str(conf.get("pystorm.log.level", "info")).lower()
    level = PYTHON_LOG_LEVELS.get(level_name, logging.INFO)
    if component.debug:
        level = logging.DEBUG
    handler: logging.Handler
    log_path = conf.get("pystorm.log.path")
    if log_path:
        handler = RotatingFileHandler(
            os.path.join(str(log_path), _log_file_name(component)),
            maxBytes=_count(conf, "pystorm.log.max_bytes", 1_000_000),
            backupCount=_count(conf, "pystorm.log.backup_count", 10),
        )
        handler.setFormatter(logging.Formatter(str(conf.get("pystorm.log.format") or _FILE_FORMAT)))
    else:
        handler = StormHandler(component)
        handler.setFormatter(
            logging.Formatter(str(conf.get("pystorm.log.format") or _STORM_FORMAT))
        )
    handler.setLevel(level)
    root = logging.getLogger()
    root.addHandler(handler)
    for logger in (
        component.logger,
        logging.getLogger("pystorm"),
        logging.getLogger("stormbridge"),
    ):
        logger.setLevel(level)
    return handler
