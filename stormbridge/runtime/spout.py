"""``Spout`` and ``ReliableSpout``: answer Storm's ``next``/``ack``/``fail``/... with ``sync``."""

from __future__ import annotations

from collections import Counter
from threading import get_ident as _get_ident
from typing import Any

from ..errors import ProtocolError
from .component import Component, dsl_specs
from .protocol import describe
from .protocol.messages import SPOUT_COMMANDS

__all__ = ["ReliableSpout", "Spout"]

_SYNC = {"command": "sync"}


class Spout(Component):
    """Base class of spouts. Implement :meth:`next_tuple`; it must not block.

    Storm sends one command at a time and waits for ``sync``: every command is
    answered with exactly one ``sync`` after its hook returns.
    """

    #: Emits so far: a ``next`` carrying ``"max"`` (the batched transport) calls
    #: :meth:`next_tuple` again while the last call emitted and fewer than ``max`` went out.
    _emits = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._general_io = self._io_overridden()

    def _io_overridden(self) -> bool:
        """Whether this class or instance replaces the I/O hooks pystorm's loop calls.

        A spout that overrides ``send_message``, ``read_command`` or ``read_message`` (or has
        one patched in) gets the general path: commands are read with ``read_command`` and
        emits and ``sync`` go through ``send_message``, as in pystorm. Everyone else keeps
        the inlined fast paths.
        """
        cls = type(self)
        own = self.__dict__
        return (
            cls.send_message is not _SEND_MESSAGE
            or cls.read_command is not _READ_COMMAND
            or cls.read_message is not _READ_MESSAGE
            or "send_message" in own
            or "read_command" in own
            or "read_message" in own
        )

    def _setup_component(self, storm_conf: dict[str, Any], context: dict[str, Any]) -> None:
        super()._setup_component(storm_conf, context)
        self._general_io = self._io_overridden()

    @classmethod
    def spec(
        cls, name: str | None = None, par: Any = None, config: dict[str, Any] | None = None
    ) -> Any:
        """The DSL specification of this spout in a ``Topology``."""
        return dsl_specs().python_spout_spec(cls, name=name, par=par, config=config)

    def next_tuple(self) -> None:
        """Emit the next tuple(s), if any. Must return quickly."""
        raise NotImplementedError(f"{type(self).__name__} must implement next_tuple()")

    def ack(self, tup_id: Any) -> None:
        """Storm fully processed the tuple emitted with ``tup_id``."""

    def fail(self, tup_id: Any) -> None:
        """The tuple emitted with ``tup_id`` failed or timed out."""

    def activate(self) -> None:
        """The topology was activated."""

    def deactivate(self) -> None:
        """The topology was deactivated."""

    def emit(  # type: ignore[override]
        self,
        tup: Any,
        tup_id: Any = None,
        stream: str | None = None,
        direct_task: int | None = None,
        need_task_ids: bool = False,
    ) -> list[int] | None:
        """Emit ``tup``; with a ``tup_id`` the tuple is tracked (acked or failed later)."""
        self._emits += 1
        if self._general_io:
            return self._emit_general(tup, tup_id, stream, direct_task, need_task_ids)
        if direct_task is None and not need_task_ids:
            kind = type(tup)
            if kind is not list and kind is not tuple and not isinstance(tup, (list, tuple)):
                raise TypeError(
                    f"All Tuples must be either lists or tuples, received {kind!r} instead."
                )
            msg: dict[str, Any] = {"command": "emit", "tuple": tup}
            if tup_id is not None:
                msg["id"] = tup_id
            if stream is not None:
                msg["stream"] = stream
            msg["need_task_ids"] = False
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
        return self._emit(tup, tup_id, stream, None, direct_task, need_task_ids)

    def _emit_general(
        self,
        tup: Any,
        tup_id: Any,
        stream: str | None,
        direct_task: int | None,
        need_task_ids: bool,
    ) -> list[int] | None:
        """``emit`` through ``send_message`` (and ``read_task_ids``), for overridden I/O."""
        self._check_emit(tup, tup_id, direct_task)
        msg: dict[str, Any] = {"command": "emit", "tuple": tup}
        if tup_id is not None:
            msg["id"] = tup_id
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

    def _run(self) -> None:
        self._general_io = general = self._io_overridden()
        if general:
            cmd: Any = self.read_command()
        else:
            cmd = self._pending_commands.popleft() if self._pending_commands else self._read()
        if type(cmd) is not dict:
            raise ProtocolError(
                "Storm sent a task-id list while no emit was waiting for one: " + describe(cmd)
            )
        command = cmd.get("command")
        if command == "next":
            self._next_tuples(cmd)
        elif command == "ack":
            self.ack(cmd.get("id"))
        elif command == "fail":
            self.fail(cmd.get("id"))
        elif command == "activate":
            self.activate()
        elif command == "deactivate":
            self.deactivate()
        else:
            raise ProtocolError(
                f"unknown spout command {describe(command)} from Storm (expected one of "
                f"{', '.join(sorted(SPOUT_COMMANDS))}): {describe(cmd)}"
            )
        if general:
            self.send_message(_SYNC)
        else:
            self._append(self._sync_body)

    def _run_forever(self) -> None:
        """:meth:`_run` in a loop, with everything it looks up held in local variables."""
        if type(self)._run is not Spout._run or "_run" in self.__dict__ or self._general_io:
            super()._run_forever()
            return
        read = self._read
        pending = self._pending_commands
        append = self._append
        sync_body = self._sync_body
        next_tuple = self.next_tuple
        next_tuples = self._next_tuples
        batched = self._batched_transport
        while True:
            cmd = pending.popleft() if pending else read()
            command = cmd.get("command") if type(cmd) is dict else None
            if command == "next":
                if batched and "max" in cmd:
                    next_tuples(cmd)
                else:
                    next_tuple()
            elif command in ("ack", "fail", "activate", "deactivate"):
                self._pending_commands.appendleft(cmd)
                self._run()  # the rare commands: one code path with the checks
                continue
            else:
                pending.appendleft(cmd)
                self._run()  # raises the precise ProtocolError
            append(sync_body)

    def _next_tuples(self, cmd: dict[str, Any]) -> None:
        """Answer one ``next``: :meth:`next_tuple` once, or, when the handshake offered the
        batched transport and the ``next`` carries ``"max": k``, again while the last call
        emitted something and fewer than k tuples went out (never waiting for data)."""
        limit = cmd.get("max") if self._batched_transport else None
        start = last = self._emits
        self.next_tuple()
        if type(limit) is not int:
            return
        while self._emits != last and self._emits - start < limit:
            last = self._emits
            self.next_tuple()

    def _handle_run_exception(self, exc: BaseException) -> None:
        # raise_exception sends error + sync; Storm keeps waiting for the command's sync.
        self.raise_exception(exc)


