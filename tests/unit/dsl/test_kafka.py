"""KafkaSpout.spec(): argument checks, what it compiles to, and what it asks of the jar."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

import stormbridge
import streamparse
from stormbridge import Bolt, Spout, Topology
from stormbridge.dsl.compile import compile_topology, jvm_requirements
from stormbridge.dsl.kafka import (
    KAFKA_FIELDS,
    KAFKA_REQUIREMENT,
    KAFKA_SPOUT_CLASS,
    KafkaSpout,
    KafkaSpoutSpec,
    properties_text,
)
from stormbridge.errors import TopologyError, TopologyTypeError

JAVA = Path(stormbridge.__file__).parent / "storm" / "java" / "kafka"


class Words(Spout):
    outputs = ["word"]


class Printer(Bolt):
    def process(self, tup):  # type: ignore[no-untyped-def]
        pass


def spec(**overrides: object) -> KafkaSpoutSpec:
    args: dict[str, object] = {
        "bootstrap_servers": "127.0.0.1:9092",
        "topic": "words",
        "group_id": "g",
    }
    args.update(overrides)
    return KafkaSpout.spec(**args)  # type: ignore[arg-type]


def test_a_spec_compiles_to_our_java_class_with_string_arguments() -> None:
    class Reader(Topology):
        kafka = KafkaSpout.spec(
            bootstrap_servers=["127.0.0.1:9092", "localhost:9093"],
            topic=["a", "b.c"],
            group_id="readers",
            first_poll_offset="earliest",
            retry_max_retries=3,
            consumer_properties={"max.poll.records": 50, "check.crcs": False},
            par=2,
        )
        printer = Printer.spec(inputs=[kafka])

    topology = compile_topology(Reader)
    spout = topology.spouts["kafka"]
    java = spout.spout_object.java_object
    assert java.full_class_name == KAFKA_SPOUT_CLASS
    args = [arg.string_arg for arg in java.args_list]
    assert args == [
        "127.0.0.1:9092,localhost:9093",
        "a,b.c",
        "readers",
        "first.poll.offset.strategy=EARLIEST\nprocessing.guarantee=AT_LEAST_ONCE\n"
        "retry.max.retries=3\n",
        "check.crcs=false\nmax.poll.records=50\n",
    ]
    assert spout.common.streams["default"].output_fields == list(KAFKA_FIELDS)
    assert spout.common.parallelism_hint == 2
    assert KAFKA_FIELDS == ("topic", "partition", "offset", "key", "value")
    assert jvm_requirements(Reader) == {KAFKA_REQUIREMENT}


def test_requirements_are_found_in_a_topology_read_back_from_thrift() -> None:
    class Reader(Topology):
        kafka = spec()
        printer = Printer.spec(inputs=[kafka])

    class Plain(Topology):
        words = Words.spec()
        printer = Printer.spec(inputs=[words])

    class Empty(Topology):
        words = Words.spec()  # replaced by what is read
        printer = Printer.spec(inputs=[words])

    buffer = io.BytesIO()
    Reader.write(buffer)
    buffer.seek(0)
    Empty.read(buffer)
    assert jvm_requirements(Empty) == {KAFKA_REQUIREMENT}
    buffer = io.BytesIO()
    Plain.write(buffer)
    buffer.seek(0)
    Empty.read(buffer)
    assert jvm_requirements(Empty) == frozenset()
    assert jvm_requirements(Plain) == frozenset()


def test_the_java_class_is_the_one_the_spec_names() -> None:
    source = (JAVA / "ConfiguredKafkaSpout.java").read_text()
    package, name = KAFKA_SPOUT_CLASS.rsplit(".", 1)
    assert f"package {package};" in source
    assert f"public class {name} extends KafkaSpout<String, String>" in source
    # Thrift's JavaObject finds the constructor by the boxed types of its arguments
    assert re.search(rf"public {name}\(\s*" + r",\s*".join([r"String \w+"] * 5) + r"\)", source)
    options = set(re.findall(r'"((?:[a-z]+\.)+[a-z]+)"', source.split("SPOUT_OPTIONS =")[1]))
    numbers = set(spec(**{k: 1 for k in NUMBER_KEYWORDS}).spout_options)
    assert numbers <= options


NUMBER_KEYWORDS = [
    "offset_commit_period_ms",
    "max_uncommitted_offsets",
    "poll_timeout_ms",
    "partition_refresh_period_ms",
    "retry_initial_delay_ms",
    "retry_delay_period_ms",
    "retry_max_retries",
    "retry_max_delay_ms",
]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"topic": ""}, r"topic has an empty or non-string entry"),
        ({"topic": []}, r"topic must be a non-empty string or list"),
        ({"topic": "no spaces"}, r"'no spaces' is not a Kafka topic name"),
        ({"topic": ["a", "a"]}, r"lists .* twice"),
        ({"bootstrap_servers": "localhost"}, r"'localhost' is not host:port"),
        ({"bootstrap_servers": "h:70000"}, r"'h:70000' is not host:port"),
        ({"bootstrap_servers": None}, r"bootstrap_servers must be a non-empty string"),
        ({"group_id": " "}, r"group_id must be a non-empty string"),
        ({"first_poll_offset": "START"}, r"first_poll_offset must be one of \['EARLIEST'"),
        ({"processing_guarantee": "ONCE"}, r"processing_guarantee must be one of"),
        ({"poll_timeout_ms": 0}, r"poll_timeout_ms must be an integer from 1"),
        ({"retry_max_retries": 2**31}, r"retry_max_retries must be an integer from 0 to 2147"),
        ({"offset_commit_period_ms": True}, r"offset_commit_period_ms must be an integer"),
        (
            {"consumer_properties": {"group.id": "x"}},
            r"'group.id' is set by the spec; use group_id",
        ),
        (
            {"consumer_properties": {"enable.auto.commit": True}},
            r"use processing_guarantee instead",
        ),
        ({"consumer_properties": {"a": [1]}}, r"'a' must be a string, number or bool"),
        ({"consumer_properties": ["a"]}, r"consumer_properties must be a dict"),
    ],
)
def test_bad_arguments_are_refused_when_the_spec_is_made(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(TopologyError, match=message) as info:
        spec(**overrides)
    assert str(info.value).startswith("KafkaSpout.spec(): ")


def test_a_list_where_a_dict_is_due_is_a_type_error() -> None:
    with pytest.raises(TopologyTypeError):
        spec(consumer_properties=["a"])


def test_valid_variants_are_normalized() -> None:
    made = spec(
        bootstrap_servers=" 10.0.0.1:9092, [::1]:9093 ",
        topic=" words ",
        first_poll_offset=" uncommitted_latest ",
        processing_guarantee="at_most_once",
        retry_initial_delay_ms=0,
    )
    assert made.bootstrap_servers == "10.0.0.1:9092,[::1]:9093"
    assert made.topics == ("words",)
    assert made.spout_options == {
        "first.poll.offset.strategy": "UNCOMMITTED_LATEST",
        "processing.guarantee": "AT_MOST_ONCE",
        "retry.initial.delay.ms": "0",
    }
    assert "bootstrap_servers='10.0.0.1:9092,[::1]:9093'" in repr(made)


def test_properties_text_escapes_what_java_properties_would_misread() -> None:
    text = properties_text({"b": "x=y:z #1!", "a key": " lead\nline\\", "c": "é"})
    assert text == "a\\ key=\\ lead\\nline\\\\\nb=x\\=y\\:z \\#1\\!\nc=é\n"


def test_the_spout_is_a_public_name_also_under_streamparse() -> None:
    assert "KafkaSpout" in stormbridge.__all__
    assert stormbridge.KafkaSpout is KafkaSpout
    assert streamparse.KafkaSpout is KafkaSpout
