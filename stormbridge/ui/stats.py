"""Aggregating Storm executor statistics the way Storm's UI does (pure functions).

Input: ``ExecutorSummary`` objects as decoded from Nimbus (``TopologyInfo.executors``) or
anything with the same attribute names. The rules are Storm's (``StatsUtil`` in
storm-server), recomputed here from the raw per-executor maps:

* emitted / transferred: summed over executors and streams; system streams (ids starting
  with ``__``) are left out unless ``include_sys``;
* acked / failed: summed over streams (spouts: their streams; bolts: their input streams);
* executed: summed over input streams (bolts);
* latencies are averages weighted by their counts: complete latency by acked (spouts),
  execute and process latency by executed (bolts);
* capacity: per executor ``executed * execute latency / (1000 * min(uptime, 600))`` over
  the ``600`` window whatever window is asked for; a bolt's is its executors' maximum;
* system components (``__acker``, ``__system`` ...) are left out unless ``include_sys``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

#: The all-time window key, Storm's default ``?window=``.
ALL_TIME = ":all-time"
#: The windows Storm keeps statistics for, in the order the UI shows them.
WINDOWS: tuple[str, ...] = ("600", "10800", "86400", ALL_TIME)
#: Capacity is always computed over this window (Storm's ``TEN_MIN_IN_SECONDS``).
CAPACITY_WINDOW = "600"
#: Storm truncates a component's ``lastError`` to this many characters.
LAST_ERROR_CHARS = 200

JSONDict = dict[str, Any]

# ---------------------------------------------------------------------------
# Small formatting helpers (Storm's UIHelpers / StatsUtil conventions)
# ---------------------------------------------------------------------------


def is_system_id(name: str) -> bool:
    """A system component or stream (``__acker``, ``__ack_init``, ``__metrics`` ...)."""
    return name.startswith("__")


def float_str(value: float | None) -> str:
    """Storm's ``StatsUtil.floatStr``: three decimals, ``"0"`` for no value."""
    if value is None:
        return "0"
    return f"{value:.3f}"


def pretty_uptime(seconds: int) -> str:
    """``3725`` -> ``"1h 2m 5s"`` as the Storm UI writes uptimes (``""`` for 0)."""
    parts: list[str] = []
    remaining = int(seconds)
    for unit, divider in (("s", 60), ("m", 60), ("h", 24), ("d", None)):
        if remaining <= 0:
            break
        if divider is None:
            parts.append(f"{remaining}{unit}")
        else:
            parts.append(f"{remaining % divider}{unit}")
            remaining //= divider
    return " ".join(reversed(parts))


def window_hint(window: str) -> str:
    """``":all-time"`` -> ``"All time"``, ``"600"`` -> ``"10m 0s"`` (Storm's window names)."""
    if window == ALL_TIME:
        return "All time"
    try:
        return pretty_uptime(int(window))
    except ValueError:
        return window


def url_encode(value: str) -> str:
    """Like Java's ``URLEncoder.encode(value, UTF-8)``, used for Storm's ``encoded*`` fields."""
    return quote_plus(value, safe="*")


def executor_id(executor_info: Any) -> str:
    """``ExecutorInfo(3, 4)`` -> ``"[3-4]"``."""
    return f"[{executor_info.task_start}-{executor_info.task_end}]"


def task_count(executor_info: Any) -> int:
    return int(executor_info.task_end) - int(executor_info.task_start) + 1


def window_map(stats_map: Mapping[str, Mapping[Any, Any]] | None, window: str) -> Mapping[Any, Any]:
    if not stats_map:
        return {}
    return stats_map.get(window) or {}


def _stream_key(key: Any) -> str:
    """The stream id of a spout stream key (a string) or a bolt input key (GlobalStreamId)."""
    return key if isinstance(key, str) else str(key.streamId)


def visible_streams(streams: Mapping[Any, Any], include_sys: bool) -> Iterable[tuple[Any, Any]]:
    for key, value in streams.items():
        if include_sys or not is_system_id(_stream_key(key)):
            yield key, value


# ---------------------------------------------------------------------------
# Aggregation of ExecutorSummary stats
# ---------------------------------------------------------------------------


def component_type_of(executor: Any) -> str | None:
    """``"spout"`` or ``"bolt"`` from an executor's stats, ``None`` without stats."""
    stats = getattr(executor, "stats", None)
    specific = getattr(stats, "specific", None) if stats is not None else None
    if specific is None:
        return None
    if getattr(specific, "spout", None) is not None:
        return "spout"
    if getattr(specific, "bolt", None) is not None:
        return "bolt"
    return None


