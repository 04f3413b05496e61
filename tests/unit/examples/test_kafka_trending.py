"""examples/kafka-trending in process (no JVM, no broker): the Kafka spout's tuples are supplied
as storm-kafka-client emits them, the example's Python bolts split, count over the rolling
window and rank on ticks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stormbridge.dsl.kafka import KAFKA_FIELDS, KafkaSpoutSpec
from stormbridge.project.loader import load_topology_file
from stormbridge.testing import TopologyRunner

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "kafka-trending"
TOPOLOGY = EXAMPLE / "topologies" / "trending.py"


def record(offset: int, value: str | None) -> list[Any]:
    return ["sentences", offset % 2, offset, f"k{offset}", value]


def test_the_topology_reads_kafka_from_the_environment(monkeypatch: Any) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    topology = load_topology_file(TOPOLOGY)
    spout = topology.kafka_spout
    assert isinstance(spout, KafkaSpoutSpec)
    assert spout.bootstrap_servers == "127.0.0.1:19092"
    assert spout.topics == ("sentences",)
    assert tuple(spout.outputs["default"].fields) == KAFKA_FIELDS


def test_words_are_counted_and_ranked_on_ticks(tmp_path: Path) -> None:
    sentences = ["Storm, kafka; STORM!", "kafka storm", "python", None]
    conf = {"trending.dir": str(tmp_path), "trending.top_n": 2, "trending.window.secs": 4}
    tuples = [record(n, s) for n, s in enumerate(sentences)]
    with TopologyRunner(
        load_topology_file(TOPOLOGY), spouts={"kafka_spout": tuples}, conf=conf
    ) as runner:
        check_ranking(runner, tmp_path)


def check_ranking(runner: TopologyRunner, tmp_path: Path) -> None:
    result = runner.run()
    assert sorted(result.emitted("split_bolt")) == sorted(
        [["storm"], ["kafka"], ["storm"], ["kafka"], ["storm"], ["python"]]
    )
    runner.tick("count_bolt")
    runner.tick("top_bolt")
    top = [["storm", 3], ["kafka", 2]]
    assert json.loads((tmp_path / "top.json").read_text()) == top
    # the window is two ticks long: after two more ticks the words have left it
    runner.tick("count_bolt")
    runner.tick("count_bolt")
    runner.tick("top_bolt")
    assert json.loads((tmp_path / "top.json").read_text()) == []
