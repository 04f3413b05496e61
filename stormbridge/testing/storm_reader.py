"""Read a component's output the way Storm 2.8's ``JsonSerializer`` does, strictly.

Storm reads lines until one is exactly ``end``, joins the earlier lines with ``\\n`` and
parses the result as a JSON object that must carry a ``"command"`` string (except the
first reply, ``{"pid": N}``). Anything else kills the Java side, so here it raises
:class:`StormWouldDieError` naming the offending bytes.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import ProtocolError

__all__ = ["JsonStormReader", "MsgpackStormReader", "StormWouldDieError"]


class StormWouldDieError(ProtocolError):
    """The component wrote something Storm's multilang reader would reject."""


class JsonStormReader:
    """Incremental, line-based parser of component → Storm JSON frames."""

    def __init__(self) -> None:
        self._pending = b""
        self._lines: list[bytes] = []

    def feed(self, data: bytes) -> list[Any]:
        """Messages completed by ``data``."""
        messages = []
        buf = self._pending + data
        start = 0
        while True:
            nl = buf.find(b"\n", start)
            if nl < 0:
                break
            line = buf[start:nl]
            start = nl + 1
            if line == b"end":
                frame = b"\n".join(self._lines)
                self._lines = []
                messages.append(self._parse(frame))
            else:
                self._lines.append(line)
        self._pending = buf[start:]
        return messages

    def leftover(self) -> bytes:
        """Bytes of an unfinished frame (non-empty at EOF means a truncated message)."""
        return b"\n".join([*self._lines, self._pending]) if self._lines else self._pending

    @staticmethod
    def _parse(frame: bytes) -> Any:
        try:
            message = json.loads(frame.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise StormWouldDieError(
                f"Storm could not parse this frame ({exc}): {frame[:300]!r}"
            ) from None
        if not isinstance(message, dict):
            raise StormWouldDieError(f"Storm expects a JSON object, got {frame[:300]!r}")
        return message


class MsgpackStormReader:
    """Parser of back-to-back msgpack messages (for ``-s msgpack`` components)."""

    def __init__(self) -> None:
        import msgpack

        self._unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
        self._fed = 0

    def feed(self, data: bytes) -> list[Any]:
        self._unpacker.feed(data)
        self._fed += len(data)
        messages = []
        for message in self._unpacker:
            if not isinstance(message, dict):
                raise StormWouldDieError(f"Storm expects a map, got {message!r:.300}")
            messages.append(message)
        return messages

    def leftover(self) -> bytes:
        return b"x" * (self._fed - self._unpacker.tell())
