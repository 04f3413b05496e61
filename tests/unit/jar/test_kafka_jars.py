"""What a Kafka spout adds to the topology jar: Maven coordinates, Storm's jars left out, and
clear errors on a machine without Maven or a JDK (nothing is downloaded or compiled here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stormbridge import Bolt, KafkaSpout, Spout, Topology
from stormbridge.build.jvmdeps import render_pom
from stormbridge.build.kafka import KAFKA_CLIENTS_VERSION, kafka_dependencies, resolve_kafka_jars
from stormbridge.cli._build import required_jvm_jars
from stormbridge.errors import JarError, StormHomeError
from stormbridge.storm.home import StormHome
from stormbridge.storm.kafka import KAFKA_SOURCES, kafka_spout_jar, without_worker_jars


class Words(Spout):
    outputs = ["word"]


class Sink(Bolt):
    def process(self, tup):  # type: ignore[no-untyped-def]
        pass


class Plain(Topology):
    words = Words.spec()
    sink = Sink.spec(inputs=[words])


class FromKafka(Topology):
    kafka = KafkaSpout.spec(bootstrap_servers="127.0.0.1:9092", topic="t", group_id="g")
    sink = Sink.spec(inputs=[kafka])


def test_storm_kafka_client_of_the_storm_release_and_kafka_clients_4_1() -> None:
    coordinates = [dep.coordinates for dep in kafka_dependencies("2.8.3")]
    assert coordinates == [
        "org.apache.storm:storm-kafka-client:2.8.3",
        "org.apache.kafka:kafka-clients:4.1.0",
    ]
    assert KAFKA_CLIENTS_VERSION == "4.1.0"
    pom = render_pom(kafka_dependencies("2.8.3"), storm_version="2.8.3")
    # storm-client first and provided: Maven leaves Storm and what it brings out
    assert pom.index("<artifactId>storm-client</artifactId>") < pom.index("storm-kafka-client")
    assert "<scope>provided</scope>" in pom.split("storm-kafka-client")[0]


def test_without_maven_the_error_names_maven_and_the_jars(tmp_path: Path) -> None:
    with pytest.raises(JarError) as info:
        resolve_kafka_jars("2.8.3", cache_dir=tmp_path, mvn="no-such-mvn")
    message = str(info.value)
    assert "Maven (`no-such-mvn`) is not on PATH" in message
    assert "storm-kafka-client:2.8.3" in message and "kafka-clients:4.1.0" in message
    assert "make system-deps" in message


def test_without_a_jdk_the_error_names_javac_and_the_kafka_spout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    home = StormHome(tmp_path / "storm", "2.8.3")
    with pytest.raises(StormHomeError, match=r"javac \(a Java 17 JDK.*Kafka spout"):
        kafka_spout_jar(home, [], cache_root=tmp_path / "cache")
    assert [s.name for s in KAFKA_SOURCES] == ["ConfiguredKafkaSpout.java"]


def test_jars_every_worker_has_are_dropped(tmp_path: Path) -> None:
    home = StormHome(tmp_path, "2.8.3")
    home.lib_worker.mkdir()
    (home.lib_worker / "slf4j-api-2.0.17.jar").write_bytes(b"")
    jars = [tmp_path / "m2" / "kafka-clients-4.1.0.jar", tmp_path / "m2" / "slf4j-api-2.0.17.jar"]
    assert without_worker_jars(home, jars) == jars[:1]


def test_a_topology_without_kafka_needs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert required_jvm_jars(Plain) == []


def test_a_kafka_topology_without_a_storm_home_says_how_to_get_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STORM_HOME", raising=False)
    monkeypatch.setenv("STORMBRIDGE_CACHE", str(tmp_path))
    with pytest.raises(StormHomeError, match="provision"):
        required_jvm_jars(FromKafka)
