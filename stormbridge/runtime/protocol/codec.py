"""The one small interface every wire codec implements, and the registry of codecs.

A codec owns the framing and the encoding of one multilang connection: it reads whole
messages (a JSON object or a list of task ids) from a :class:`ByteSource`, and encodes
messages into a :class:`ByteSink` that it flushes only when it is about to block on a
read (or when asked). Everything above it (components, the fake Storm peer) speaks in
Python dicts and lists.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from typing import Any, BinaryIO, ClassVar

from ...errors import ProtocolError, SerializationError
from .streams import ByteSink, ByteSource
from .values import scan_values

__all__ = [
    "CODECS",
    "DEFAULT_MAX_FRAME_SIZE",
    "Codec",
    "describe",
    "make_codec",
    "register_codec",
]

#: Largest single message accepted from Storm before the reader gives up (64 MiB).
DEFAULT_MAX_FRAME_SIZE = 64 * 1024 * 1024


def describe(data: object, limit: int = 200) -> str:
    """A short ``repr`` of what was received, for error messages."""
    text = repr(data)
    if len(text) > limit:
        text = text[:limit] + f"... ({len(text) - limit} more characters)"
    return text


class Codec(abc.ABC):
    """Frames and encodes multilang messages over an injected pair of byte streams."""

    #: The name used on the command line (``-s json``) and in :data:`CODECS`.
    name: ClassVar[str] = ""

    #: Added after every message body on the wire (``b"\\nend\\n"`` for JSON).
    suffix: ClassVar[bytes] = b""

    def __init__(
        self,
        input_stream: BinaryIO | int,
        output_stream: BinaryIO | int,
        *,
        max_frame_size: int = DEFAULT_MAX_FRAME_SIZE,
    ) -> None:
        if max_frame_size <= 0:
            raise ValueError(f"max_frame_size must be positive, not {max_frame_size!r}")
        self.source = ByteSource(input_stream)
        self.sink = ByteSink(output_stream, suffix=self.suffix)
        self.max_frame_size = max_frame_size
        #: Encoders for hot paths whose values were already checked with scan_values:
        #: ``dumps_fast`` for ordinary values, ``dumps_special`` when scan_values found a
        #: NaN/infinity. Both raise TypeError/ValueError for values they cannot encode.
        self.dumps_fast: Callable[[Any], bytes]
        self.dumps_special: Callable[[Any], bytes]
        #: ``dump(message)`` with every check, as fast as the codec can make it.
        self.dumps_checked: Callable[[Any], bytes] = self.dump
        #: A C-level encoder that raises TypeError whenever it cannot vouch for the
        #: result (then use :meth:`dump`); its output must also be re-checked with
        #: :meth:`dump` when it contains ``null`` (NaN/infinity may hide there).
        self.dumps_strict: Callable[[Any], bytes] = self.dump
        #: Set by codecs whose ``{"command": "ack", "id": ID}`` for a str ID is exactly
        #: ``ack_head + dumps_str(ID) + ack_tail`` (the bolt's auto-ack fast path).
        self.ack_head: bytes | None = None
        self.ack_tail: bytes = b""
        self.dumps_str: Callable[[str], bytes] = self.dump
        #: Codecs that cut their input into frames ahead of time keep the whole frames
        #: not yet read here, last one first (the list object never changes), and set
        #: ``frame_loads``: a loop may then pop a frame and decode it itself, and must give
        #: it back (``append``) and call :meth:`read_message` when that raises ValueError
        #: or gives anything but a dict or list (the codec reports those precisely).
        self.ready_frames: list[Any] = []
        self.frame_loads: Callable[[Any], Any] | None = None
        #: ``strict_encode(message, strict_default, strict_option)`` does what
        #: ``dumps_strict(message)`` does, for hot paths that can pass the arguments
        #: themselves (a ``functools.partial`` with keywords costs more than the encoding).
        self.strict_encode: Callable[[Any, Any, Any], bytes] = self._strict_encode
        self.strict_default: Any = None
        self.strict_option: Any = None

    def _strict_encode(self, message: Any, default: Any, option: Any) -> bytes:
        return self.dumps_strict(message)

    # -- reading -------------------------------------------------------------------
    @abc.abstractmethod
    def read_message(self) -> Any:
        """The next whole message: a dict or a list.

        Flushes pending writes before blocking. Raises :class:`StormWentAwayError` at
        end of input between messages and :class:`ProtocolError` for anything else
        that is not a well-formed message (the error names what was received).
        """

    # -- writing -------------------------------------------------------------------
    def dump(self, message: Any, *, special: bool | None = None) -> bytes:
        """The body of one message (without the frame suffix).

        Raises :class:`SerializationError` (or its subclass IntegerRangeError) for a
        value that cannot go on the wire. ``special=None`` scans every value first;
        a caller that already ran :func:`~stormbridge.runtime.protocol.values.scan_values`
        over every non-trivial value passes its result instead.
        """
        try:
            if special is None:
                special = scan_values(message)
            return (self.dumps_special if special else self.dumps_fast)(message)
        except SerializationError:
            raise
        except (TypeError, ValueError, OverflowError, RecursionError) as exc:
            raise self.serialization_error(message, exc) from exc

    def serialization_error(self, message: Any, exc: BaseException) -> SerializationError:
        """The error to raise when ``message`` cannot be encoded."""
        return SerializationError(
            f"cannot encode message as {self.name} ({exc}): {describe(message)}. "
            "Emit only JSON-like values: str, int, float, bool, None, lists/tuples and dicts."
        )

    def encode(self, message: Any, *, special: bool | None = None) -> bytes:
        """The bytes of one whole framed message."""
        return self.dump(message, special=special) + self.suffix

    def send(self, message: Mapping[str, Any]) -> None:
        """Encode ``message`` and queue it; it is written at the next flush."""
        self.sink.write(self.dump(message))

    def flush(self) -> None:
        self.sink.flush()

    def close(self) -> None:
        """Flush what is pending (errors from a closed pipe are left to the caller)."""
        self.sink.flush()


CODECS: dict[str, Callable[..., Codec]] = {}


def register_codec(name: str, factory: Callable[..., Codec]) -> None:
    """Make ``factory(input_stream, output_stream, max_frame_size=...)`` known as ``name``."""
    CODECS[name] = factory


def make_codec(
    name: str,
    input_stream: BinaryIO | int,
    output_stream: BinaryIO | int,
    *,
    max_frame_size: int = DEFAULT_MAX_FRAME_SIZE,
) -> Codec:
    """Build the codec called ``name`` (``json``, ``json-stdlib``, ``json-orjson``, ``msgpack``)."""
    try:
        factory = CODECS[name]
    except KeyError:
        known = ", ".join(sorted(CODECS))
        raise ProtocolError(f"unknown serializer {name!r}: choose one of {known}") from None
    return factory(input_stream, output_stream, max_frame_size=max_frame_size)