@dataclass
class ComponentStats:
    """One component's counts over one window, summed over its executors.

    The ``*_total`` fields are latency x count sums; the averages are properties.
    """

    component_id: str
    component_type: str | None
    executors: int = 0
    tasks: int = 0
    emitted: int = 0
    transferred: int = 0
    acked: int = 0
    failed: int = 0
    executed: int = 0
    complete_latency_total: float = 0.0
    execute_latency_total: float = 0.0
    process_latency_total: float = 0.0
    capacity: float = 0.0
    emitted_by_stream: dict[str, int] = field(default_factory=dict)
    transferred_by_stream: dict[str, int] = field(default_factory=dict)

    @property
    def complete_latency(self) -> float | None:
        return self.complete_latency_total / self.acked if self.acked > 0 else None

    @property
    def execute_latency(self) -> float | None:
        return self.execute_latency_total / self.executed if self.executed > 0 else None

    @property
    def process_latency(self) -> float | None:
        return self.process_latency_total / self.executed if self.executed > 0 else None


def _weighted(avgs: Mapping[Any, float], counts: Mapping[Any, int]) -> float:
    return sum(float(avg) * int(counts.get(key, 0)) for key, avg in avgs.items())


def executor_capacity(executor: Any) -> float:
    """Storm's capacity of one bolt executor: busy fraction over the last 10 minutes."""
    stats = executor.stats
    bolt = stats.specific.bolt if stats is not None and stats.specific is not None else None
    uptime = int(executor.uptime_secs or 0)
    if bolt is None or uptime <= 0:
        return 0.0
    executed = window_map(bolt.executed, CAPACITY_WINDOW)
    latencies = window_map(bolt.execute_ms_avg, CAPACITY_WINDOW)
    busy_ms = sum(
        float(latencies.get(key, 0.0)) * int(executed.get(key, 0))
        for key in set(executed) | set(latencies)
    )
    return busy_ms / (min(uptime, 600) * 1000)


def add_executor(acc: ComponentStats, executor: Any, window: str, include_sys: bool) -> None:
    acc.executors += 1
    acc.tasks += task_count(executor.executor_info)
    stats = executor.stats
    if stats is None:
        return
    for stream, count in visible_streams(window_map(stats.emitted, window), include_sys):
        acc.emitted += int(count)
        acc.emitted_by_stream[stream] = acc.emitted_by_stream.get(stream, 0) + int(count)
    for stream, count in visible_streams(window_map(stats.transferred, window), include_sys):
        acc.transferred += int(count)
        acc.transferred_by_stream[stream] = acc.transferred_by_stream.get(stream, 0) + int(count)
    specific = stats.specific
    if specific is None:
        return
    if specific.spout is not None:
        spout = specific.spout
        acked = window_map(spout.acked, window)
        acc.acked += sum(int(v) for v in acked.values())
        acc.failed += sum(int(v) for v in window_map(spout.failed, window).values())
        acc.complete_latency_total += _weighted(window_map(spout.complete_ms_avg, window), acked)
    elif specific.bolt is not None:
        bolt = specific.bolt
        executed = window_map(bolt.executed, window)
        acc.acked += sum(int(v) for v in window_map(bolt.acked, window).values())
        acc.failed += sum(int(v) for v in window_map(bolt.failed, window).values())
        acc.executed += sum(int(v) for v in executed.values())
        acc.execute_latency_total += _weighted(window_map(bolt.execute_ms_avg, window), executed)
        acc.process_latency_total += _weighted(window_map(bolt.process_ms_avg, window), executed)
        acc.capacity = max(acc.capacity, executor_capacity(executor))


def aggregate_components(
    executors: Iterable[Any],
    window: str = ALL_TIME,
    include_sys: bool = False,
    component_types: Mapping[str, str] | None = None,
) -> dict[str, ComponentStats]:
    """Per-component totals over ``window`` from a topology's ``ExecutorSummary`` list.

    ``component_types`` (component id -> ``"spout"``/``"bolt"``) names the type of
    components whose executors have no stats yet; otherwise the type comes from the stats.
    """
    types = dict(component_types or {})
    for executor in executors:
        found = component_type_of(executor)
        if found is not None:
            types.setdefault(executor.component_id, found)
    result: dict[str, ComponentStats] = {}
    for executor in executors:
        cid = executor.component_id
        if not include_sys and is_system_id(cid):
            continue
        acc = result.get(cid)
        if acc is None:
            acc = result[cid] = ComponentStats(cid, types.get(cid))
        add_executor(acc, executor, window, include_sys)
    return result


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


