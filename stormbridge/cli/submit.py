"""``sparse submit``: build the topology jar and submit the topology to the env's Nimbus.

Steps: load ``config.json`` and the env; load the topology class (never mutated); resolve the
topology conf (``docs/configuration.md``); compile the class to a Thrift ``StormTopology`` for the
env; build the jar (or take ``-j``); connect to the leader Nimbus; with ``--force`` kill a running
topology of that name and wait until it is gone; upload the jar (its bytes shown on stderr: a bar
on a terminal, plain lines otherwise); submit; print a summary.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..deploy.hooks import env_config_dict, run_hooks
from ..deploy.nimbus import nimbus_session
from ..dsl.topology import validate_topology_name
from ..errors import AlreadyAliveError, JarError, NotAliveError
from ..storm.multilang import chosen_transport, use_own_classes
from . import _common, _deploy
from ._build import build_topology_jar, check_serializer, compile_for_env

__all__ = ["SubmitResult", "add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "submit",
        help="submit a topology to a Storm cluster",
        description="Build the topology jar and submit the topology to the env's Nimbus.",
    )
    _common.add_environment(parser)
    _common.add_name(parser)
    _common.add_override_name(parser)
    _common.add_topology_conf_flags(parser)
    _common.add_config(parser)
    _common.add_timeout(parser)
    _common.add_wait(parser)
    parser.add_argument(
        "-f",
        "--force",
        action="store_true",
        help="kill a running topology of the same name first (and wait until it is gone)",
    )
    parser.add_argument(
        "-i", "--inactive", action="store_true", help="submit deactivated (activate it later)"
    )
    parser.add_argument(
        "-j",
        "--local_jar_path",
        metavar="JAR",
        help="submit this prebuilt jar instead of building one (it must hold the topology's "
        "resources/, e.g. from `sparse jar`)",
    )
    _common.add_extra_jars(parser)
    parser.add_argument(
        "--python",
        default="python3",
        metavar="CMD",
        help="interpreter the workers start Python components with (default python3)",
    )
    _deploy.add_deploy_flags(parser)
    parser.set_defaults(func=run)


@dataclass(frozen=True)
class SubmitResult:
    name: str
    topology_id: str | None
    nimbus: str
    jar: Path
    jar_size: int
    status: str
    seconds: float


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    ctx = _common.load_context(args)
    topology_cls = _load(ctx, args)
    name = validate_topology_name(_common.topology_name(args, ctx.project))
    conf = _common.resolve_cli_options(args, ctx.env, getattr(topology_cls, "config", None))
    check_serializer(ctx.project.config.serializer_for(ctx.env), conf)
    chosen_transport(conf)  # a bad stormbridge.transport fails before the jar is built
    thrift_topology = compile_for_env(topology_cls, ctx.env, python=args.python)
    hook_env = env_config_dict(ctx.project.config.path, ctx.env.name)
    for hook in run_hooks("pre_submit", ctx.project.root, name, ctx.env.name, hook_env, conf):
        print(f"Ran {hook}")
    ssh = _deploy.ssh_settings(ctx, args)
    if _deploy.wants_virtualenv(ctx):
        _deploy.deploy_virtualenv(ctx, args, name, ssh)

    if args.local_jar_path:
        jar = Path(args.local_jar_path)
        if not jar.is_file():
            raise JarError(f"--local_jar_path {jar} is not a file: build one with `sparse jar`")
        jar_size = jar.stat().st_size
        print(f"Using {jar} ({_common.human_size(jar_size)})")
    else:
        info = build_topology_jar(
            ctx.project, ctx.env, topology_cls, name, extra_jars=args.extra_jars
        )
        jar, jar_size = info.path, info.size
        print(f"Built {jar} ({_common.human_size(jar_size)})")
        _common.report_whole_packages(info.whole_packages_because)
    # stormbridge's serializer (unless one was chosen) and batched shell classes (unless
    # stormbridge.transport: stock) when the jar carries them
    use_own_classes(conf, thrift_topology, jar)

    with nimbus_session(ctx.env, ssh, timeout=args.timeout) as nimbus:
        existing = _find(nimbus, name)
        if existing is not None:
            where = str(nimbus.address)
            if not args.force:
                raise AlreadyAliveError(_already_alive(name, where, existing.status))
            if existing.status != "KILLED":
                print(f"Killing the running topology {name} (--force, --wait {args.wait})...")
                try:
                    nimbus.kill(name, wait_secs=args.wait)
                except NotAliveError:
                    pass  # it went away by itself meanwhile
            nimbus.wait_until_gone(name, deadline=args.wait + 90)
        print(f"Uploading {jar.name} to Nimbus {nimbus.address}...", flush=True)
        from ._progress import ProgressView  # rich: loaded only when uploading

        with ProgressView() as view:  # bytes sent, on stderr
            upload = view.transfer(f"upload {jar.name}", jar.stat().st_size)
            location = nimbus.upload_jar(jar, progress=upload)
        try:
            nimbus.submit(name, location, thrift_topology, conf, active=not args.inactive)
        except AlreadyAliveError as exc:  # somebody else submitted it meanwhile
            raise AlreadyAliveError(_already_alive(name, str(nimbus.address))) from exc
        summary = _find(nimbus, name)
        result = SubmitResult(
            name=name,
            topology_id=summary.id if summary else None,
            nimbus=str(nimbus.address),
            jar=jar,
            jar_size=jar_size,
            status=summary.status if summary else ("INACTIVE" if args.inactive else "ACTIVE"),
            seconds=time.monotonic() - started,
        )
    _print_result(result, conf)
    for hook in run_hooks("post_submit", ctx.project.root, name, ctx.env.name, hook_env, conf):
        print(f"Ran {hook}")
    return 0


def _load(ctx: _common.Context, args: argparse.Namespace) -> Any:
    from ..project.loader import load_topology

    return load_topology(ctx.project, args.name)


def _find(nimbus: Any, name: str) -> Any:
    for summary in nimbus.topologies():
        if summary.name == name:
            return summary
    return None


def _already_alive(name: str, where: str, status: str = "ACTIVE") -> str:
    if status == "KILLED":
        return (
            f"topology {name!r} is still being killed on Nimbus {where}: wait until "
            "`sparse list` no longer shows it, or add --force to wait for it here"
        )
    return (
        f"topology {name!r} is already running on Nimbus {where}: add --force to kill and "
        f"replace it, submit under another name with -N NAME, or `sparse kill -n {name}` first"
    )


def _print_result(result: SubmitResult, conf: dict[str, Any]) -> None:
    print(
        f"Submitted topology {result.name} as {result.topology_id or '(id unknown)'} "
        f"({result.status}) to Nimbus {result.nimbus} in {result.seconds:.1f} s"
    )
    print(f"  jar: {result.jar} ({_common.human_size(result.jar_size)})")
    for key in (
        "topology.workers",
        "topology.acker.executors",
        "topology.max.spout.pending",
        "topology.multilang.serializer",
    ):
        if key in conf:
            print(f"  {key}: {conf[key]}")
