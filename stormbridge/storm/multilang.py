"""stormbridge's multilang serializer and batched shell classes on the JVM side of the pipe.

``java/multilang/`` holds :data:`SERIALIZER_CLASS`, an ``org.apache.storm.multilang.ISerializer``
that speaks the wire format of Storm's ``JsonSerializer`` with a hand-written parser and writer
over reused buffers, and that reads a direct emit's ``"task"`` correctly (Storm 2.6-2.8.x's
serializer casts it to Long and kills the worker). :func:`serializer_jar` compiles it with
``javac`` against the Storm home's ``lib-worker/`` jars (once per source and Storm version,
cached like the local-mode runner) and packs it into a small jar that the topology jar merges
(:func:`find_serializer_jar` says why not when there is no JDK or no Storm home here).
:func:`default_serializer_conf` sets ``topology.multilang.serializer`` to it when the user did
not choose a serializer and the jar carries the classes.

The same jar carries the batched transport's :data:`BATCH_BOLT_CLASS`/:data:`BATCH_SPOUT_CLASS`
(Storm's ShellBolt/ShellSpout semantics, many tuples per flush, several emits per ``next``):
:func:`batched_topology` turns the project's Python components of a compiled topology into
``JavaObject`` components of those classes (constructor: the ShellComponent's two strings)
unless the conf sets ``stormbridge.transport: stock``.

:func:`use_own_classes` makes both choices for one topology; ``sparse submit`` (the topology
jar) and ``sparse run`` (the jar on the local JVM's classpath) call it alike.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ..dsl.boot import BOOT_DIR
from ..errors import ConfigError, StormBridgeError, StormHomeError
from ..runtime.component import (
    BATCHED_TRANSPORT,
    OWN_SERIALIZER_CLASS,
    SERIALIZER_CONF_KEY,
    TRANSPORT_CONF_KEY,
)
from ..thrift import storm_thrift
from .home import StormHome, default_cache_root, resolve_home
from .javac import compile_java, jar_classes

__all__ = [
    "BATCH_BOLT_CLASS",
    "BATCH_SPOUT_CLASS",
    "SERIALIZER_CLASS",
    "SERIALIZER_CONF_KEY",
    "SERIALIZER_SOURCES",
    "STOCK_SERIALIZER",
    "STOCK_TRANSPORT",
    "TRANSPORT_CONF_KEY",
    "OwnClasses",
    "SerializerJar",
    "ShellCommand",
    "batched_topology",
    "chosen_transport",
    "default_serializer_conf",
    "find_serializer_jar",
    "jar_has_batched_classes",
    "jar_has_serializer",
    "serializer_jar",
    "shell_command",
    "use_own_classes",
    "wants_batched_transport",
]

SERIALIZER_CLASS = OWN_SERIALIZER_CLASS
STOCK_SERIALIZER = "org.apache.storm.multilang.JsonSerializer"
SERIALIZER_SOURCES = tuple(sorted((Path(__file__).with_name("java") / "multilang").glob("*.java")))
_ENTRY = SERIALIZER_CLASS.replace(".", "/") + ".class"
BATCH_BOLT_CLASS = "stormbridge.multilang.BatchShellBolt"
BATCH_SPOUT_CLASS = "stormbridge.multilang.BatchShellSpout"
#: ``stormbridge.transport`` values: the batched classes (default when the jar has them) or
#: Storm's own ShellBolt/ShellSpout (Thrift ShellComponents, the plain protocol).
STOCK_TRANSPORT = "stock"
_TRANSPORTS = (BATCHED_TRANSPORT, STOCK_TRANSPORT)
_BATCH_ENTRIES = tuple(
    c.replace(".", "/") + ".class" for c in (BATCH_BOLT_CLASS, BATCH_SPOUT_CLASS)
)
_JAR_NAME = "stormbridge-multilang.jar"


@dataclass(frozen=True)
class SerializerJar:
    """The serializer's jar, or why there is none (``path`` None, ``reason`` set)."""

    path: Path | None
    reason: str = ""


def serializer_jar(
    home: StormHome, *, java: str | None = None, cache_root: Path | None = None
) -> Path:
    """The jar of the compiled serializer for ``home`` (built once, then cached).

    Raises :class:`StormHomeError` when there is no ``javac`` or compiling fails.
    """
    classes = compile_java(
        SERIALIZER_SOURCES,
        classpath=str(home.lib_worker / "*"),
        name="multilang",
        depends_on=[home.version, str(home.path)],
        what="stormbridge's multilang serializer",
        java=java,
        cache_root=cache_root or default_cache_root(),
    )
    return jar_classes(classes, _JAR_NAME)


