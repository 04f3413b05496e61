"""Options every ``sparse`` subcommand shares, and the steps they all take with them.

Each ``add_*`` adds one streamparse flag to a subparser with the same spelling and ``dest``
(``args.environment``, ``args.name``, ``args.override_name``, ``args.options``, ``args.ackers``,
``args.workers``, ``args.debug``, ``args.config``, ``args.timeout``, ``args.wait``).
:func:`load_context` turns them into a project and an environment (printing config warnings to
stderr); :func:`resolve_cli_options` into the topology conf.

Differences from streamparse: ``--timeout`` is in **seconds** (streamparse: milliseconds; write
``7000ms``, and a bare number over 300 is refused with an explanation);
``--config`` may name the file or its folder, and relative paths in it are relative to that
folder rather than to the current directory.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import ConfigError, TopologyError
from ..project.config import EnvConfig
from ..project.loader import Project, load_project, topology_file
from ..project.options import parse_option, resolve_options

if TYPE_CHECKING:
    from ..thrift.nimbus import NimbusClient

__all__ = [
    "DEFAULT_TIMEOUT",
    "DEFAULT_WAIT",
    "Context",
    "add_ackers",
    "add_cluster",
    "add_config",
    "add_debug",
    "add_environment",
    "add_extra_jars",
    "add_name",
    "add_option",
    "add_override_name",
    "add_timeout",
    "add_topology_conf_flags",
    "add_wait",
    "add_workers",
    "bool_value",
    "connect_nimbus",
    "human_size",
    "load_context",
    "non_negative_int",
    "positive_float",
    "positive_int",
    "print_table",
    "resolve_cli_options",
    "timeout_value",
    "topology_name",
    "topology_name_arg",
]

#: The largest count or number of seconds Storm takes (a Java int / Thrift i32).
_MAX_INT = 2**31 - 1
#: Seconds any single call to Nimbus or the UI may take.
DEFAULT_TIMEOUT = 10.0
#: Seconds Storm waits between deactivating and killing/rebalancing a topology.
DEFAULT_WAIT = 5


# --------------------------------------------------------------------------- argparse types


def _whole_number(text: str, low: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not low <= value <= _MAX_INT:
        raise argparse.ArgumentTypeError(f"{text!r} must be from {low} to {_MAX_INT}")
    return value


def positive_int(text: str) -> int:
    return _whole_number(text, 1)


def non_negative_int(text: str) -> int:
    return _whole_number(text, 0)


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0")
    if not math.isfinite(value) or value > 1e9:
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number of seconds")
    return value


# --------------------------------------------------------------------------- flags


def add_environment(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-e",
        "--environment",
        metavar="ENV",
        help="environment in config.json 'envs' (optional when there is only one)",
    )


def add_name(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-n",
        "--name",
        metavar="NAME",
        help="topology file name under topology_specs (optional when there is only one)",
    )


def topology_name_arg(text: str) -> str:
    """``-N NAME``: a name Nimbus accepts (and safe as a file name), else a usage error."""
    from ..dsl.topology import validate_topology_name

    try:
        return validate_topology_name(text)
    except TopologyError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_override_name(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-N",
        "--override_name",
        type=topology_name_arg,
        metavar="NAME",
        help="run the topology under this name instead of its file name",
    )


def add_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--option",
        dest="options",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="Storm option for the topology (repeatable); VALUE is read as JSON/YAML scalar: "
        "1000, 0.5, true, null, [a, b] or text",
    )


def add_ackers(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-a",
        "--ackers",
        type=non_negative_int,
        metavar="N",
        help="acker executors (topology.acker.executors)",
    )


def add_workers(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-w",
        "--workers",
        type=positive_int,
        metavar="N",
        help="worker processes (topology.workers)",
    )


def bool_value(text: str) -> bool:
    """``true``/``false`` (also yes/no, on/off, 1/0, any case): ``-d VALUE`` as streamparse."""
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "on", "1"):
        return True
    if lowered in ("false", "no", "off", "0"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not true or false")


def add_debug(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-d",
        "--debug",
        nargs="?",
        const=True,
        default=False,
        type=bool_value,
        metavar="BOOL",
        help="set topology.debug (and Python log level debug); -d alone means true, "
        "-d false turns it off (as streamparse's -d VALUE)",
    )


def add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="config.json to use (default: the nearest one at or above the current folder)",
    )


#: The longest bare ``--timeout`` taken as seconds; more is refused as a likely streamparse
#: value in milliseconds.
MAX_BARE_TIMEOUT = 300.0


def timeout_value(text: str) -> float:
    """``--timeout``: seconds (``10``, ``10s``) or milliseconds with a unit (``7000ms``).

    streamparse's ``--timeout`` was in milliseconds; a bare number above
    :data:`MAX_BARE_TIMEOUT` is refused with a message rather than waiting for hours.
    """
    stripped = text.strip().lower()
    scale, number = 1.0, stripped
    if stripped.endswith("ms"):
        scale, number = 0.001, stripped[:-2]
    elif stripped.endswith("s"):
        number = stripped[:-1]
    try:
        value = float(number) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration: write seconds (10, 10s) or milliseconds (7000ms)"
        ) from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number more than 0")
    if number == stripped and value > MAX_BARE_TIMEOUT:
        raise argparse.ArgumentTypeError(
            f"{text} would be {value:g} seconds: stormbridge's --timeout is in seconds, "
            f"streamparse's was in milliseconds; write --timeout {value / 1000:g} or "
            f"--timeout {text}ms (or {text}s if you mean seconds)"
        )
    return value


def add_timeout(parser: argparse.ArgumentParser, default: float = DEFAULT_TIMEOUT) -> None:
    parser.add_argument(
        "--timeout",
        type=timeout_value,
        default=default,
        metavar="SECONDS",
        help=f"give up on Nimbus/UI calls after this many seconds (default {default:g}); "
        "7000ms for milliseconds (streamparse's unit)",
    )


def add_cluster(parser: argparse.ArgumentParser) -> None:
    """The flags of every command that asks the env's cluster about all of it: -e, --config,
    --timeout."""
    add_environment(parser)
    add_config(parser)
    add_timeout(parser)


def add_extra_jars(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--extra-jar",
        dest="extra_jars",
        action="append",
        type=Path,
        default=[],
        metavar="JAR",
        help="merge this JVM jar's classes into the topology jar (repeatable; project.clj "
        ":dependencies are added automatically)",
    )


def add_running_topology(parser: argparse.ArgumentParser) -> None:
    """The flags of every command that acts on one running topology: -e, -n, -N, --config,
    --timeout."""
    add_environment(parser)
    add_name(parser)
    add_override_name(parser)
    add_config(parser)
    add_timeout(parser)


def add_wait(
    parser: argparse.ArgumentParser, default: int = DEFAULT_WAIT, *, short: bool = False
) -> None:
    parser.add_argument(
        *(["-w"] if short else []),
        "--wait",
        type=non_negative_int,
        default=default,
        metavar="SECONDS",
        help=f"seconds Storm waits after deactivating before acting (default {default})",
    )


def add_topology_conf_flags(parser: argparse.ArgumentParser) -> None:
    """``-o``, ``-a``, ``-w``, ``-d``: the flags that feed the topology conf."""
    add_option(parser)
    add_ackers(parser)
    add_workers(parser)
    add_debug(parser)


# --------------------------------------------------------------------------- steps


@dataclass(frozen=True)
class Context:
    """What a subcommand works on: the project and the chosen environment."""

    project: Project
    env: EnvConfig


def load_context(
    args: argparse.Namespace,
    *,
    environ: Mapping[str, str] | None = None,
    stderr: TextIO | None = None,
) -> Context:
    """Load ``args.config`` (or the nearest ``config.json``) and select ``args.environment``.

    Warnings about the file (unknown keys, settings stormbridge ignores) go to ``stderr``.
    """
    project = load_project(getattr(args, "config", None))
    env = project.config.select_env(getattr(args, "environment", None), environ=environ)
    out = sys.stderr if stderr is None else stderr
    for warning in (*project.config.warnings, *env.warnings):
        print(f"sparse: warning: {warning}", file=out)
    return Context(project=project, env=env)


def resolve_cli_options(
    args: argparse.Namespace,
    env: EnvConfig,
    topology_config: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The topology conf: env options < log < ``Topology.config`` < ``-o``/``-a``/``-w``/``-d``."""
    parsed = [parse_option(text) for text in (getattr(args, "options", None) or [])]
    return resolve_options(
        env,
        topology_config=topology_config,
        cli_options=parsed,
        ackers=getattr(args, "ackers", None),
        workers=getattr(args, "workers", None),
        debug=bool(getattr(args, "debug", False)),
    )


