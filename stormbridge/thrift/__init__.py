"""Storm's Thrift interface, as stormbridge's own subset IDL (``storm.thrift``).

:func:`storm_thrift` parses the IDL with thriftpy2 on first call and returns the same
module afterwards. Nothing here runs at import time, so importing this package is
cheap and never imports thriftpy2; the worker runtime never calls it. ``nimbus`` is the
typed Nimbus client (timeouts on every call), ``summaries`` the typed results. It may
import ``errors`` only.
"""

from __future__ import annotations

import functools
import types
from pathlib import Path

__all__ = ["IDL_PATH", "storm_thrift"]

#: The IDL file shipped inside the package.
IDL_PATH = Path(__file__).with_name("storm.thrift")


@functools.cache
def storm_thrift() -> types.ModuleType:
    """The thriftpy2 module built from ``storm.thrift`` (loaded once, then cached).

    It is registered in ``sys.modules`` as ``storm_thrift`` so its objects pickle.
    ``SpecificStats`` is an alias of Storm's ``ExecutorSpecificStats`` union.
    """
    import thriftpy2  # deferred: only compiling and talking to Nimbus need it

    module = thriftpy2.load(str(IDL_PATH), module_name="storm_thrift")
    setattr(module, "SpecificStats", module.ExecutorSpecificStats)  # noqa: B010  (short alias)
    return module
