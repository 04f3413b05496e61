"""Compiling topologies to Storm Thrift: structure, round trips, par environments, Flux."""

from __future__ import annotations

import copy
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stormbridge import Bolt, Spout
from stormbridge.dsl import (
    Grouping,
    JavaArg,
    JavaBolt,
    JavaSpout,
    ShellBolt,
    Stream,
    Topology,
    compile_topology,
    python_class_paths,
)
from stormbridge.dsl.boot import boot_script_path
from stormbridge.dsl.compile import topology_from_bytes, topology_to_bytes
from stormbridge.errors import TopologyError, TopologyTypeError
from stormbridge.thrift import storm_thrift

REPO = Path(__file__).resolve().parents[3]


class WordSpout(Spout):
    outputs = ["word"]


class CountBolt(Bolt):
    outputs = [Stream(["word", "count"]), Stream(["total"], name="sum", direct=True)]
    config = {"topology.tick.tuple.freq.secs": 5}


class SinkBolt(Bolt):
    outputs: list[str] = []


class EnvSpout(Spout):
    outputs = ["word"]
    par = {"prod": 4, "dev": 1}


class Full(Topology):
    config = {"topology.workers": 2}
    spout = WordSpout.spec(par=2)
    java_spout = JavaSpout.spec(
        full_class_name="org.example.Words",
        args_list=["x", 3, JavaArg.int32(4), True, 1.5, b"\x01"],
        outputs=["word"],
    )
    counter = CountBolt.spec(
        inputs={spout: Grouping.fields("word"), java_spout: Grouping.LOCAL_OR_SHUFFLE}, par=3
    )
    every = ShellBolt.spec(
        command="node",
        script="sink.js",
        inputs={counter["sum"]: Grouping.DIRECT, counter: Grouping.ALL},
        outputs=["n"],
    )
    serialized = JavaBolt.spec(
        serialized_java=b"\xac\xed",
        inputs={
            every: Grouping.GLOBAL,
            spout: Grouping.NONE,
            java_spout: Grouping.custom_object("org.example.G", [7]),
        },
        outputs=["n"],
    )
    custom = SinkBolt.spec(
        inputs={every: Grouping.custom_serialized(b"\xac\xed\x05"), spout: Grouping.SHUFFLE}
    )


def test_full_topology_compiles_to_storm_structs() -> None:
    t = storm_thrift()
    topo = compile_topology(Full)
    assert isinstance(topo, t.StormTopology)
    assert sorted(topo.spouts) == ["java_spout", "spout"]
    assert sorted(topo.bolts) == ["counter", "custom", "every", "serialized"]
    assert topo.state_spouts == {} and topo.storm_version is None

    spout = topo.spouts["spout"]
    class_path = f"{WordSpout.__module__}.WordSpout"
    assert spout.spout_object == t.ComponentObject(
        shell=t.ShellComponent(execution_command="python3", script=boot_script_path(class_path))
    )
    assert spout.spout_object.shell.script == f"_stormbridge/boot/{class_path}.py"
    assert spout.common == t.ComponentCommon(
        inputs={},
        streams={"default": t.StreamInfo(output_fields=["word"], direct=False)},
        parallelism_hint=2,
        json_conf="{}",
    )

    java = topo.spouts["java_spout"].spout_object.java_object
    assert java == t.JavaObject(
        full_class_name="org.example.Words",
        args_list=[
            t.JavaObjectArg(string_arg="x"),
            t.JavaObjectArg(long_arg=3),
            t.JavaObjectArg(int_arg=4),
            t.JavaObjectArg(bool_arg=True),
            t.JavaObjectArg(double_arg=1.5),
            t.JavaObjectArg(binary_arg=b"\x01"),
        ],
    )

    counter = topo.bolts["counter"].common
    assert counter.inputs == {
        t.GlobalStreamId("spout", "default"): t.Grouping(fields=["word"]),
        t.GlobalStreamId("java_spout", "default"): t.Grouping(local_or_shuffle=t.NullStruct()),
    }
    assert counter.streams["sum"] == t.StreamInfo(output_fields=["total"], direct=True)
    assert counter.parallelism_hint == 3
    assert json.loads(counter.json_conf) == {"topology.tick.tuple.freq.secs": 5}

    every = topo.bolts["every"]
    assert every.bolt_object.shell == t.ShellComponent(execution_command="node", script="sink.js")
    assert every.common.inputs == {
        t.GlobalStreamId("counter", "sum"): t.Grouping(direct=t.NullStruct()),
        t.GlobalStreamId("counter", "default"): t.Grouping(all=t.NullStruct()),
    }
    serialized = topo.bolts["serialized"]
    assert serialized.bolt_object == t.ComponentObject(serialized_java=b"\xac\xed")
    assert serialized.common.inputs[t.GlobalStreamId("every", "default")] == t.Grouping(fields=[])
    assert serialized.common.inputs[t.GlobalStreamId("spout", "default")] == t.Grouping(
        none=t.NullStruct()
    )
    custom_object = serialized.common.inputs[t.GlobalStreamId("java_spout", "default")]
    assert custom_object.custom_object == t.JavaObject(
        full_class_name="org.example.G", args_list=[t.JavaObjectArg(long_arg=7)]
    )
    assert topo.bolts["custom"].common.inputs[t.GlobalStreamId("every", "default")] == t.Grouping(
        custom_serialized=b"\xac\xed\x05"
    )
    assert topo.bolts["custom"].common.streams == {}


