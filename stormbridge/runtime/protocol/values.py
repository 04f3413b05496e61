"""Checks on outgoing values that every codec shares.

Storm reads every JSON integer into a Java ``Long``: an int outside the signed 64-bit
range kills the worker. So we refuse it in the caller, before a byte is written.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ...errors import IntegerRangeError

__all__ = ["INT64_MAX", "INT64_MIN", "scan_values"]

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1

_SCALARS = (str, bool, type(None))


def _too_big(value: int) -> IntegerRangeError:
    text = repr(value)
    if len(text) > 60:
        text = text[:28] + "..." + text[-28:]
    return IntegerRangeError(
        f"integer {text} is outside the signed 64-bit range Storm accepts "
        f"([{INT64_MIN}, {INT64_MAX}]); Storm's worker would die reading it. "
        "Send it as a string (str(value)) instead."
    )


def scan_values(obj: Any) -> bool:
    """Raise IntegerRangeError for an int outside int64 anywhere inside ``obj``.

    Returns True when ``obj`` holds a float that is NaN or infinite (JSON codecs
    must then write it the way Storm's parser reads it). Values of other types are
    left for the encoder to accept or refuse.
    """
    kind = type(obj)
    if kind is list or kind is tuple:
        return _scan_items(obj)
    if kind is str:
        return False
    if kind is int:
        if obj < INT64_MIN or obj > INT64_MAX:
            raise _too_big(obj)
        return False
    if kind is float:
        return not math.isfinite(obj)
    if isinstance(obj, (list, tuple)):
        return _scan_items(obj)
    if isinstance(obj, Mapping):
        special = False
        for key, item in obj.items():
            if type(key) is not str and scan_values(key):
                special = True
            if scan_values(item):
                special = True
        return special
    if isinstance(obj, _SCALARS):
        return False
    if isinstance(obj, int):  # int subclasses (IntEnum, ...)
        if obj < INT64_MIN or obj > INT64_MAX:
            raise _too_big(int(obj))
        return False
    if isinstance(obj, float):
        return not math.isfinite(obj)
    return False


def _scan_items(items: Any) -> bool:
    """:func:`scan_values` over a list or tuple, with its common items checked inline."""
    special = False
    for item in items:
        item_kind = type(item)
        if item_kind is str:
            continue
        if item_kind is int:
            if item < INT64_MIN or item > INT64_MAX:
                raise _too_big(item)
            continue
        if scan_values(item):
            special = True
    return special
