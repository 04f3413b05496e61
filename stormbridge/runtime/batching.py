"""``BatchingBolt`` (batches processed on tick tuples), ``TicklessBatchingBolt`` (a timer)."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from typing import Any

from .bolt import Bolt
from .tuple import HEARTBEAT_STREAM, TICK_COMPONENT, TICK_STREAM, Tuple

__all__ = ["BatchingBolt", "TicklessBatchingBolt"]

log = logging.getLogger("stormbridge.runtime.batching")

_SYNC = {"command": "sync"}
#: ``_current_key`` while no batch is being processed (``None`` is a valid batch key).
_NO_BATCH: Any = object()


class BatchingBolt(Bolt):
    """Collects tuples into batches (by :meth:`group_key`) and hands them to :meth:`process_batch`.

    Batches are processed on tick tuples, so set ``topology.tick.tuple.freq.secs``.
    Like pystorm, a batch is processed on the tick *after* ``ticks_between_batches``
    ticks (the counter must exceed it: every 2nd tick with the default of 1). Set
    ``exact_tick_batches = True`` to process on every ``ticks_between_batches``-th tick.
    """

    ticks_between_batches = 1
    exact_tick_batches = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._batches: defaultdict[Any, list[Tuple]] = defaultdict(list)
        self._tick_counter = 0
        self._current_key: Any = _NO_BATCH

    def group_key(self, tup: Tuple) -> Any:
        """The batch ``tup`` belongs to; ``None`` (one batch) by default."""
        return None

    def process_batch(self, key: Any, tups: list[Tuple]) -> None:
        """Handle one batch. Override it."""
        raise NotImplementedError(f"{type(self).__name__} must implement process_batch()")

    def emit(self, tup: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Emit; never waits for task ids (``need_task_ids`` is forced off)."""
        kwargs["need_task_ids"] = False
        super().emit(tup, **kwargs)

    def process(self, tup: Tuple) -> None:
        """Add ``tup`` to its batch. Do not override: override :meth:`group_key`."""
        self._batches[self.group_key(tup)].append(tup)

    def process_tick(self, tick_tup: Tuple) -> None:
        """Ack the tick, count it, and process the batches when it is time."""
        self._tick_counter += 1
        self.ack(tick_tup)
        due = (
            self._tick_counter >= self.ticks_between_batches
            if self.exact_tick_batches
            else self._tick_counter > self.ticks_between_batches
        )
        if due and self._batches:
            self.process_batches()
            self._tick_counter = 0

    def process_batches(self) -> None:
        """Process every batch, acking each one's tuples (if ``auto_ack``) as it completes."""
        for key, batch in self._batches.items():
            self._current_tups = batch
            self._current_key = key
            self.process_batch(key, batch)
            if self.auto_ack:
                for tup in batch:
                    self.ack(tup)
            self._current_key = _NO_BATCH
            self._batches[key] = []
        self._batches = defaultdict(list)
        self._current_tups = []

    def _run(self) -> None:
        self._general_io = self._io_overridden()
        tup = self.read_tuple()
        self._current_tups = [tup]
        if tup.stream == HEARTBEAT_STREAM and tup.task == -1:
            self._sync()
        elif tup.stream == TICK_STREAM and tup.component == TICK_COMPONENT:
            self.process_tick(tup)
        else:
            self.process(tup)
        self._current_tups = []

    def _handle_run_exception(self, exc: BaseException) -> None:
        """Fail what the exception concerns: with ``exit_on_exception`` every pending tuple;
        otherwise the batch being processed, or (outside ``process_batch``, e.g. ``group_key``
        raised) only the tuple being read: other batches stay pending."""
        self.raise_exception(exc, self._current_tups)
        in_batch = self._current_key is not _NO_BATCH
        if self.auto_fail:
            failed = set()
            for key, batch in self._batches.items():
                if self.exit_on_exception or (in_batch and key == self._current_key):
                    for tup in batch:
                        self.fail(tup)
                        failed.add(tup.id)
            for tup in self._current_tups:
                if tup.id not in failed:
                    self.fail(tup)
            if in_batch:
                self._batches.pop(self._current_key, None)
        for key in [k for k, batch in self._batches.items() if not batch]:
            del self._batches[key]  # processed before the failure: nothing left to hand over
        self._current_key = _NO_BATCH
        self._current_tups = []