def test_python_command_choice() -> None:
    topo = compile_topology(Full, python="/opt/venv/bin/python")
    assert topo.spouts["spout"].spout_object.shell.execution_command == "/opt/venv/bin/python"
    # non-Python shell components are left exactly as declared
    assert topo.bolts["every"].bolt_object.shell.execution_command == "node"
    for bad in ("", "python3 -u ", " python3"):
        with pytest.raises(TopologyTypeError, match="one argv entry"):
            compile_topology(Full, python=bad)


def test_round_trip_through_bytes_stream_and_file(tmp_path: Path) -> None:
    topo = compile_topology(Full)
    data = topology_to_bytes(topo)
    assert topology_from_bytes(data) == topo

    buffer = io.BytesIO()
    Full.write(buffer)
    assert buffer.getvalue() == data

    path = tmp_path / "full.thrift"
    Full.write(str(path))
    assert path.read_bytes() == data

    class Reader(Topology):
        spout = WordSpout.spec()

    read = Reader.read(io.BytesIO(data))
    assert read == topo
    assert Reader.thrift_topology == topo and Reader.specs == []
    assert Reader.thrift_bolts == topo.bolts and Reader.thrift_spouts == topo.spouts
    assert compile_topology(Reader) == topo
    assert python_class_paths(Reader) == python_class_paths(Full)
    assert Reader.read(path) == topo


def test_read_rejects_garbage() -> None:
    with pytest.raises(TopologyError, match="Not a Thrift StormTopology"):
        topology_from_bytes(b"\x0f\x00\x01garbage")


def test_thrift_attributes_are_fresh_and_never_mutate_the_class() -> None:
    before = copy.deepcopy(Full.specs)
    first = Full.thrift_topology
    first.spouts["spout"].spout_object.shell.execution_command = "mutated"
    first.bolts.clear()
    assert Full.thrift_topology == compile_topology(Full)
    assert Full.thrift_topology.spouts["spout"].spout_object.shell.execution_command == "python3"
    assert Full.thrift_spouts == compile_topology(Full).spouts
    assert Full.thrift_bolts == compile_topology(Full).bolts
    compile_topology(Full, python="/x/python")
    assert repr(Full.specs) == repr(before)


def test_par_dict_is_resolved_per_environment() -> None:
    class Envs(Topology):
        spout = EnvSpout.spec()
        bolt = SinkBolt.spec(inputs=[spout], par={"prod": 8, "dev": 2})

    prod = compile_topology(Envs, env_name="prod")
    assert prod.spouts["spout"].common.parallelism_hint == 4
    assert prod.bolts["bolt"].common.parallelism_hint == 8
    assert compile_topology(Envs, env_name="dev").bolts["bolt"].common.parallelism_hint == 2
    with pytest.raises(TopologyError, match=r"'spout' has no parallelism for environment 'beta'"):
        compile_topology(Envs, env_name="beta")
    with pytest.raises(TopologyError, match="env_name"):
        compile_topology(Envs)
    # streamparse compatibility: thrift_* keep the dict as it is ...
    assert Envs.thrift_spouts["spout"].common.parallelism_hint == {"prod": 4, "dev": 1}
    # ... which cannot be written without choosing an environment
    with pytest.raises(TopologyError, match="env_name"):
        Envs.write(io.BytesIO())
    buffer = io.BytesIO()
    Envs.write(buffer, env_name="prod")
    assert topology_from_bytes(buffer.getvalue()) == prod
    with pytest.raises(TopologyError, match="par dict must be resolved"):
        topology_to_bytes(Envs.thrift_topology)


def test_python_class_paths() -> None:
    module = WordSpout.__module__
    assert python_class_paths(Full) == [
        f"{module}.CountBolt",
        f"{module}.SinkBolt",
        f"{module}.WordSpout",
    ]
    with pytest.raises(TopologyTypeError, match="Topology subclass"):
        python_class_paths(Full.spout)


def test_compile_rejects_non_topologies() -> None:
    with pytest.raises(TopologyTypeError, match="Topology subclass"):
        compile_topology(object)


def test_spec_common_and_component_object_properties() -> None:
    t = storm_thrift()
    assert Full.counter.common == compile_topology(Full).bolts["counter"].common
    assert Full.every.component_object.shell == t.ShellComponent("node", "sink.js")


