"""stormbridge's multilang serializer on the JVM side of the pipe.

``java/multilang/`` holds :data:`SERIALIZER_CLASS`, an ``org.apache.storm.multilang.ISerializer``
that speaks the wire format of Storm's ``JsonSerializer`` with a hand-written parser and writer
over reused buffers, and that reads a direct emit's ``"task"`` correctly (Storm 2.6-2.8.x's
serializer casts it to Long and kills the worker). :func:`serializer_jar` compiles it with
``javac`` against the Storm home's ``lib-worker/`` jars (once per source and Storm version,
cached like the local-mode runner) and packs it into a small jar that the topology jar merges
(:func:`find_serializer_jar` says why not when there is no JDK or no Storm home here).
:func:`default_serializer_conf` sets ``topology.multilang.serializer`` to it when the user did
not choose a serializer and the jar carries the classes.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import StormBridgeError, StormHomeError
from ..runtime.component import OWN_SERIALIZER_CLASS, SERIALIZER_CONF_KEY
from .home import StormHome, default_cache_root, resolve_home
from .javac import compile_java, jar_classes

__all__ = [
    "SERIALIZER_CLASS",
    "SERIALIZER_CONF_KEY",
    "SERIALIZER_SOURCES",
    "STOCK_SERIALIZER",
    "SerializerJar",
    "default_serializer_conf",
    "find_serializer_jar",
    "jar_has_serializer",
    "serializer_jar",
]

SERIALIZER_CLASS = OWN_SERIALIZER_CLASS
STOCK_SERIALIZER = "org.apache.storm.multilang.JsonSerializer"
SERIALIZER_SOURCES = tuple(sorted((Path(__file__).with_name("java") / "multilang").glob("*.java")))
_ENTRY = SERIALIZER_CLASS.replace(".", "/") + ".class"
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


def jar_has_serializer(jar: Path) -> bool:
    """Whether the jar at ``jar`` carries :data:`SERIALIZER_CLASS`."""
    try:
        with zipfile.ZipFile(jar) as zf:
            return _ENTRY in zf.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def default_serializer_conf(conf: dict[str, Any], *, available: bool) -> bool:
    """Point ``topology.multilang.serializer`` at :data:`SERIALIZER_CLASS` when the user chose
    none and ``available`` (the classes are on the workers' classpath); True when it names
    stormbridge's serializer afterwards."""
    if not conf.get(SERIALIZER_CONF_KEY) and available:
        conf[SERIALIZER_CONF_KEY] = SERIALIZER_CLASS
    return conf.get(SERIALIZER_CONF_KEY) == SERIALIZER_CLASS
