"""``sparse run``: run a topology in Storm local mode (one JVM on this machine).

Steps: load ``config.json`` and pick an env (``-e``; else the only one; else ``local`` if
there is one; else none); load the topology class; resolve the topology conf as ``submit``
does (env options < ``Topology.config`` < ``-o``/``-a``/``-w``/``-d``), then force local-mode
settings (``storm.local.process.local_topology_conf``); compile it with this interpreter as
the components' Python; lay out ``resources/``; find (or provision) the Storm home; put the
JVM jars ``project.clj`` asks for (resolved as for ``sparse jar``) on the classpath; run it for
``-t`` seconds from when its executors run (0: until Ctrl-C), with the components' logs on
stdout and progress on stderr. stormbridge's multilang serializer and batched shell classes go
on the classpath and are chosen as for ``submit``
(:func:`stormbridge.storm.multilang.use_own_classes`).

Exit codes: 0 when the time is up (or on Ctrl-C with ``-t 0``), 130 when interrupted early,
1 on errors (Storm's log tail included).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from ..errors import StormHomeError
from ..project.config import EnvConfig
from . import _common

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a topology in Storm local mode (one JVM on this machine)",
        description=(
            "Run the topology in Apache Storm local mode: ZooKeeper, Nimbus and one supervisor "
            "in one JVM, the Python components' logs on stdout. Stops after --time seconds, "
            "or on Ctrl-C."
        ),
    )
    _common.add_environment(parser)
    _common.add_name(parser)
    _common.add_override_name(parser)
    _common.add_topology_conf_flags(parser)
    _common.add_config(parser)
    parser.add_argument(
        "-t",
        "--time",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="seconds to run once the topology runs (default 0: until Ctrl-C)",
    )
    parser.add_argument(
        "--python",
        default=sys.executable,
        metavar="CMD",
        help="interpreter for the Python components (default: the one running sparse, "
        f"{sys.executable})",
    )
    parser.add_argument(
        "--nimbus-port",
        type=_common.non_negative_int,
        default=0,
        metavar="PORT",
        help="port of local Nimbus's Thrift server on 127.0.0.1 (default 0: a free port)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the run's folder (resources/, storm.log) and print where it is",
    )
    parser.set_defaults(func=run)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 (until Ctrl-C) or more seconds")
    return value


def _status(line: str) -> None:
    print(f"sparse run: {line}", file=sys.stderr, flush=True)


def _output(line: str) -> None:
    print(line, flush=True)


def run(args: argparse.Namespace) -> int:
    from ..build.jvmdeps import resolve_jvm_jars
    from ..build.resources import write_resources_dir
    from ..dsl.topology import validate_topology_name
    from ..project.loader import load_project, load_topology
    from ..storm.local.run import run_topology
    from ..storm.multilang import chosen_transport, find_serializer_jar, use_own_classes
    from ._build import (
        check_serializer,
        class_paths,
        compile_for_env,
        required_jvm_jars,
        stock_classes_note,
    )

    project = load_project(args.config)
    env = _select_env(project.config, args.environment)
    for warning in (*project.config.warnings, *(env.warnings if env else ())):
        print(f"sparse: warning: {warning}", file=sys.stderr)
    topology_cls = load_topology(project, args.name)
    name = validate_topology_name(_common.topology_name(args, project))
    conf = _topology_conf(args, env, getattr(topology_cls, "config", None))
    if (args.workers or 1) > 1 or (args.ackers or 0) > 1:
        _status("local mode runs 1 worker with at most 1 acker: -w/-a above 1 are ignored")
    serializer = project.config.serializer_for(env) if env else project.config.serializer
    check_serializer(serializer, conf)
    chosen_transport(conf)  # a bad stormbridge.transport fails before Storm starts
    topology = compile_for_env(topology_cls, env, python=args.python)
    paths = class_paths(topology_cls)
    component_ids = [*topology.spouts, *topology.bolts]

    def write_resources(dest: Path) -> None:
        write_resources_dir(dest, project.root, class_paths=paths, serializer=serializer)

    home = _storm_home()
    jvm_jars = [
        *required_jvm_jars(topology_cls),
        *resolve_jvm_jars(project.root, storm_version=home.version),
    ]
    # stormbridge's multilang classes (serializer, batched shell classes) on the local JVM's
    # classpath, chosen as `sparse submit` does
    own_jar = None
    if serializer == "json":
        found = find_serializer_jar(home)
        if found.path is not None:
            own_jar = found.path
            jvm_jars = [*jvm_jars, own_jar]
        else:
            stock_classes_note(found.reason)
    use_own_classes(conf, topology, own_jar)
    with _sigterm_as_interrupt():
        result = run_topology(
            name,
            topology,
            conf,
            home=home,
            write_resources=write_resources,
            component_ids=component_ids,
            seconds=args.time,
            on_output=_output,
            on_status=_status,
            nimbus_port=args.nimbus_port,
            keep_workdir=args.keep,
            extra_classpath=jvm_jars,
        )
    if args.keep:
        _status(f"kept the run's files in {result.log_file.parent}")
    if result.reason == "interrupted" and args.time > 0:
        return 130
    return 0


def _select_env(config: Any, name: str | None) -> EnvConfig | None:
    """``-e NAME``; else the only env; else ``local`` if defined; else no env at all."""
    if name is not None or len(config.envs) == 1:
        env: EnvConfig = config.select_env(name)
        return env
    if "local" in config.envs:
        local: EnvConfig = config.select_env("local")
        return local
    return None


def _topology_conf(
    args: argparse.Namespace, env: EnvConfig | None, topology_config: Any
) -> dict[str, Any]:
    if env is not None:
        return _common.resolve_cli_options(args, env, topology_config)
    return _common.resolve_cli_options(args, EnvConfig(name="(none)"), topology_config)


def _storm_home() -> Any:
    from ..storm.home import provision, resolve_home

    try:
        return resolve_home()
    except StormHomeError:
        from ._progress import ProgressView

        _status("Storm is not provisioned yet: provisioning it now (once; needs Java and Maven)")
        with ProgressView() as view:
            return provision(progress=view.say, on_step=view.provision_step)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C while the run lasts, so both stop it the same clean way."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