class ReliableSpout(Spout):
    """A spout that re-emits failed tuples up to ``max_fails`` times, then acks them."""

    max_fails = 3

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failed_tuples: Counter[Any] = Counter()
        self.unacked_tuples: dict[Any, tuple[Any, Any, Any, bool]] = {}

    def ack(self, tup_id: Any) -> None:
        self.failed_tuples.pop(tup_id, None)
        try:
            del self.unacked_tuples[tup_id]
        except KeyError:
            self.logger.error("Received ack for unknown tuple ID: %r", tup_id)

    def fail(self, tup_id: Any) -> None:
        saved = self.unacked_tuples.get(tup_id)
        if saved is None:
            self.logger.error("Received fail for unknown tuple ID: %r", tup_id)
            return
        tup, stream, direct_task, need_task_ids = saved
        if self.failed_tuples[tup_id] < self.max_fails:
            self.emit(
                tup,
                tup_id=tup_id,
                stream=stream,
                direct_task=direct_task,
                need_task_ids=need_task_ids,
            )
            self.failed_tuples[tup_id] += 1
        else:
            self.logger.info(
                "Acking tuple ID %r after it exceeded retry limit (%r)", tup_id, self.max_fails
            )
            self.ack(tup_id)

    def emit(  # type: ignore[override]
        self,
        tup: Any,
        tup_id: Any = None,
        stream: str | None = None,
        direct_task: int | None = None,
        need_task_ids: bool = False,
    ) -> list[int] | None:
        if tup_id is None:
            raise ValueError(
                "You must provide a tuple ID when emitting with a ReliableSpout in order "
                "for the tuple to be tracked."
            )
        self.unacked_tuples[tup_id] = (tup, stream, direct_task, need_task_ids)
        return super().emit(
            tup, tup_id=tup_id, stream=stream, direct_task=direct_task, need_task_ids=need_task_ids
        )


# The hooks as defined here, kept before anyone can patch them (mock.patch.object on Spout).
_SEND_MESSAGE = Component.send_message
_READ_MESSAGE = Component.read_message
_READ_COMMAND = Component.read_command
