"""project.clj dependencies resolved by real Maven and merged into a topology jar."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from stormbridge.build.jar import build_jar
from stormbridge.build.jvmdeps import resolve_jvm_jars
from stormbridge.storm import DEFAULT_STORM_VERSION

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("mvn") is None, reason="Maven (mvn) is not installed"),
]


def test_kafka_spout_from_project_clj_lands_in_the_jar(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__"))
    (project / "project.clj").write_text(
        f"""(defproject kafka-wc "0.1"
  :dependencies [[org.apache.storm/storm-core "{DEFAULT_STORM_VERSION}" :scope "provided"]
                 [org.apache.storm/storm-kafka-client "{DEFAULT_STORM_VERSION}"]])
"""
    )
    jars = resolve_jvm_jars(project, storm_version=DEFAULT_STORM_VERSION, timeout=600)
    names = [jar.name for jar in jars]
    assert f"storm-kafka-client-{DEFAULT_STORM_VERSION}.jar" in names
    # storm-client is provided: neither it nor what it brings (log4j, shaded deps) is merged
    assert not [n for n in names if n.startswith(("storm-client", "storm-shaded", "log4j-"))]
    again = resolve_jvm_jars(project, storm_version=DEFAULT_STORM_VERSION, mvn="no-such-mvn")
    assert again == jars  # cached: Maven is not run twice

    info = build_jar(
        project,
        tmp_path / "topo.jar",
        class_paths=["bolts.wordcount.WordCountBolt", "spouts.words.WordSpout"],
        include_runtime=False,
        extra_jars=jars,
    )
    with zipfile.ZipFile(info.path) as zf:
        entries = set(zf.namelist())
    assert "org/apache/storm/kafka/spout/KafkaSpout.class" in entries
    assert "org/apache/storm/Config.class" not in entries
    assert "resources/_stormbridge/boot/spouts.words.WordSpout.py" in entries
    assert not [e for e in entries if e.startswith("META-INF/") and e.endswith((".SF", ".RSA"))]
    assert info.merged_files > 100
    if shutil.which("javap"):
        out = subprocess.run(
            ["javap", "-cp", str(info.path), "org.apache.storm.kafka.spout.KafkaSpout"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
        assert "class org.apache.storm.kafka.spout.KafkaSpout" in out
