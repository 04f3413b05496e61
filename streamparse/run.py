"""``streamparse.run``: the ``streamparse_run`` entry point (``main``).

``RESOURCES_PATH`` may be set on this module, as streamparse allowed; ``main`` passes it on.
"""

from collections.abc import Sequence

import stormbridge.runtime.run as _run
from stormbridge.runtime.run import RESOURCES_PATH, load_component_class

__all__ = ["RESOURCES_PATH", "load_component_class", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``streamparse_run`` (``argv`` default: ``sys.argv[1:]``); returns the exit code."""
    _run.RESOURCES_PATH = RESOURCES_PATH
    return _run.main(argv)