def topology_name(args: argparse.Namespace, project: Project) -> str:
    """``-N``, else ``-n`` (any name: the topology may run without a local file), else the
    only topology file's name."""
    override = getattr(args, "override_name", None)
    if override:
        return str(override)
    name = getattr(args, "name", None)
    if name:
        return str(name[:-3] if name.endswith(".py") else name)
    return topology_file(project, None).stem


def connect_nimbus(
    env: EnvConfig, timeout: float = DEFAULT_TIMEOUT
) -> contextlib.AbstractContextManager[NimbusClient]:
    """A client of the leader Nimbus of ``env`` (seeds from ``nimbus`` or
    ``$STREAMPARSE_NIMBUS``), through an SSH tunnel to the Nimbus host when the env sets
    ``use_ssh_for_nimbus``; use it in a ``with`` block. Connecting, and every call, gives up
    after ``timeout`` seconds."""
    if env.use_ssh_for_nimbus:
        from ..deploy.nimbus import nimbus_session  # the SSH client only when tunnelling
        from ..deploy.ssh import SSHSettings

        return nimbus_session(env, SSHSettings.from_env(env), timeout=timeout)
    from ..thrift.nimbus import connect_leader  # thriftpy2 only when talking to Nimbus

    seeds = [(seed.host, seed.port) for seed in env.require_nimbus()]
    return connect_leader(seeds, timeout=timeout, connect_timeout=timeout)