def sorted_errors(errors: Iterable[Any] | None) -> list[Any]:
    return sorted(errors or (), key=lambda e: int(e.error_time_secs))


def error_fields(error: Any, now: int, as_last_error: bool) -> JSONDict:
    fields: JSONDict = {
        "errorTime": int(error.error_time_secs),
        "errorHost": error.host or "",
        "errorPort": error.port,
        "errorWorkerLogLink": "",
        "errorLapsedSecs": now - int(error.error_time_secs),
    }
    if as_last_error:
        fields["lastError"] = str(error.error)[:LAST_ERROR_CHARS]
    else:
        fields["error"] = str(error.error)
    return fields


#: How long after a Python error the death notice of the same worker counts as its echo.
DEATH_ECHO_SECS = 30


def _is_death_notice(error: Any) -> bool:
    """A report that a component's Python process died: Storm's ShellBolt/ShellSpout say
    ``pid:…, name:… exitCode:…, errorString:``; the batched transport's classes say
    ``Python subprocess of component '…' task … (pid …) exited with code …`` (or "was killed
    by signal …")."""
    text = str(error.error)
    if "exitCode:" in text and "errorString:" in text:
        return True
    return "Python subprocess of component '" in text and " (pid " in text


def _is_python_error(error: Any) -> bool:
    """What a component reported with the multilang ``error`` command."""
    return "Shell Process Exception:" in str(error.error)


def last_error(ordered: Sequence[Any]) -> Any:
    """The error to show as a component's ``lastError``: the most recent one, except that
    Storm's notice of a Python process's death (which Storm always reports right after the
    process's own ``error``, and which says only "exitCode:1") does not hide the Python
    exception that caused it when both come from the same worker within a short time.
    """
    if not ordered:
        return None
    latest = ordered[-1]
    if not _is_death_notice(latest):
        return latest
    for earlier in reversed(ordered[:-1]):
        if int(latest.error_time_secs) - int(earlier.error_time_secs) > DEATH_ECHO_SECS:
            break
        if _is_python_error(earlier) and (earlier.host, earlier.port) == (
            latest.host,
            latest.port,
        ):
            return earlier
    return latest


def _error_key(error: Any) -> tuple[str, int, str, int | None]:
    return (str(error.error), int(error.error_time_secs), error.host or "", error.port)


def with_kept_errors(
    errors: Mapping[str, Sequence[Any]] | None, kept: Mapping[str, Sequence[Any]] | None
) -> dict[str, list[Any]]:
    """Each component's errors: Storm's recent ones (``NumErrorsChoice.ALL``) plus the last
    error Nimbus keeps for it (``NumErrorsChoice.ONE``) when that one is not among them.

    Storm stores the recent errors as ZooKeeper nodes that vanish with the session of the
    worker that reported them (about 20 s after the worker dies), while the last error of a
    component stays until the topology is killed; with both, a crashed component's
    ``lastError`` stays visible after its worker was restarted.
    """
    merged = {cid: list(errs) for cid, errs in (errors or {}).items()}
    for cid, last in (kept or {}).items():
        have = {_error_key(e) for e in merged.get(cid, ())}
        extra = [e for e in last if _error_key(e) not in have]
        if extra:
            merged.setdefault(cid, []).extend(extra)
    return merged


def last_error_fields(errors: Iterable[Any] | None, now: int) -> JSONDict:
    """``lastError``, ``errorHost``, ``errorPort``, ``errorTime`` ... of a component."""
    ordered = sorted_errors(errors)
    if not ordered:
        return {
            "lastError": "",
            "errorHost": "",
            "errorPort": None,
            "errorWorkerLogLink": "",
            "errorTime": None,
            "errorLapsedSecs": None,
        }
    return error_fields(last_error(ordered), now, as_last_error=True)


def aggregate_one(
    executors: Sequence[Any], component_id: str, ctype: str, window: str, include_sys: bool
) -> ComponentStats:
    """One component's totals, even for a system component (its page was asked for)."""
    acc = ComponentStats(component_id, ctype)
    for e in executors:
        add_executor(acc, e, window, include_sys)
    return acc
