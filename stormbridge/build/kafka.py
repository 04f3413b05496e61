"""The JVM jars a Kafka spout needs in the topology jar, from Maven Central.

storm-kafka-client (the Storm release's own version) holds ``KafkaSpout``; its POM declares
kafka-clients ``provided`` (the user chooses the client), so :data:`KAFKA_CLIENTS_VERSION`,
the version Storm 2.8.3 builds against, is added here. :func:`resolve_kafka_jars` resolves
both with their runtime dependencies through :func:`~stormbridge.build.jvmdeps.resolve_maven_jars`
(storm-client ``provided``, so Storm's own jars stay out; cached by the pom's hash).
"""

from __future__ import annotations

from pathlib import Path

from .jvmdeps import MavenDependency, resolve_maven_jars

__all__ = ["KAFKA_CLIENTS_VERSION", "kafka_dependencies", "resolve_kafka_jars"]

#: The kafka-clients release put next to storm-kafka-client (Storm 2.8.3's parent POM's).
KAFKA_CLIENTS_VERSION = "4.1.0"


def kafka_dependencies(storm_version: str) -> list[MavenDependency]:
    """storm-kafka-client of ``storm_version`` and kafka-clients :data:`KAFKA_CLIENTS_VERSION`."""
    return [
        MavenDependency("org.apache.storm", "storm-kafka-client", storm_version),
        MavenDependency("org.apache.kafka", "kafka-clients", KAFKA_CLIENTS_VERSION),
    ]


def resolve_kafka_jars(
    storm_version: str, *, cache_dir: Path, mvn: str = "mvn", timeout: float = 900.0
) -> list[Path]:
    """The jars of :func:`kafka_dependencies` and their runtime dependencies (Maven, cached
    under ``cache_dir``); raises :class:`~stormbridge.errors.JarError` without Maven."""
    return resolve_maven_jars(
        kafka_dependencies(storm_version),
        storm_version=storm_version,
        cache_dir=cache_dir,
        mvn=mvn,
        timeout=timeout,
        what="the Kafka spout's jars",
        fallback="or give those jars with --extra-jar",
    )
