"""The Kafka broker helper without a JVM: its configuration binds loopback only, and a missing
Java or a broker that dies while starting is a ClusterError carrying the broker's log."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stormbridge.errors import ClusterError, JarError
from stormbridge.testing.kafka import KafkaBroker, _server_properties, broker_classpath

FAKE_JAVA = """#!/bin/sh
case "$*" in
  *StorageTool*) echo "Formatting metadata directory"; exit 0 ;;
  *) echo "ERROR Exiting Kafka due to fatal exception: boom from the fake broker"; exit 1 ;;
esac
"""


def test_every_listener_is_on_loopback(tmp_path: Path) -> None:
    text = _server_properties(tmp_path, 19092, 19093)
    settings = dict(line.split("=", 1) for line in text.splitlines())
    assert settings["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert settings["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert settings["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert settings["process.roles"] == "broker,controller"
    assert settings["log.dirs"] == str(tmp_path / "data")
    assert settings["offsets.topic.replication.factor"] == "1"


def test_without_maven_the_broker_jars_cannot_be_fetched(tmp_path: Path) -> None:
    with pytest.raises(JarError, match=r"kafka_2\.13:4\.1\.0.*Maven \(`no-such-mvn`\)"):
        broker_classpath(tmp_path, mvn="no-such-mvn")


def test_without_java_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(ClusterError, match=r"needs Java 17 .*make system-deps"):
        KafkaBroker.start(tmp_path / "k", classpath=[])


def test_a_broker_that_dies_while_starting_is_reported_with_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "jdk" / "bin"
    bin_dir.mkdir(parents=True)
    java = bin_dir / "java"
    java.write_text(FAKE_JAVA)
    java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    with pytest.raises(ClusterError) as info:
        KafkaBroker.start(tmp_path / "k", classpath=[], timeout=30)
    message = str(info.value)
    assert "exited with code 1 while starting" in message
    assert "boom from the fake broker" in message
    assert os.path.isfile(tmp_path / "k" / "server.properties")