def find_serializer_jar(
    home: StormHome | None = None,
    *,
    java: str | None = None,
    cache_root: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> SerializerJar:
    """:func:`serializer_jar` for ``home`` (default: the provisioned Storm), or the reason
    there is none on this machine (no Storm home, no JDK, javac failed)."""
    try:
        home = home or resolve_home(env=env)
    except StormHomeError as exc:
        return SerializerJar(None, f"no Storm home to compile against ({exc})")
    try:
        return SerializerJar(serializer_jar(home, java=java, cache_root=cache_root))
    except StormBridgeError as exc:
        return SerializerJar(None, str(exc))


def _jar_has(jar: Path, entries: tuple[str, ...]) -> bool:
    try:
        with zipfile.ZipFile(jar) as zf:
            names = set(zf.namelist())
    except (OSError, zipfile.BadZipFile):
        return False
    return all(entry in names for entry in entries)


def jar_has_serializer(jar: Path) -> bool:
    """Whether the jar at ``jar`` carries :data:`SERIALIZER_CLASS`."""
    return _jar_has(jar, (_ENTRY,))


def jar_has_batched_classes(jar: Path) -> bool:
    """Whether the jar at ``jar`` carries the batched transport's shell bolt and spout."""
    return _jar_has(jar, (_ENTRY, *_BATCH_ENTRIES))


def chosen_transport(conf: Mapping[str, Any]) -> str:
    """The conf's ``stormbridge.transport`` (default ``batched``); raises :class:`ConfigError`
    for any other value than ``batched`` or ``stock``."""
    chosen = conf.get(TRANSPORT_CONF_KEY) or BATCHED_TRANSPORT
    if chosen not in _TRANSPORTS:
        raise ConfigError(
            f"{TRANSPORT_CONF_KEY} must be one of {', '.join(_TRANSPORTS)}, not {chosen!r}"
        )
    return str(chosen)


def wants_batched_transport(conf: Mapping[str, Any], *, available: bool) -> bool:
    """Whether to compile Python components to the batched classes: ``available`` (the jar
    has them) and the conf's ``stormbridge.transport`` is unset or ``batched``."""
    return chosen_transport(conf) == BATCHED_TRANSPORT and available


class ShellCommand(NamedTuple):
    """What a shell component runs: Storm's ``[execution_command, script]``."""

    execution_command: str
    script: str


def shell_command(component_object: Any) -> ShellCommand | None:
    """The command a Thrift ``ComponentObject`` starts, whether Storm's ``ShellComponent`` or a
    batched class's ``JavaObject`` (its two string arguments); None for other components."""
    shell = component_object.shell
    if shell is not None:
        return ShellCommand(shell.execution_command, shell.script)
    java = component_object.java_object
    if java is not None and java.full_class_name in (BATCH_BOLT_CLASS, BATCH_SPOUT_CLASS):
        command, script = (arg.string_arg for arg in java.args_list)
        return ShellCommand(command, script)
    return None


def batched_topology(topology: Any) -> int:
    """Turn, in place, the Thrift ``StormTopology``'s Python components of this project (shell
    components started through a boot script) into ``JavaObject`` components of the batched
    classes, with the shell command and script as constructor arguments. Other shell
    components (another language, a pystorm script) stay Storm's. Returns how many changed."""
    t = storm_thrift()
    changed = 0
    for kind, cls in (("spouts", BATCH_SPOUT_CLASS), ("bolts", BATCH_BOLT_CLASS)):
        for component in (getattr(topology, kind, None) or {}).values():
            obj = component.spout_object if kind == "spouts" else component.bolt_object
            shell = obj.shell
            if shell is None or not (shell.script or "").startswith(BOOT_DIR + "/"):
                continue
            args = [
                t.JavaObjectArg(string_arg=shell.execution_command),
                t.JavaObjectArg(string_arg=shell.script),
            ]
            obj.shell = None
            obj.java_object = t.JavaObject(full_class_name=cls, args_list=args)
            changed += 1
    return changed


def default_serializer_conf(conf: dict[str, Any], *, available: bool) -> bool:
    """Point ``topology.multilang.serializer`` at :data:`SERIALIZER_CLASS` when the user chose
    none and ``available`` (the classes are on the workers' classpath); True when it names
    stormbridge's serializer afterwards."""
    if not conf.get(SERIALIZER_CONF_KEY) and available:
        conf[SERIALIZER_CONF_KEY] = SERIALIZER_CLASS
    return conf.get(SERIALIZER_CONF_KEY) == SERIALIZER_CLASS


@dataclass(frozen=True)
class OwnClasses:
    """What :func:`use_own_classes` chose for one topology."""

    #: ``topology.multilang.serializer`` names stormbridge's serializer.
    serializer: bool
    #: How many Python components run on the batched classes (0: Storm's ShellBolt/ShellSpout).
    batched: int


def use_own_classes(conf: dict[str, Any], topology: Any, jar: Path | None) -> OwnClasses:
    """Pick the JVM classes of ``topology``'s Python components, given ``jar``: the jar whose
    classes the workers get (the topology jar, or stormbridge's multilang jar on the local-mode
    classpath), None when they get none of ours.

    Sets ``conf``'s serializer to stormbridge's (:func:`default_serializer_conf`) when the jar
    carries it and the user chose none, and turns the Python components of the Thrift
    ``topology`` into the batched classes in place (:func:`batched_topology`) when the jar
    carries them and ``stormbridge.transport`` is not ``stock``. Raises :class:`ConfigError`
    for an unknown ``stormbridge.transport`` (whether or not the jar has the classes), before
    changing anything.
    """
    batched = wants_batched_transport(
        conf, available=jar is not None and jar_has_batched_classes(jar)
    )
    serializer = default_serializer_conf(
        conf, available=jar is not None and jar_has_serializer(jar)
    )
    return OwnClasses(serializer=serializer, batched=batched_topology(topology) if batched else 0)
