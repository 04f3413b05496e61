"""The one choice of JVM classes `sparse submit` and `sparse run` share
(stormbridge.storm.multilang.use_own_classes), on Thrift topologies compiled from real topology
classes and on jars whose entries are what the multilang jar holds."""

from __future__ import annotations

import copy
import zipfile
from pathlib import Path
from typing import Any

import pytest

from stormbridge import Bolt, Spout
from stormbridge.dsl import Grouping, JavaBolt, ShellBolt, Topology, compile_topology
from stormbridge.dsl.boot import boot_script_path
from stormbridge.dsl.compile import topology_from_bytes, topology_to_bytes
from stormbridge.errors import ConfigError
from stormbridge.storm.multilang import (
    BATCH_BOLT_CLASS,
    BATCH_SPOUT_CLASS,
    SERIALIZER_CLASS,
    STOCK_SERIALIZER,
    OwnClasses,
    shell_command,
    use_own_classes,
)
from stormbridge.thrift import storm_thrift

KEY = "topology.multilang.serializer"
TRANSPORT = "stormbridge.transport"
SERIALIZER_ENTRY = "stormbridge/multilang/FastJsonSerializer.class"
BATCH_ENTRIES = (
    "stormbridge/multilang/BatchShellBolt.class",
    "stormbridge/multilang/BatchShellSpout.class",
)


class WordSpout(Spout):
    outputs = ["word"]


class CountBolt(Bolt):
    outputs = ["word", "count"]


class Mixed(Topology):
    words = WordSpout.spec()
    counter = CountBolt.spec(inputs={words: Grouping.fields("word")}, par=2)
    node = ShellBolt.spec(command="node", script="sink.js", inputs=[counter], outputs=["n"])
    java = JavaBolt.spec(full_class_name="org.example.Sink", args_list=["x"], inputs=[node])


def compiled() -> Any:
    return compile_topology(Mixed, python="/opt/venv/bin/python3")


def objects(topology: Any) -> dict[str, Any]:
    return {
        **{k: v.spout_object for k, v in topology.spouts.items()},
        **{k: v.bolt_object for k, v in topology.bolts.items()},
    }


def make_jar(path: Path, *entries: str) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
        for entry in entries:
            zf.writestr(entry, b"\xca\xfe\xba\xbe")
    return path


@pytest.fixture
def full_jar(tmp_path: Path) -> Path:
    return make_jar(tmp_path / "stormbridge-multilang.jar", SERIALIZER_ENTRY, *BATCH_ENTRIES)


def test_python_components_go_to_the_batched_classes_and_the_serializer_is_ours(
    full_jar: Path,
) -> None:
    t = storm_thrift()
    topology, conf = compiled(), {"topology.workers": 2}
    assert use_own_classes(conf, topology, full_jar) == OwnClasses(serializer=True, batched=2)
    assert conf == {"topology.workers": 2, KEY: SERIALIZER_CLASS}
    objs = objects(topology)
    script = boot_script_path(f"{WordSpout.__module__}.WordSpout")
    assert objs["words"] == t.ComponentObject(
        java_object=t.JavaObject(
            full_class_name=BATCH_SPOUT_CLASS,
            args_list=[
                t.JavaObjectArg(string_arg="/opt/venv/bin/python3"),
                t.JavaObjectArg(string_arg=script),
            ],
        )
    )
    assert objs["counter"].shell is None
    assert objs["counter"].java_object.full_class_name == BATCH_BOLT_CLASS
    assert shell_command(objs["counter"]) == (
        "/opt/venv/bin/python3",
        boot_script_path(f"{CountBolt.__module__}.CountBolt"),
    )
    # another language's shell bolt and a Java bolt stay as they were
    before = objects(compiled())
    assert objs["node"] == before["node"] and objs["node"].shell.script == "sink.js"
    assert objs["java"] == before["java"]
    # the rest of each component (inputs, streams, parallelism) is untouched
    assert topology.bolts["counter"].common == compiled().bolts["counter"].common
    # and the result is a topology Nimbus can read: it survives Thrift's binary encoding
    assert topology_from_bytes(topology_to_bytes(topology)) == topology


@pytest.mark.parametrize("value", [None, "", "batched"])
def test_unset_empty_and_batched_all_mean_batched(full_jar: Path, value: str | None) -> None:
    topology = compiled()
    conf = {} if value is None else {TRANSPORT: value}
    assert use_own_classes(conf, topology, full_jar).batched == 2


def test_transport_stock_keeps_storms_shell_classes_and_still_our_serializer(
    full_jar: Path,
) -> None:
    topology, conf = compiled(), {TRANSPORT: "stock"}
    assert use_own_classes(conf, topology, full_jar) == OwnClasses(serializer=True, batched=0)
    assert topology == compiled()
    assert conf == {TRANSPORT: "stock", KEY: SERIALIZER_CLASS}


def test_a_chosen_serializer_is_kept_and_the_classes_are_still_batched(full_jar: Path) -> None:
    topology, conf = compiled(), {KEY: STOCK_SERIALIZER}
    assert use_own_classes(conf, topology, full_jar) == OwnClasses(serializer=False, batched=2)
    assert conf == {KEY: STOCK_SERIALIZER}


def test_no_jar_of_ours_leaves_everything_to_storm() -> None:
    topology, conf = compiled(), {"topology.debug": True}
    assert use_own_classes(conf, topology, None) == OwnClasses(serializer=False, batched=0)
    assert topology == compiled() and conf == {"topology.debug": True}


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ((), OwnClasses(serializer=False, batched=0)),  # a jar without our classes
        ((SERIALIZER_ENTRY,), OwnClasses(serializer=True, batched=0)),  # an older jar
        (BATCH_ENTRIES, OwnClasses(serializer=False, batched=0)),  # never half of them
    ],
    ids=["none", "serializer-only", "batch-without-serializer"],
)
def test_only_the_classes_the_jar_carries_are_used(
    tmp_path: Path, entries: tuple[str, ...], expected: OwnClasses
) -> None:
    topology, conf = compiled(), {}
    jar = make_jar(tmp_path / "prebuilt.jar", *entries)
    assert use_own_classes(conf, topology, jar) == expected
    assert (conf.get(KEY) == SERIALIZER_CLASS) is expected.serializer
    if not expected.batched:
        assert topology == compiled()


def test_a_missing_or_broken_jar_counts_as_none(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jar"
    broken.write_bytes(b"not a zip")
    for jar in (tmp_path / "missing.jar", broken):
        topology, conf = compiled(), {}
        assert use_own_classes(conf, topology, jar) == OwnClasses(serializer=False, batched=0)
        assert topology == compiled() and conf == {}


@pytest.mark.parametrize("jar_kind", ["full", "none"])
@pytest.mark.parametrize("value", ["fast", "STOCK", 1, ["batched"]])
def test_an_unknown_transport_is_refused_before_anything_changes(
    full_jar: Path, jar_kind: str, value: object
) -> None:
    topology, conf = compiled(), {TRANSPORT: value}
    before = copy.deepcopy(conf)
    with pytest.raises(ConfigError, match=r"stormbridge\.transport must be one of batched, stock"):
        use_own_classes(conf, topology, full_jar if jar_kind == "full" else None)
    assert conf == before and topology == compiled()


def test_a_second_call_changes_nothing_more(full_jar: Path) -> None:
    topology, conf = compiled(), {}
    use_own_classes(conf, topology, full_jar)
    once = copy.deepcopy(topology)
    assert use_own_classes(conf, topology, full_jar) == OwnClasses(serializer=True, batched=0)
    assert topology == once
