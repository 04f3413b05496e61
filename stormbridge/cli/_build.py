"""The two build steps ``submit`` and ``jar`` share: compile a topology class for an env, and
build its jar into ``<project>/_build/<name>.jar``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, JarError
from ..project.config import EnvConfig
from ._common import human_size

if TYPE_CHECKING:
    from ..build.jar import JarInfo
    from ..build.wheels import Wheelhouse
    from ..project.loader import Project

__all__ = [
    "build_topology_jar",
    "check_serializer",
    "class_paths",
    "compile_for_env",
    "default_jar_path",
    "required_jvm_jars",
    "stock_classes_note",
]

MULTILANG_SERIALIZER = "topology.multilang.serializer"


def check_serializer(serializer: str, conf: dict[str, Any]) -> None:
    """Refuse msgpack without a Java-side serializer: Storm's default multilang serializer is
    JSON, and a msgpack component would fail its handshake on the worker."""
    if serializer == "msgpack" and not conf.get(MULTILANG_SERIALIZER):
        raise ConfigError(
            'serializer "msgpack" needs a Java msgpack serializer on the workers: add its jar '
            f"(project.clj) and set -o {MULTILANG_SERIALIZER}=<its class> (or put it in the "
            'env\'s options), or use "serializer": "json"'
        )


def compile_for_env(topology_cls: type, env: EnvConfig | None, *, python: str = "python3") -> Any:
    """The Thrift ``StormTopology`` of ``topology_cls`` for ``env`` (``par`` dicts resolved)."""
    from ..dsl.compile import compile_topology

    return compile_topology(topology_cls, env_name=env.name if env else None, python=python)


def class_paths(topology_cls: type) -> list[str]:
    """``module.Class`` paths of the topology's Python components (boot scripts in the jar)."""
    from ..dsl.compile import python_class_paths

    return list(python_class_paths(topology_cls))


def required_jvm_jars(topology_cls: type) -> list[Path]:
    """The JVM jars the topology's components need (a Kafka spout: stormbridge's spout class,
    storm-kafka-client, kafka-clients and their dependencies, not Storm's own); ``[]`` when
    none do. Raises when Maven, the JDK or a Storm home to compile against is missing."""
    from ..build.kafka import resolve_kafka_jars
    from ..dsl.compile import jvm_requirements
    from ..dsl.kafka import KAFKA_REQUIREMENT
    from ..storm.home import default_cache_root, resolve_home
    from ..storm.kafka import kafka_spout_jar, without_worker_jars

    if KAFKA_REQUIREMENT not in jvm_requirements(topology_cls):
        return []
    home = resolve_home()
    jars = resolve_kafka_jars(home.version, cache_dir=default_cache_root() / "jvm-deps")
    jars = without_worker_jars(home, jars)
    return [kafka_spout_jar(home, jars), *jars]


def stock_classes_note(reason: str) -> None:
    """Say (on stderr, once per command) that the Python components fall back to Storm's stock
    multilang classes: its serializer and its shell bolt and spout, not stormbridge's."""
    from ..storm.javac import JDK_HINT

    fix = "" if JDK_HINT in reason else "; install a Java 17 JDK (javac) to use stormbridge's"
    print(
        "sparse: note: using Storm's stock multilang classes (JsonSerializer, "
        "ShellBolt/ShellSpout), not stormbridge's serializer and batched shell classes: "
        f"{reason}. emit(direct_task=...) is refused with Storm's serializer{fix}",
        file=sys.stderr,
    )


def default_jar_path(root: Path, name: str) -> Path:
    return root / "_build" / f"{name}.jar"


def build_topology_jar(
    project: Project,
    env: EnvConfig | None,
    topology_cls: type,
    name: str,
    *,
    out: Path | None = None,
    include_runtime: bool = True,
    extra_jars: Sequence[Path] = (),
    note: Callable[[str], None] = stock_classes_note,
    simple: bool = False,
) -> JarInfo:
    """Build the jar of ``topology_cls`` (submitted as ``name``) for ``env``.

    Without an env the jar uses the top-level serializer and no virtualenv interpreter. The
    jars the topology's components need (:func:`required_jvm_jars`), the JVM dependencies of
    ``project.clj`` (resolved by Maven, cached) and ``extra_jars`` are merged,
    and with the JSON serializer stormbridge's multilang classes too (serializer and batched
    shell classes, compiled once with the JDK; without one, ``note`` is told why and the jar
    has Storm's stock classes only).
    """
    from ..build.jar import build_jar
    from ..build.jvmdeps import resolve_jvm_jars
    from ..storm.home import storm_version
    from ..storm.multilang import find_serializer_jar

    for jar in extra_jars:
        if not Path(jar).is_file():
            raise JarError(f"--extra-jar {jar} is not a file")
    # A "simple" jar (streamparse's -s): the project's code only, no project.clj JVM jars;
    # the jars a component of ours needs (the Kafka spout) are always carried.
    jvm_jars = [] if simple else resolve_jvm_jars(project.root, storm_version=storm_version())
    jvm_jars = [*required_jvm_jars(topology_cls), *jvm_jars]

    config = project.config
    serializer = config.serializer_for(env) if env else config.serializer
    own: list[Path] = []  # stormbridge's multilang classes (serializer, batched shell classes)
    if serializer == "json":
        found = find_serializer_jar()
        if found.path is not None:
            own.append(found.path)
        else:
            note(found.reason)
    wheelhouse = _ship_wheels(project, env, name)
    sites = []
    if include_runtime and wheelhouse is None:
        from ..build.wheels import orjson_site

        site = orjson_site()
        sites = [site] if site is not None else []
    return build_jar(
        project.root,
        out if out is not None else default_jar_path(project.root, name),
        class_paths=class_paths(topology_cls),
        serializer=serializer,
        virtualenv_python=env.virtualenv_python(name) if env and wheelhouse is None else None,
        include_runtime=include_runtime,
        extra_jars=[*jvm_jars, *extra_jars, *own],
        wheelhouse=wheelhouse,
        venv_root=env.virtualenv_root if env else None,
        sites=sites,
    )


def _ship_wheels(project: Project, env: EnvConfig | None, name: str) -> Wheelhouse | None:
    """With ``"deploy": "ship"``: the wheels of ``virtualenvs/<name>.txt`` (built once, cached)."""
    if env is None or env.deploy != "ship":
        return None
    from ..build.wheels import build_wheelhouse, requirements_file
    from ..storm.home import default_cache_root

    requirements = requirements_file(project.config.virtualenvs_dir, env.requirements_name(name))
    print(f"Shipping the wheels of {requirements} (deploy: ship)...")
    wheelhouse = build_wheelhouse(requirements, default_cache_root())
    how = "cached" if wheelhouse.cached else f"built in {wheelhouse.seconds:.1f} s"
    print(
        f"  {len(wheelhouse.wheels)} wheels + pip, {human_size(wheelhouse.size)} ({how}); workers "
        f"build virtualenv {wheelhouse.digest} at first start, once per host"
    )
    return wheelhouse