class TicklessBatchingBolt(BatchingBolt):
    """A batching bolt whose batches are processed every ``secs_between_batches`` by a thread.

    The main thread keeps reading Storm, answering heartbeats and filling batches;
    it never waits for a batch being processed. An exception in ``process_batch``
    is reported to Storm (``error``), the batch is failed if ``auto_fail``, and then
    either the process exits (``exit_on_exception``, the default: the main thread
    exits at its next message, at most about a second later with Storm's heartbeats)
    or batching simply continues.
    """

    secs_between_batches: float = 2

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._batch_lock = threading.RLock()
        self._batcher: threading.Thread | None = None
        self._fatal: BaseException | None = None
        self._stopping = threading.Event()

    def initialize_batcher(self) -> None:
        if self._batcher is None:
            self._batcher = threading.Thread(
                target=self._batch_entry_point, name=f"{type(self).__name__}-batcher", daemon=True
            )
            self._batcher.start()

    def _setup_component(self, storm_conf: dict[str, Any], context: dict[str, Any]) -> None:
        super()._setup_component(storm_conf, context)
        self.initialize_batcher()

    def _take_batches(self) -> defaultdict[Any, list[Tuple]]:
        with self._batch_lock:
            batches, self._batches = self._batches, defaultdict(list)
        return batches

    def _batch_entry_point(self) -> None:
        while not self._stopping.wait(self.secs_between_batches):
            batches = self._take_batches()
            if not batches:
                continue
            try:
                self._process_taken(batches)
            except Exception as exc:  # noqa: BLE001 - user code: report to Storm
                if not self._batch_failed(exc, batches):
                    return
            finally:
                self._current_tups = []
                try:
                    self._flush()
                except Exception:  # Storm went away: the main thread will notice
                    log.debug("flush from the batch thread failed", exc_info=True)

    def _process_taken(self, batches: defaultdict[Any, list[Tuple]]) -> None:
        for key in list(batches):
            batch = batches[key]
            self._current_tups = batch
            self._current_key = key
            self.process_batch(key, batch)
            if self.auto_ack:
                for tup in batch:
                    self.ack(tup)
            del batches[key]
            self._current_key = _NO_BATCH

    def _batch_failed(self, exc: Exception, batches: defaultdict[Any, list[Tuple]]) -> bool:
        """Report ``exc`` from the batch thread; returns whether to keep batching."""
        log.error("Exception in %s.process_batch()", type(self).__name__, exc_info=True)
        try:
            self.raise_exception(exc, list(batches.get(self._current_key, [])))
            if self.auto_fail:
                keys = list(batches) if self.exit_on_exception else [self._current_key]
                for key in keys:
                    for tup in batches.pop(key, []):
                        self.fail(tup)
                if not self.exit_on_exception:
                    # Batches after the failed one were never processed: put them back.
                    with self._batch_lock:
                        for key, batch in batches.items():
                            self._batches[key][:0] = batch
        except Exception:
            log.error("Exception while reporting a batch failure", exc_info=True)
            self._fatal = exc
            return False
        self._current_key = _NO_BATCH
        if self.exit_on_exception:
            self._fatal = exc
            return False
        return True

    def process_tick(self, tick_tup: Tuple) -> None:
        """Ticks are just acked: batches are processed by the timer thread."""
        self.ack(tick_tup)

    def _run(self) -> None:
        fatal = self._fatal
        if fatal is not None:
            raise fatal
        self._general_io = self._io_overridden()
        tup = self.read_tuple()
        if self._fatal is not None:
            raise self._fatal
        if tup.stream == HEARTBEAT_STREAM and tup.task == -1:
            self._sync()
        elif tup.stream == TICK_STREAM and tup.component == TICK_COMPONENT:
            self.process_tick(tup)
        else:
            try:
                key = self.group_key(tup)
            except Exception:
                if self.auto_fail:
                    self.fail(tup)
                raise
            with self._batch_lock:
                self._batches[key].append(tup)

    def _handle_run_exception(self, exc: BaseException) -> None:
        if exc is self._fatal:
            return  # already reported and failed by the batch thread
        self.raise_exception(exc)

    def _on_exception(self, exc: Exception) -> int | None:
        if exc is self._fatal:
            self._stopping.set()
            try:
                self._flush()
            except Exception:  # noqa: BLE001 - exiting anyway
                return 1
            return 1
        code = super()._on_exception(exc)
        if code is not None:
            self._stopping.set()
        return code
