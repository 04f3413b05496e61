"""``streamparse.thrift``: Storm's Thrift types (``GlobalStreamId``, ``JavaObjectArg``, …).

Loaded lazily from stormbridge's IDL (``stormbridge/thrift/storm.thrift``) on first
attribute access; ``storm_thrift`` is the thriftpy2 module itself. Only the subset of
Storm's interface that stormbridge declares is available.
"""

from __future__ import annotations

from typing import Any

from stormbridge.thrift import storm_thrift as _load


def __getattr__(name: str) -> Any:
    module = _load()
    if name == "storm_thrift":
        return module
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        value = getattr(module, name)
    except AttributeError:
        raise AttributeError(
            f"module 'streamparse.thrift' has no attribute {name!r}: stormbridge's IDL "
            "declares only the Storm types it uses"
        ) from None
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(
        ["storm_thrift", *(n for n in vars(_load()) if not n.startswith("_") and n[0].isupper())]
    )
