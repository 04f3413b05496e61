"""What the in-process runner returns (:class:`TopologyResult`) and takes as spout or stub
output (:class:`Emit`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Emit", "TopologyResult"]


@dataclass(frozen=True)
class Emit:
    """One tuple a supplied spout (or a stub) emits: values, stream and message id.

    A plain list or tuple of values means ``Emit(values)``: default stream, no id (untracked).
    """

    values: Sequence[Any]
    stream: str = "default"
    id: Any = None


@dataclass
class TopologyResult:
    """What happened in a run. Values are lists, as Storm decodes them from the wire."""

    #: ``{component: {stream: [values, ...]}}`` in emit order.
    emits: dict[str, dict[str, list[list[Any]]]] = field(default_factory=dict)
    #: ``{bolt: {task id: [values, ...]}}``: what each bolt task received (ticks excluded).
    received: dict[str, dict[int, list[list[Any]]]] = field(default_factory=dict)
    #: ``{spout: [message id, ...]}`` whose tuple tree completed (the spout's ``ack`` ran).
    acked: dict[str, list[Any]] = field(default_factory=dict)
    #: ``{spout: [message id, ...]}`` whose tree failed, once per failure (replays fail again).
    failed: dict[str, list[Any]] = field(default_factory=dict)
    #: ``{component: [log message, ...]}`` sent with ``log`` (``self.logger``, ``self.log``).
    logs: dict[str, list[str]] = field(default_factory=dict)
    #: ``{component: [error text, ...]}`` sent with ``error`` (``raise_exception``).
    errors: dict[str, list[str]] = field(default_factory=dict)
    #: ``{spout: {message id, ...}}`` emitted with an id and neither acked nor failed yet.
    pending: dict[str, list[Any]] = field(default_factory=dict)

    def emitted(self, component: str, stream: str = "default") -> list[list[Any]]:
        """The values ``component`` emitted on ``stream``, in order."""
        return list(self.emits.get(component, {}).get(stream, []))
