"""``streamparse_run`` / ``stormbridge-run``: start one Python component under Storm.

Usage: ``streamparse_run [-s json|msgpack] package.module.Class``. Storm passes
``execution_command`` and ``script`` as exactly two argv entries, so when there is a
single argument it is split on whitespace (``"-s msgpack mod.Cls"`` works). The import
root is the working directory, or ``resources/`` under it when the module lives there.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
import threading
from collections.abc import Sequence
from typing import Any

from ..errors import ComponentLoadError

__all__ = ["RESOURCES_PATH", "load_component_class", "main"]

#: Folder under the working directory that holds the topology's code (Storm ≥ 1.0.3).
RESOURCES_PATH = "resources"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="streamparse_run",
        description="Run a Python spout or bolt under Storm's multilang protocol.",
    )
    parser.add_argument("target_class", help="the component class, as package.module.Class")
    parser.add_argument(
        "-s",
        "--serializer",
        default="json",
        choices=("json", "msgpack", "json-stdlib", "json-orjson"),
        help="wire format shared with the Java side (default: json)",
    )
    parser.add_argument(
        "--max-frame-size",
        type=int,
        default=None,
        metavar="BYTES",
        help="largest message accepted from Storm (default: 64 MiB)",
    )
    return parser


def _import_root(module_name: str, cwd: str) -> str:
    resources = os.path.join(cwd, RESOURCES_PATH)
    first = module_name.split(".")[0]
    if os.path.exists(os.path.join(resources, first)) or os.path.exists(
        os.path.join(resources, first + ".py")
    ):
        return resources
    return cwd


def load_component_class(target: str, cwd: str | None = None) -> type:
    """Import ``package.module.Class`` from the working directory (or ``resources/``).

    Raises ComponentLoadError saying whether the module is missing, the module itself
    failed to import (with the original error chained), or the class is missing.
    """
    module_name, _, class_name = target.rpartition(".")
    if not module_name or not class_name:
        raise ComponentLoadError(
            f"{target!r} is not a 'package.module.Class' path: name the module and the class"
        )
    root = _import_root(module_name, cwd or os.getcwd())
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        spec = importlib.util.find_spec(module_name)
    except (ImportError, ValueError) as exc:  # a parent package is missing or broken
        spec = None
        parent_error: BaseException | None = exc
    else:
        parent_error = None
    if spec is None:
        raise ComponentLoadError(
            f"module {module_name!r} not found (looked in {root} and sys.path): check the "
            f"class path {target!r} and that the module is in your project's src/ folder"
        ) from parent_error
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise ComponentLoadError(
            f"importing module {module_name!r} failed inside your code: {type(exc).__name__}: {exc}"
        ) from exc
    try:
        cls: Any = getattr(module, class_name)
    except AttributeError:
        raise ComponentLoadError(f"module {module_name!r} has no class {class_name!r}") from None
    if not isinstance(cls, type):
        raise ComponentLoadError(f"{target!r} is not a class but {type(cls).__name__}")
    return cls


def _report_load_error(exc: ComponentLoadError, serializer: str) -> None:
    """Tell Storm through ``error`` after a handshake, so the failure shows in the UI."""
    from .component import Component

    class _Reporter(Component):
        def initialize(self, storm_conf: dict[str, Any], context: dict[str, Any]) -> None:
            raise exc

    try:
        _Reporter(serializer=serializer).run_to_exit_code()
    except Exception as inner:  # noqa: BLE001 - the original error is what matters
        sys.stderr.write(f"stormbridge: could not report the error to Storm: {inner}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code (1 error, 2 Storm went away)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if len(args_list) == 1:
        args_list = args_list[0].split()
    args = _parser().parse_args(args_list)
    try:
        cls = load_component_class(args.target_class)
    except ComponentLoadError as exc:
        sys.stderr.write(f"stormbridge: {exc}\n")
        if exc.__cause__ is not None:
            import traceback

            traceback.print_exception(exc.__cause__, file=sys.stderr)
        _report_load_error(exc, args.serializer)
        return 1
    _tune_malloc()
    if args.max_frame_size is not None:
        component = cls(serializer=args.serializer, max_frame_size=args.max_frame_size)
    else:
        component = cls(serializer=args.serializer)
    # A Component returns its exit code; any other class with run() (pystorm allowed it)
    # ends the process itself or returns normally (0).
    run_once = getattr(component, "run_to_exit_code", None) or component.run
    code: int = run_once() or 0
    _exit_if_stuck(code)
    return code


def _tune_malloc() -> None:
    """Keep freed heap memory instead of returning it to the OS after every burst.

    Each encoded message is a short-lived malloc'ed buffer; with glibc's defaults the heap
    top is trimmed and regrown (``brk``) thousands of times per second, and the page
    faults that follow cost more CPU than encoding itself. A worker process is ours, so
    raise the trim threshold to 32 MiB (plus 4 MiB top padding). Not on other C
    libraries; set ``STORMBRIDGE_MALLOC_TUNING=0`` to skip.
    """
    if os.environ.get("STORMBRIDGE_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith(
        "linux"
    ):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return
    m_trim_threshold, m_top_pad = -1, -2
    mallopt(m_trim_threshold, 32 * 1024 * 1024)
    mallopt(m_top_pad, 4 * 1024 * 1024)


def _exit_if_stuck(code: int) -> None:
    """User threads that are not daemons would keep a dead component alive: leave now."""
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if others and threading.current_thread() is threading.main_thread():
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
