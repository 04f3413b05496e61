"""stormbridge's Kafka spout class on the JVM side: ``java/kafka/ConfiguredKafkaSpout.java``.

Thrift's ``JavaObject`` builds a component through a constructor of strings and numbers, and
storm-kafka-client's ``KafkaSpout`` wants a ``KafkaSpoutConfig``; the class in between
(``stormbridge.kafka.ConfiguredKafkaSpout``, the class the DSL's ``KafkaSpout.spec()``
names) takes the settings as strings and builds the config on the worker.
:func:`kafka_spout_jar` compiles it with ``javac`` against the Storm home's ``lib-worker/`` and
the Kafka jars (which the build side resolves from Maven), once per source, Storm and jar set,
and packs it into a small jar. :func:`without_worker_jars` drops the jars every worker already
has from a list (Storm's ``lib-worker/`` wins on the worker's classpath anyway).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .home import StormHome, default_cache_root
from .javac import compile_java, jar_classes

__all__ = ["KAFKA_SOURCES", "kafka_spout_jar", "without_worker_jars"]

KAFKA_SOURCES = tuple(sorted((Path(__file__).with_name("java") / "kafka").glob("*.java")))
_JAR_NAME = "stormbridge-kafka.jar"


def kafka_spout_jar(
    home: StormHome,
    kafka_jars: Sequence[Path],
    *,
    java: str | None = None,
    cache_root: Path | None = None,
) -> Path:
    """The jar of the Kafka spout class compiled against ``home`` and ``kafka_jars``.

    Raises :class:`~stormbridge.errors.StormHomeError` when there is no ``javac`` or
    compiling fails.
    """
    classpath = [str(home.lib_worker / "*"), *(str(jar) for jar in kafka_jars)]
    classes = compile_java(
        KAFKA_SOURCES,
        classpath=":".join(classpath),
        name="kafka-spout",
        depends_on=[home.version, str(home.path), *(jar.name for jar in kafka_jars)],
        what="stormbridge's Kafka spout",
        java=java,
        cache_root=cache_root or default_cache_root(),
    )
    return jar_classes(classes, _JAR_NAME)


def without_worker_jars(home: StormHome, jars: Sequence[Path]) -> list[Path]:
    """``jars`` without those whose file name is in ``home``'s ``lib-worker/``."""
    provided = {jar.name for jar in home.lib_worker.glob("*.jar")}
    return [jar for jar in jars if jar.name not in provided]