@pytest.fixture
def wordcount_path() -> Iterator[None]:
    added = [str(REPO / "src"), str(REPO)]
    sys.path[:0] = added
    try:
        yield
    finally:
        for entry in added:
            sys.path.remove(entry)
        for name in [
            n for n in sys.modules if n.split(".")[0] in ("topologies", "bolts", "spouts")
        ]:
            del sys.modules[name]


@pytest.mark.usefixtures("wordcount_path")
def test_wordcount_project_topology() -> None:
    from topologies.wordcount import WordCount  # type: ignore[import-not-found]

    t = storm_thrift()
    topo = compile_topology(WordCount)
    assert sorted(topo.spouts) == ["word_spout"] and sorted(topo.bolts) == ["count_bolt"]
    bolt = topo.bolts["count_bolt"]
    assert bolt.common.parallelism_hint == 2
    assert bolt.common.inputs == {
        t.GlobalStreamId(componentId="word_spout", streamId="default"): t.Grouping(fields=["word"])
    }
    assert bolt.bolt_object.shell == t.ShellComponent(
        execution_command="python3", script="_stormbridge/boot/bolts.wordcount.WordCountBolt.py"
    )
    assert topo.spouts["word_spout"].spout_object.shell.script == (
        "_stormbridge/boot/spouts.words.WordSpout.py"
    )
    assert python_class_paths(WordCount) == [
        "bolts.wordcount.WordCountBolt",
        "spouts.words.WordSpout",
    ]
    assert topology_from_bytes(topology_to_bytes(topo)) == topo
    assert WordCount.thrift_topology == topo


class FluxSpout(Spout):
    outputs = ["word"]


class FluxBolt(Bolt):
    outputs = [Stream(["word", "count"]), Stream(["total"], name="sum")]
    config = {"a": 1}


def test_to_flux_dict() -> None:
    class Flux(Topology):
        word_spout = FluxSpout.spec(par={"prod": 2})
        word_bolt = FluxBolt.spec(inputs={word_spout: Grouping.fields("word")}, par=8)
        java_bolt = JavaBolt.spec(
            full_class_name="org.example.Sink",
            args_list=["x", 2],
            inputs={
                word_bolt["sum"]: Grouping.GLOBAL,
                word_spout: Grouping.custom_object("org.example.G", [1]),
            },
            outputs=[],
        )

    module = FluxSpout.__module__
    flux: dict[str, Any] = Flux.to_flux_dict("flux", env_name="prod")
    assert flux["name"] == "flux"
    assert flux["spouts"] == [
        {
            "id": "word_spout",
            "className": "org.apache.storm.flux.wrappers.spouts.FluxShellSpout",
            "configMethods": [],
            "constructorArgs": [["streamparse_run", f"{module}.FluxSpout"], ["word"]],
            "parallelism": 2,
        }
    ]
    bolt, java = flux["bolts"]
    assert bolt["constructorArgs"] == [["streamparse_run", f"{module}.FluxBolt"], ["word", "count"]]
    assert bolt["configMethods"] == [
        {"name": "setNamedStream", "args": ["sum", ["total"]]},
        {"name": "addComponentConfig", "args": ["a", 1]},
    ]
    assert java == {
        "id": "java_bolt",
        "className": "org.example.Sink",
        "constructorArgs": ["x", 2],
        "parallelism": 1,
    }
    assert flux["streams"] == [
        {
            "from": "word_spout",
            "to": "word_bolt",
            "grouping": {"streamId": "default", "type": "FIELDS", "args": ["word"]},
        },
        {"from": "word_bolt", "to": "java_bolt", "grouping": {"streamId": "sum", "type": "GLOBAL"}},
        {
            "from": "word_spout",
            "to": "java_bolt",
            "grouping": {
                "streamId": "default",
                "type": "CUSTOM",
                "customClass": {"className": "org.example.G", "constructorArgs": [1]},
            },
        },
    ]
    booted = Flux.to_flux_dict("flux", env_name="prod", python="python3")
    assert booted["spouts"][0]["constructorArgs"][0] == [
        "python3",
        f"_stormbridge/boot/{module}.FluxSpout.py",
    ]
    with pytest.raises(TopologyError, match="env_name"):
        Flux.to_flux_dict("flux")


def test_to_flux_dict_rejects_what_flux_cannot_express() -> None:
    class Serialized(Topology):
        spout = JavaSpout.spec(serialized_java=b"\x00", outputs=["w"])

    with pytest.raises(TypeError, match="Flux does not support"):
        Serialized.to_flux_dict("s")

    class CustomSerialized(Topology):
        spout = FluxSpout.spec()
        bolt = FluxBolt.spec(inputs={spout: Grouping.custom_serialized(b"\x00")})

    with pytest.raises(TypeError, match="custom_serialized"):
        CustomSerialized.to_flux_dict("s")