def report_whole_packages(because: Sequence[str]) -> None:
    """Say why a jar carries all of stormbridge rather than the worker runtime alone."""
    if because:
        print(
            "sparse: note: shipping all of stormbridge to the workers, not just its runtime, "
            "because components import more than the runtime:\n  "
            + "\n  ".join(because)
            + "\n  (import DSL names such as Grouping in topology files, not in src/)",
            file=sys.stderr,
        )


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def print_table(headers: list[str], rows: list[list[Any]], *, out: TextIO | None = None) -> None:
    """A plain left-aligned text table (numbers right-aligned)."""
    out = sys.stdout if out is None else out
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(value))
    numeric = [  # right-aligned: columns of numbers (``None`` cells, shown as "-", allowed)
        any(r[i] is not None for r in rows)
        and all(
            r[i] is None or (isinstance(r[i], int | float) and not isinstance(r[i], bool))
            for r in rows
        )
        for i in range(len(headers))
    ]

    def fmt(row: list[str]) -> str:
        parts = [
            v.rjust(widths[i]) if numeric[i] else v.ljust(widths[i]) for i, v in enumerate(row)
        ]
        return "  ".join(parts).rstrip()

    print(fmt(headers), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in cells:
        print(fmt(row), file=out)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return str(value)


def require(condition: bool, message: str) -> None:
    """Raise :class:`ConfigError` with ``message`` unless ``condition``."""
    if not condition:
        raise ConfigError(message)
