"""``streamparse.dsl.util``: Python values <-> Thrift ``JavaObjectArg`` (loads thriftpy2)."""

from __future__ import annotations

from typing import Any

from stormbridge.dsl.java import JAVA_ARG_KINDS, java_arg
from stormbridge.thrift import storm_thrift

__all__ = ["to_java_arg", "to_python_arg", "to_python_arg_list"]


def to_java_arg(arg: Any) -> Any:
    """A basic Python value as a Thrift ``JavaObjectArg`` (int becomes ``long_arg``)."""
    converted = java_arg(arg)
    return storm_thrift().JavaObjectArg(**{converted.kind: converted.value})


def to_python_arg(java_arg_obj: Any) -> Any:
    """The value of the member set in a Thrift ``JavaObjectArg`` (None if none is set)."""
    for kind in JAVA_ARG_KINDS:
        value = getattr(java_arg_obj, kind, None)
        if value is not None:
            return value
    return None


def to_python_arg_list(java_arg_list: Any) -> list[Any]:
    """:func:`to_python_arg` over a list."""
    return [to_python_arg(item) for item in java_arg_list]
