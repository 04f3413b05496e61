"""What ``sparse run`` shows of the local-mode JVM's log: parsing and presentation, no I/O.

The local-mode log4j2 configuration (``java/local-log4j2.xml``) prints one event per line on
the JVM's stdout, tab-separated, with the message and the exception JSON-string-escaped::

    HH:mm:ss <TAB> LEVEL <TAB> logger <TAB> message <TAB> throwable

:class:`TerminalPresenter` turns those events into lines for people:

* a Python component's ``log`` command (logged by its shell class, Storm's ``ShellBolt``/
  ``ShellSpout`` or stormbridge's ``BatchShellBolt``/``BatchShellSpout``, as
  ``ShellLog pid:N, name:C msg``) becomes ``12:00:01 C[N] INFO msg``;
* a Python component's stderr becomes ``12:00:01 stderr: …`` lines (tracebacks included).
  Storm logs it under a logger named after the *last started* component of the worker,
  whichever component wrote it, so that name is not shown;
* errors keep their message and the messages of their exception chain, without Java stack
  frames. A dead Python bolt in local mode makes Storm report the same error for every
  tuple, so an error that repeats (same text once numbers are masked) is shown once and
  then counted; :meth:`TerminalPresenter.summary` reports the count.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = [
    "LogEvent",
    "TerminalPresenter",
    "format_event",
    "is_java_frame",
    "parse_event",
]

_JAVA_FRAME = re.compile(
    r"^\s+(at [\w$.<>/@-]+\(.*\)|\.\.\. \d+ (more|common frames omitted)|Suppressed: .*)\s*$"
)
_SHELL_LOG = re.compile(r"^ShellLog pid:(?P<pid>-?\d+), name:(?P<name>\S+) ?(?P<msg>.*)$", re.S)
#: The loggers a ``log`` command comes through: Storm's shell classes, stormbridge's batched ones.
_SHELL_CLASSES = (".ShellBolt", ".ShellSpout", ".BatchShellBolt", ".BatchShellSpout")
_NUMBERS = re.compile(r"\d+")
# The runtime's log format (as streamparse's) repeats the time and names the logger:
# "2026-01-01 12:00:01,123 - pystorm.component.count_bolt - message".
_PY_LOG_PREFIX = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[,.]\d+ - \S+ - ")


def is_java_frame(line: str) -> bool:
    """Whether ``line`` is a Java stack frame (``\\tat pkg.Class.method(File.java:12)``) or a
    ``... 6 more`` line: noise on a terminal, kept in the log file."""
    return _JAVA_FRAME.match(line) is not None


@dataclass(frozen=True)
class LogEvent:
    """One log4j2 event as the local-mode layout prints it."""

    time: str
    level: str
    logger: str
    message: str
    throwable: str = ""


def _unescape(text: str) -> str:
    try:
        value = json.loads(f'"{text}"')
    except ValueError:
        return text
    return value if isinstance(value, str) else text


def parse_event(line: str) -> LogEvent | None:
    """The event on ``line``, or None if the line is not in the local-mode layout."""
    parts = line.rstrip("\r\n").split("\t")
    if len(parts) != 5 or not parts[1].isalpha():
        return None
    time_, level, logger, message, throwable = parts
    return LogEvent(time_, level, logger, _unescape(message), _unescape(throwable))


def _exception_lines(throwable: str) -> list[str]:
    return [line for line in throwable.splitlines() if line.strip() and not is_java_frame(line)]


def format_event(event: LogEvent, component_ids: Iterable[str] = ()) -> list[str]:
    """Lines for people for one event (see the module docstring)."""
    match = _SHELL_LOG.match(event.message)
    if match and event.logger.endswith(_SHELL_CLASSES):
        head = f"{event.time} {match['name']}[{match['pid']}] {event.level}"
        msg_lines = _PY_LOG_PREFIX.sub("", match["msg"], count=1).splitlines() or [""]
        return [f"{head} {msg_lines[0]}", *msg_lines[1:]]
    if event.logger in set(component_ids):
        text = event.message.rstrip("\n")
        return [f"{event.time} stderr: {line}" for line in text.splitlines()]
    lines = event.message.rstrip("\n").splitlines() or [""]
    out = [f"{event.time} {event.level:<5} {lines[0]}", *lines[1:]]
    out.extend(_exception_lines(event.throwable))
    return out


def _key(event: LogEvent) -> str:
    """What makes two errors "the same": their text with every number masked."""
    text = "\n".join([event.logger, event.message, *_exception_lines(event.throwable)])
    return _NUMBERS.sub("N", text)


class TerminalPresenter:
    """Turns JVM stdout lines into terminal lines, hiding repeated warnings and errors.

    Not thread-safe: feed it from one thread.
    """

    #: Seconds between two "suppressed" notes while errors keep repeating.
    NOTE_EVERY = 10.0

    def __init__(
        self,
        component_ids: Iterable[str] = (),
        *,
        log_file: str = "the log file",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.component_ids = frozenset(component_ids)
        self.log_file = log_file
        self._clock = clock
        self._seen: set[str] = set()
        self._suppressed = 0
        self._last_note = clock()
        #: The first lines of the last ERROR seen (for error messages).
        self.last_error: list[str] = []

    def feed(self, line: str) -> list[str]:
        """The terminal lines for one line of JVM stdout (often none or one)."""
        line = line.rstrip("\r\n")
        event = parse_event(line)
        if event is None:
            return [] if is_java_frame(line) or not line.strip() else [line]
        out: list[str] = []
        if event.level in ("ERROR", "FATAL") and event.logger not in self.component_ids:
            self.last_error = format_event(event)[:6]
        if event.level in ("WARN", "ERROR", "FATAL") and event.logger not in self.component_ids:
            key = _key(event)
            if key in self._seen:
                self._suppressed += 1
                return self._maybe_note()
            self._seen.add(key)
        out.extend(format_event(event, self.component_ids))
        return self._maybe_note() + out

    def _maybe_note(self) -> list[str]:
        now = self._clock()
        if self._suppressed and now - self._last_note >= self.NOTE_EVERY:
            self._last_note = now
            return self.summary()
        return []

    def summary(self) -> list[str]:
        """A note about the repeated errors hidden since the last note (resets the count)."""
        if not self._suppressed:
            return []
        count, self._suppressed = self._suppressed, 0
        plural = "s" if count != 1 else ""
        return [f"... {count:,} repeated error{plural} not shown (all in {self.log_file})"]
