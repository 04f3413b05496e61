"""stormbridge's Kafka spout class on a real JVM: compiled against the provisioned Storm and the
Kafka jars Maven resolves, built through the constructor Storm looks up for a Thrift JavaObject
(five Strings), with every option of KafkaSpout.spec reaching storm-kafka-client's config."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from stormbridge.build.kafka import resolve_kafka_jars
from stormbridge.dsl.kafka import KafkaSpout
from stormbridge.storm.home import default_cache_root, resolve_home
from stormbridge.storm.kafka import kafka_spout_jar, without_worker_jars

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (shutil.which("mvn") and shutil.which("javac")), reason="needs Maven and a JDK"
    ),
]

CHECK = """
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;

public class Check {
  public static void main(String[] args) throws Exception {
    Class<?> cls = Class.forName("stormbridge.kafka.ConfiguredKafkaSpout");
    Class<?>[] types = {String.class, String.class, String.class, String.class, String.class};
    Constructor<?> constructor = cls.getConstructor(types);  // looked up as Storm does
    System.out.println("built " + constructor.newInstance((Object[]) args).getClass().getName());
    Method build = cls.getDeclaredMethod("config", types);
    build.setAccessible(true);
    Object config = build.invoke(null, (Object[]) args);
    for (String getter : new String[] {"getConsumerGroupId", "getFirstPollOffsetStrategy",
        "getPollTimeoutMs", "getPartitionRefreshPeriodMs", "getKafkaProps"}) {
      System.out.println(getter + "=" + config.getClass().getMethod(getter).invoke(config));
    }
    System.out.println(config);
  }
}
"""


def run_check(tmp_path: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    home = resolve_home()
    jars = resolve_kafka_jars(home.version, cache_dir=default_cache_root() / "jvm-deps")
    jars = without_worker_jars(home, jars)
    classpath = [str(home.lib_worker / "*"), str(kafka_spout_jar(home, jars)), *map(str, jars)]
    (tmp_path / "Check.java").write_text(CHECK)
    return subprocess.run(
        ["java", "-cp", ":".join(classpath), str(tmp_path / "Check.java"), *args],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_every_option_reaches_storm_kafka_client(tmp_path: Path) -> None:
    spec = KafkaSpout.spec(
        bootstrap_servers="127.0.0.1:9092",
        topic=["a", "b"],
        group_id="readers",
        first_poll_offset="earliest",
        processing_guarantee="at_most_once",
        offset_commit_period_ms=1234,
        max_uncommitted_offsets=77,
        poll_timeout_ms=321,
        partition_refresh_period_ms=4567,
        retry_initial_delay_ms=5,
        retry_delay_period_ms=6,
        retry_max_retries=7,
        retry_max_delay_ms=8000,
        consumer_properties={"client.id": "a=b: c#", "max.poll.records": 11},
    )
    assert spec.java_object is not None
    done = run_check(tmp_path, [str(arg.value) for arg in spec.java_object.args])
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "built stormbridge.kafka.ConfiguredKafkaSpout" in out
    assert "getConsumerGroupId=readers" in out
    assert "getFirstPollOffsetStrategy=EARLIEST" in out
    assert "getPollTimeoutMs=321" in out and "getPartitionRefreshPeriodMs=4567" in out
    assert "client.id=a=b: c#" in out and "max.poll.records=11" in out  # escaped and read back
    assert "bootstrap.servers=127.0.0.1:9092" in out
    assert "offsetCommitPeriodMs=1234,maxUncommittedOffsets=77" in out
    assert "processingGuarantee=AT_MOST_ONCE" in out
    assert "delay=TimeInterval{length=5, timeUnit=MILLISECONDS}" in out
    assert "ratio=TimeInterval{length=6, timeUnit=MILLISECONDS}, maxRetries=7" in out
    assert "maxRetryDelay=TimeInterval{length=8000, timeUnit=MILLISECONDS}" in out


def test_an_unknown_spout_option_is_refused_on_the_jvm(tmp_path: Path) -> None:
    done = run_check(tmp_path, ["127.0.0.1:9092", "a", "g", "no.such.option=1\n", ""])
    assert done.returncode != 0
    assert "unknown Kafka spout option no.such.option" in done.stderr
