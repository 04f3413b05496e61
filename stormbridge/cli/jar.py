"""``sparse jar``: build the topology jar only, and print its path and size."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..dsl.topology import validate_topology_name
from ..project.loader import load_project, load_topology
from . import _common
from ._build import build_topology_jar

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "jar",
        help="build the topology jar",
        description=(
            "Build the topology jar (resources/ with src/, boot scripts and the stormbridge "
            "runtime) without Leiningen or a JDK. With -e, the env's serializer and virtualenv "
            "are used."
        ),
    )
    _common.add_environment(parser)
    _common.add_name(parser)
    _common.add_override_name(parser)
    _common.add_config(parser)
    parser.add_argument(
        "--output",
        metavar="JAR",
        help="where to write the jar (default: _build/NAME.jar in the project)",
    )
    _common.add_extra_jars(parser)
    parser.add_argument(
        "-s",
        "--simple_jar",
        action="store_true",
        help="leave out project.clj's JVM dependencies (a pure-Python topology), as "
        "streamparse's simple jar",
    )
    parser.add_argument(
        "--no-runtime",
        dest="include_runtime",
        action="store_false",
        help="leave the stormbridge runtime out (the workers must have it installed)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    project = load_project(args.config)
    env = None
    if args.environment is not None or len(project.config.envs) == 1:
        env = project.config.select_env(args.environment)
        for warning in (*project.config.warnings, *env.warnings):
            print(f"sparse: warning: {warning}", file=sys.stderr)
    topology_cls = load_topology(project, args.name)
    name = validate_topology_name(_common.topology_name(args, project))  # it names the file
    out = Path(args.output).absolute() if args.output else None
    info = build_topology_jar(
        project,
        env,
        topology_cls,
        name,
        out=out,
        include_runtime=args.include_runtime,
        extra_jars=args.extra_jars,
        simple=args.simple_jar,
    )
    print(f"{info.path} ({_common.human_size(info.size)}, {info.entries} entries)")
    if info.merged_files:
        print(f"  {info.merged_files} files merged from JVM jars")
    _common.report_whole_packages(info.whole_packages_because)
    for secret in info.excluded_secrets:
        print(f"sparse: warning: left out {secret}: it looks like a secret", file=sys.stderr)
    return 0
