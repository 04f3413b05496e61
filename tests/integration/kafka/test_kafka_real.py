"""The Kafka spout on real Storm with a real Kafka broker: examples/kafka-trending submitted with
one more bolt, records produced from Python arrive in Python bolts as (topic, partition, offset,
key, value), a record whose tuple a bolt fails is replayed by storm-kafka-client's KafkaSpout and
arrives again, and the example's trending words come out ranked.

Uses the session fixture ``storm_cluster`` (tests/integration/conftest.py) and ``kafka_broker``
(conftest.py here). Workers run on this host, so the bolts write what they receive to folders
here and the test reads them.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from stormbridge.testing.kafka import KafkaBroker

from ..submitting import poll, sparse

pytestmark = [
    pytest.mark.storm,
    pytest.mark.slow,
    pytest.mark.timeout(900),
    # kafka-python 3.0 reads its protocol schemas with importlib.resources' legacy functions
    pytest.mark.filterwarnings(r"ignore:\w+ is deprecated. Use files\(\):DeprecationWarning"),
]

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "kafka-trending"
TOPIC = "sentences"

RECORD_BOLT = '''
import os

from stormbridge import Bolt


class FlakyRecordBolt(Bolt):
    """Writes "<verdict> <partition> <offset> <key> <value>" for every Kafka tuple to
    <it.record_dir>/record-<pid>.txt; fails the first delivery of each value that starts with
    "fail-" (a marker file per offset remembers it) and acks the rest."""

    auto_ack = False

    def initialize(self, conf, ctx):
        self.folder = conf["it.record_dir"]
        self.out = open(os.path.join(self.folder, "record-%d.txt" % os.getpid()), "a", buffering=1)

    def process(self, tup):
        topic, partition, offset, key, value = tup.values
        assert topic == "sentences", tup.values
        marker = os.path.join(self.folder, "failed-%d-%d" % (partition, offset))
        if value.startswith("fail-") and not os.path.exists(marker):
            open(marker, "w").close()
            self.out.write("FAIL %d %d %s %s\\n" % (partition, offset, key, value))
            self.fail(tup)
            return
        self.out.write("OK %d %d %s %s\\n" % (partition, offset, key, value))
        self.ack(tup)
'''

CHECKED_TOPOLOGY = """
from bolts.record import FlakyRecordBolt
from trending import Trending


class TrendingChecked(Trending):
    record_bolt = FlakyRecordBolt.spec(inputs=[Trending.kafka_spout])
"""

#: value -> how many records carry it; "fail-N" records are failed once, then replayed.
MESSAGES = {"storm kafka python storm": 15, "kafka storm": 5, "python": 3}
FAILING = [f"fail-{n}" for n in range(5)]


@pytest.fixture
def project(storm_cluster: Any, tmp_path: Path) -> Path:
    root = tmp_path / "trending"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("__pycache__", "_kafka", "_build"))
    (root / "src" / "bolts" / "record.py").write_text(RECORD_BOLT)
    (root / "topologies" / "trending_checked.py").write_text(CHECKED_TOPOLOGY)
    (root / "records").mkdir()
    config = json.loads((root / "config.json").read_text())
    options = config["envs"]["local"]["options"]
    options["trending.dir"] = str(root / "top")
    options["trending.top_n"] = 3
    options["it.record_dir"] = str(root / "records")
    config["envs"] = {
        "it": {
            "nimbus": storm_cluster.nimbus,
            "ui.host": "127.0.0.1",
            "ui.port": int(storm_cluster.ui_url.rsplit(":", 1)[1].rstrip("/")),
            "options": options,
        }
    }
    (root / "config.json").write_text(json.dumps(config))
    return root / "config.json"


def produce(broker: KafkaBroker) -> list[tuple[str, str]]:
    """Create the topic (2 partitions) and send the records; their (key, value)s."""
    from kafka import KafkaProducer
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap_servers)
    try:
        admin.create_topics([NewTopic(TOPIC, num_partitions=2, replication_factor=1)])
    finally:
        admin.close()
    values = [v for v, n in MESSAGES.items() for _ in range(n)] + FAILING
    records = [(f"k{i}", value) for i, value in enumerate(values)]
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers)
    try:
        for key, value in records:
            producer.send(TOPIC, key=key.encode(), value=value.encode())
        producer.flush(timeout=60)
    finally:
        producer.close()
    return records


def recorded(folder: Path) -> list[tuple[str, int, int, str, str]]:
    rows = []
    for f in sorted(folder.glob("record-*.txt")):
        text = f.read_text()
        for line in text[: text.rfind("\n") + 1].splitlines():
            verdict, partition, offset, key, value = line.split(" ", 4)
            rows.append((verdict, int(partition), int(offset), key, value))
    return rows


def test_kafka_records_reach_python_bolts_and_failed_ones_are_replayed(
    project: Path,
    storm_cluster: Any,
    kafka_broker: KafkaBroker,
    submitted: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    records = produce(kafka_broker)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_broker.bootstrap_servers)
    name = "it-kafka-trending"
    submitted.append(name)
    assert sparse(project, "submit", "-n", "trending_checked", "-N", name, "--timeout", "30") == 0
    capsys.readouterr()

    jar = project.parent / "_build" / f"{name}.jar"
    with zipfile.ZipFile(jar) as zf:
        entries = set(zf.namelist())
    assert "stormbridge/kafka/ConfiguredKafkaSpout.class" in entries
    assert "org/apache/storm/kafka/spout/KafkaSpout.class" in entries
    assert "org/apache/kafka/clients/consumer/KafkaConsumer.class" in entries
    assert "org/apache/storm/Config.class" not in entries  # Storm's own jars stay out

    folder = project.parent / "records"
    expected = {(key, value) for key, value in records}

    def all_acked() -> Any:
        ok = {(key, value) for verdict, _, _, key, value in recorded(folder) if verdict == "OK"}
        return ok if ok >= expected else None

    poll(f"all {len(records)} records acked by the record bolt", all_acked, deadline=300)
    rows = recorded(folder)
    assert {(k, v) for _, _, _, k, v in rows} == expected  # nothing else arrived
    failed = {(p, o, k, v) for verdict, p, o, k, v in rows if verdict == "FAIL"}
    assert {v for _, _, _, v in failed} == set(FAILING)
    # each failed record came again from the same partition and offset, and was acked then
    ok = {(p, o, k, v) for verdict, p, o, k, v in rows if verdict == "OK"}
    assert failed <= ok
    assert {p for _, p, _, _, _ in rows} == {0, 1}  # both partitions were read

    top_file = project.parent / "top" / "top.json"

    def ranked() -> Any:
        top = json.loads(top_file.read_text()) if top_file.is_file() else []
        return top if [word for word, _ in top] == ["storm", "kafka", "python"] else None

    top = poll("the trending words ranked storm, kafka, python", ranked, deadline=120, interval=2)
    # at least once: replays after a timeout may count a sentence twice, never less
    assert top[0][1] >= 35 and top[1][1] >= 20 and top[2][1] >= 18, top
