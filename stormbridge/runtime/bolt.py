"""``Bolt``: tuples in, ``process``, emits anchored to the tuple, auto ack/fail."""

from __future__ import annotations

from collections.abc import Callable
from threading import get_ident as _get_ident
from typing import Any

from ..errors import ProtocolError
from .component import Component, dsl_specs
from .protocol import describe
from .tuple import HEARTBEAT_STREAM, TICK_COMPONENT, TICK_STREAM, Tuple, values_types

__all__ = ["Bolt"]

_SYNC = {"command": "sync"}
_new_tuple = tuple.__new__


def _no_frames(frame: Any) -> Any:  # pragma: no cover - never called (no ready frames)
    raise AssertionError("no frame decoder")


class Bolt(Component):
    """Base class of bolts. Implement :meth:`process`.

    ``auto_anchor``: emits made while handling a tuple are anchored to it.
    ``auto_ack``: the tuple is acked after ``process``/``process_tick`` returns.
    ``auto_fail``: the tuple is failed when ``process`` raises.
    """

    auto_anchor = True
    auto_ack = True
    auto_fail = True

    # Class-level default, as in pystorm: the tuples the current emit anchors to.
    _current_tups: list[Tuple] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._values_types: dict[tuple[str, str], tuple[type, int]] = {}
        self._plain_ack = False
        self._general_io = self._io_overridden()

    def _io_overridden(self) -> bool:
        """Whether this class or instance replaces the I/O hooks pystorm's loop calls.

        A bolt that overrides ``send_message``, ``read_tuple`` or ``read_message`` (or has
        one patched in) gets the general path: every tuple is read with ``read_tuple`` and
        every emit, ack, fail and heartbeat answer goes through ``send_message``, as in
        pystorm. Everyone else keeps the inlined fast paths.
        """
        cls = type(self)
        own = self.__dict__
        return (
            cls.send_message is not _SEND_MESSAGE
            or cls.read_tuple is not _READ_TUPLE
            or cls.read_message is not _READ_MESSAGE
            or "send_message" in own
            or "read_tuple" in own
            or "read_message" in own
        )

    @classmethod
    def spec(
        cls,
        name: str | None = None,
        inputs: Any = None,
        par: Any = None,
        config: dict[str, Any] | None = None,
    ) -> Any:
        """The DSL specification of this bolt in a ``Topology``."""
        return dsl_specs().python_bolt_spec(cls, name=name, inputs=inputs, par=par, config=config)

    @staticmethod
    def is_tick(tup: Tuple) -> bool:
        """Whether ``tup`` is a tick tuple (``topology.tick.tuple.freq.secs``)."""
        return tup.component == TICK_COMPONENT and tup.stream == TICK_STREAM

    def _setup_component(self, storm_conf: dict[str, Any], context: dict[str, Any]) -> None:
        super()._setup_component(storm_conf, context)
        self._values_types = values_types(context)
        self._plain_ack = type(self).ack is Bolt.ack and "ack" not in self.__dict__
        self._general_io = self._io_overridden()

    # -- user hooks ----------------------------------------------------------------
    def process(self, tup: Tuple) -> None:
        """Handle one tuple. Override it."""
        raise NotImplementedError(f"{type(self).__name__} must implement process()")

    def process_tick(self, tup: Tuple) -> None:
        """Handle a tick tuple; ignored by default."""

    # -- reading -------------------------------------------------------------------
    def read_tuple(self) -> Tuple:
        """The next tuple from Storm (heartbeats included)."""
        msg = self._pending_commands.popleft() if self._pending_commands else self.read_message()
        return self._make_tuple(msg)

    def _make_tuple(self, msg: Any) -> Tuple:
        try:
            source = msg["comp"]
            stream = msg["stream"]
            values = msg["tuple"]
            tup_id = msg["id"]
            task = msg["task"]
        except (KeyError, TypeError):
            if type(msg) is list:
                raise ProtocolError(
                    "Storm sent a task-id list while no emit was waiting for one "
                    f"(need_task_ids was not asked): {describe(msg)}"
                ) from None
            raise ProtocolError(
                "expected a tuple (an object with id, comp, stream, task and tuple) from "
                f"Storm, got {describe(msg)}"
            ) from None
        if type(values) is not list:
            raise ProtocolError(
                f"the 'tuple' of a message from Storm is not a list: {describe(msg)}"
            )
        known = self._values_types.get((source, stream))
        if known is not None and known[1] == len(values):
            vals: tuple[Any, ...] = _new_tuple(known[0], values)
        else:
            vals = tuple(values)
        return _new_tuple(Tuple, (tup_id, source, stream, task, vals))

    # -- writing -------------------------------------------------------------------
    def emit(  # type: ignore[override]
        self,
        tup: Any,
        stream: str | None = None,
        anchors: Any = None,
        direct_task: int | None = None,
        need_task_ids: bool = False,
    ) -> list[int] | None:
        """Emit ``tup`` anchored to ``anchors`` (Tuples or ids), by default the current tuple."""
        if anchors is None:
            if self.auto_anchor:
                current = self._current_tups
                anchors = [current[0].id] if len(current) == 1 else [t.id for t in current]
            else:
                anchors = []
        else:
            anchors = [a.id if isinstance(a, Tuple) else a for a in anchors]
        if self._general_io:
            return self._emit_general(tup, stream, anchors, direct_task, need_task_ids)
        if direct_task is None and not need_task_ids:
            kind = type(tup)
            if kind is not list and kind is not tuple and not isinstance(tup, (list, tuple)):
                raise TypeError(
                    f"All Tuples must be either lists or tuples, received {kind!r} instead."
                )
            if stream is None:
                msg = {"command": "emit", "tuple": tup, "anchors": anchors, "need_task_ids": False}
            else:
                msg = {
                    "command": "emit",
                    "tuple": tup,
                    "anchors": anchors,
                    "stream": stream,
                    "need_task_ids": False,
                }
            try:
                body = self._strict_encode(msg, self._strict_default, self._strict_option)
            except TypeError:  # a big int or an odd value: the careful path decides
                body = self._dump(msg)
            else:
                if body.partition(b"null")[1]:  # None, or NaN/infinity written as null
                    body = self._dump(msg)
            out = self._out  # ByteSink.write, inlined
            out.append(body)
            if len(out) >= self._sink.max_pending or _get_ident() != self._sink.owner:
                self._flush()
            return None
        return self._emit(tup, None, stream, anchors, direct_task, need_task_ids)

    def _emit_general(
        self,
        tup: Any,
        stream: str | None,
        anchors: list[Any],
        direct_task: int | None,
        need_task_ids: bool,
    ) -> list[int] | None:
        """``emit`` through ``send_message`` (and ``read_task_ids``), for overridden I/O."""
        self._check_emit(tup, None, direct_task)
        msg: dict[str, Any] = {"command": "emit", "tuple": tup, "anchors": anchors}
        if stream is not None:
            msg["stream"] = stream
        if direct_task is not None:
            msg["task"] = direct_task
        if not need_task_ids:
            msg["need_task_ids"] = False
        self.send_message(msg)
        if not need_task_ids:
            return None
        if direct_task is not None:
            return [direct_task]
        self._flush()
        return self.read_task_ids()

    def ack(self, tup: Any) -> None:
        """Tell Storm ``tup`` (a Tuple or its id) was processed."""
        tup_id = tup.id if isinstance(tup, Tuple) else tup
        if self._general_io:
            self.send_message({"command": "ack", "id": tup_id})
            return
        self._write(
            self._dump(
                {"command": "ack", "id": tup_id}, special=False if type(tup_id) is str else None
            )
        )

    def fail(self, tup: Any) -> None:
        """Tell Storm ``tup`` (a Tuple or its id) failed: the spout may replay it."""
        tup_id = tup.id if isinstance(tup, Tuple) else tup
        if self._general_io:
            self.send_message({"command": "fail", "id": tup_id})
            return
        self._write(
            self._dump(
                {"command": "fail", "id": tup_id}, special=False if type(tup_id) is str else None
            )
        )

    # -- the loop ------------------------------------------------------------------
    def _sync(self) -> None:
        """Answer a heartbeat."""
        if self._general_io:
            self.send_message(_SYNC)
        else:
            self._write(self._sync_body)

    def _run_general(self) -> None:
        """One tuple the way pystorm handles it: ``read_tuple``, hooks, ``send_message``."""
        tup = self.read_tuple()
        if tup.task == -1 and tup.stream == HEARTBEAT_STREAM:
            self.send_message(_SYNC)
            return
        self._current_tups = [tup]
        if self.is_tick(tup):
            self.process_tick(tup)
        else:
            self.process(tup)
        if self.auto_ack:
            self.ack(tup)
        self._current_tups = []

    def _run(self) -> None:
        self._general_io = general = self._io_overridden()
        if general:
            self._run_general()
            return
        msg = self._pending_commands.popleft() if self._pending_commands else self._read()
        try:
            source = msg["comp"]
            stream = msg["stream"]
            values = msg["tuple"]
            tup_id = msg["id"]
            task = msg["task"]
        except (KeyError, TypeError):
            self._make_tuple(msg)  # raises the precise ProtocolError
            raise
        if type(values) is not list:
            self._make_tuple(msg)
        if task == -1 and stream == HEARTBEAT_STREAM:
            self._append(self._sync_body)
            return
        known = self._values_types.get((source, stream))
        if known is not None and known[1] == len(values):
            vals: tuple[Any, ...] = _new_tuple(known[0], values)
        else:
            vals = tuple(values)
        tup: Tuple = _new_tuple(Tuple, (tup_id, source, stream, task, vals))
        self._current_tups = [tup]
        if stream == TICK_STREAM and source == TICK_COMPONENT:
            self.process_tick(tup)
        else:
            self.process(tup)
        if self.auto_ack:
            if self._plain_ack and type(tup_id) is str:
                self._append(self._dumps_fast({"command": "ack", "id": tup_id}))
            else:
                self.ack(tup)
        # Not in a finally: after an exception the tuple must still be failed.
        self._current_tups = []

    def _run_forever(self) -> None:
        """:meth:`_run` in a loop, with everything it looks up held in local variables."""
        if type(self)._run is not Bolt._run or "_run" in self.__dict__ or self._general_io:
            super()._run_forever()
            return
        read = self._read
        pending = self._pending_commands
        codec = self.serializer
        assert codec is not None
        # Without a frame decoder, an empty list: the loop then always calls read().
        ready = codec.ready_frames if codec.frame_loads is not None else []
        frame_loads: Callable[[Any], Any] = codec.frame_loads or _no_frames
        append = self._append
        sync_body = self._sync_body
        ack_head = codec.ack_head
        ack_tail = codec.ack_tail
        dumps_str = codec.dumps_str
        dumps_fast = self._dumps_fast
        types_get = self._values_types.get
        last_source = last_stream = None  # the (source, stream) of the last tuple ...
        last_known: tuple[type, int] | None = None  # ... and its values type
        process = self.process
        process_tick = self.process_tick
        plain_ack = self._plain_ack
        while True:
            if pending:
                msg = pending.popleft()
            elif ready:  # the codec's next whole frame, decoded here without a call
                frame = ready.pop()
                try:
                    msg = frame_loads(frame)
                except ValueError:
                    msg = None
                if type(msg) is not dict and type(msg) is not list:
                    ready.append(frame)  # the codec decides (stdlib fallback, errors)
                    msg = read()
            else:
                msg = read()
            try:
                source = msg["comp"]
                stream = msg["stream"]
                values = msg["tuple"]
                tup_id = msg["id"]
                task = msg["task"]
            except (KeyError, TypeError):
                self._make_tuple(msg)  # raises the precise ProtocolError
                raise
            if type(values) is not list:
                self._make_tuple(msg)
            if task == -1 and stream == HEARTBEAT_STREAM:
                append(sync_body)
                continue
            if stream != last_stream or source != last_source:  # (usually the same)
                last_known = types_get((source, stream))
                last_source = source
                last_stream = stream
            known = last_known
            if known is not None and known[1] == len(values):
                vals: tuple[Any, ...] = _new_tuple(known[0], values)
            else:
                vals = tuple(values)
            tup: Tuple = _new_tuple(Tuple, (tup_id, source, stream, task, vals))
            self._current_tups = [tup]
            if stream == TICK_STREAM and source == TICK_COMPONENT:
                process_tick(tup)
            else:
                process(tup)
            if self.auto_ack:
                if plain_ack and type(tup_id) is str:
                    if ack_head is not None:
                        append(ack_head + dumps_str(tup_id) + ack_tail)
                    else:
                        append(dumps_fast({"command": "ack", "id": tup_id}))
                else:
                    self.ack(tup)
            self._current_tups = []

    def _handle_run_exception(self, exc: BaseException) -> None:
        if len(self._current_tups) == 1:
            tup = self._current_tups[0]
            self.raise_exception(exc, tup)
            if self.auto_fail:
                self.fail(tup)
        else:
            self.raise_exception(exc)
        self._current_tups = []


# The hooks as defined here, kept before anyone can patch them (mock.patch.object on Bolt).
_SEND_MESSAGE = Component.send_message
_READ_MESSAGE = Component.read_message
_READ_TUPLE = Bolt.read_tuple
