"""Topology definition: spec validation, naming, inheritance, and every DSL error."""

from __future__ import annotations

import pytest

from stormbridge import Bolt, Component, Spout
from stormbridge.dsl import (
    GlobalStreamId,
    Grouping,
    JavaBolt,
    JavaSpout,
    ShellBolt,
    ShellSpout,
    ShellSpoutSpec,
    Stream,
    Topology,
    validate_topology_name,
)
from stormbridge.errors import TopologyError
from stormbridge.thrift import storm_thrift


class WordSpout(Spout):
    outputs = ["word"]


class DirectSpout(Spout):
    outputs = [Stream(["word"], direct=True)]


class WordCountBolt(Bolt):
    outputs = ["word", "count"]


class MultiStreamBolt(Bolt):
    outputs = [Stream(["word", "count"]), Stream(["total"], name="sum")]


class SinkBolt(Bolt):
    outputs: list[str] = []


class ConfiguredBolt(Bolt):
    outputs = ["x"]
    par = 3
    config = {"topology.tick.tuple.freq.secs": 1}


class NoOutputSpout(Spout):
    outputs: list[str] = []


class BadPrefixSpout(Spout):
    outputs = [Stream(["a"], name="__hidden")]


def test_basic_topology() -> None:
    class WordCount(Topology):
        word_spout = WordSpout.spec(par=2)
        word_bolt = WordCountBolt.spec(inputs={word_spout: Grouping.fields("word")}, par=8)

    assert [spec.name for spec in WordCount.specs] == ["word_spout", "word_bolt"]
    assert list(WordCount.word_bolt.inputs) == [WordCount.word_spout["default"]]
    assert WordCount.word_bolt.inputs[GlobalStreamId("word_spout")] == Grouping.fields("word")
    assert WordCount.word_spout.par == 2 and WordCount.word_bolt.par == 8
    assert WordCount.config == {}
    assert repr(WordCount) == "<Topology test_basic_topology.<locals>.WordCount: " + (
        "spouts=['word_spout'], bolts=['word_bolt']>"
    )


def test_inputs_as_list_single_spec_and_stream_ids() -> None:
    class Multi(Topology):
        spout = WordSpout.spec()
        counter = MultiStreamBolt.spec(inputs=spout)
        sink = SinkBolt.spec(inputs=[counter["sum"], counter["default"]])
        direct = DirectSpout.spec()
        direct_sink = SinkBolt.spec(inputs=[direct])
        by_name = SinkBolt.spec(inputs=[GlobalStreamId("direct")])

    assert Multi.counter.inputs == {GlobalStreamId("spout"): Grouping.SHUFFLE}
    assert set(Multi.sink.inputs) == {GlobalStreamId("counter", "sum"), GlobalStreamId("counter")}
    assert Multi.direct_sink.inputs == {GlobalStreamId("direct"): Grouping.DIRECT}
    # a list entry given by id gets DIRECT too once the topology knows the source stream
    assert Multi.by_name.inputs == {GlobalStreamId("direct"): Grouping.DIRECT}


def test_thrift_global_stream_id_and_grouping_accepted_for_cycles() -> None:
    t = storm_thrift()

    class Cyclic(Topology):
        spout = WordSpout.spec()
        a_bolt = WordCountBolt.spec(
            inputs={
                spout: Grouping.fields("word"),
                t.GlobalStreamId(componentId="b_bolt", streamId="default"): t.Grouping(
                    fields=["word"]
                ),
            }
        )
        b_bolt = WordCountBolt.spec(inputs=[a_bolt])

    assert Cyclic.a_bolt.inputs[GlobalStreamId("b_bolt")] == Grouping.fields("word")


def test_explicit_names_and_class_attributes() -> None:
    class Named(Topology):
        config = {"topology.workers": 2}
        spout = WordSpout.spec(name="words")
        bolt = ConfiguredBolt.spec(name="counter", inputs=[spout])

    assert [spec.name for spec in Named.specs] == ["words", "counter"]
    assert Named.bolt.inputs == {GlobalStreamId("words"): Grouping.SHUFFLE}
    assert Named.bolt.par == 3
    assert Named.bolt.config == {"topology.tick.tuple.freq.secs": 1}
    assert Named.bolt.json_conf == '{"topology.tick.tuple.freq.secs": 1}'
    assert Named.config == {"topology.workers": 2}


def test_specs_are_inherited_overridden_and_dropped() -> None:
    class Base(Topology):
        config = {"topology.debug": True}
        spout = WordSpout.spec()
        bolt = WordCountBolt.spec(inputs={spout: Grouping.fields("word")})
        extra = SinkBolt.spec(inputs=[bolt])

    class Child(Base):
        bolt = WordCountBolt.spec(inputs=[Base.spout], par=4)
        extra = None

    class GrandChild(Child):
        sink = SinkBolt.spec(inputs=[Child.bolt])

    assert [spec.name for spec in Child.specs] == ["spout", "bolt"]
    assert Child.bolt.par == 4 and Child.bolt.inputs == {GlobalStreamId("spout"): Grouping.SHUFFLE}
    assert [spec.name for spec in GrandChild.specs] == ["spout", "bolt", "sink"]
    assert Child.config == {"topology.debug": True}
    assert Child.config is not Base.config
    assert [spec.name for spec in Base.specs] == ["spout", "bolt", "extra"]


def test_spec_objects_are_not_mutated_and_can_be_reused() -> None:
    spout = WordSpout.spec()
    bolt = WordCountBolt.spec(inputs=[spout])

    class First(Topology):
        words = spout
        counts = bolt

    class Second(Topology):
        source = spout
        counter = bolt

    assert spout.name is None and bolt.name is None
    assert list(bolt.inputs) == [GlobalStreamId(spout)]
    assert First.counts.inputs == {GlobalStreamId("words"): Grouping.SHUFFLE}
    assert Second.counter.inputs == {GlobalStreamId("source"): Grouping.SHUFFLE}


def test_spec_getitem() -> None:
    spec = MultiStreamBolt.spec(name="m", inputs=[WordSpout.spec(name="s")])
    assert spec["sum"] == GlobalStreamId("m", "sum")
    with pytest.raises(KeyError, match=r"Valid streams are: \['default', 'sum'\]"):
        spec["nope"]
    unnamed = WordSpout.spec()
    assert unnamed["default"].componentId is unnamed


@pytest.mark.parametrize("par", [0, -1])
def test_par_must_be_positive(par: int) -> None:
    with pytest.raises(ValueError, match=f"Given: {par}") as info:
        WordSpout.spec(par=par)
    assert isinstance(info.value, TopologyError)


@pytest.mark.parametrize("par", [5.4, "2", True, [1]])
def test_par_must_be_int(par: object) -> None:
    with pytest.raises(TypeError, match="integer greater than 0"):
        WordSpout.spec(par=par)


def test_par_dict_validation() -> None:
    assert WordSpout.spec(par={"prod": 5, "beta": 1}).par == {"prod": 5, "beta": 1}
    with pytest.raises(TypeError, match="1000"):
        WordSpout.spec(par={1000: 5, "beta": 1})
    with pytest.raises(TypeError, match=r"5\.5"):
        WordSpout.spec(par={"prod": 5.5})
    with pytest.raises(ValueError, match="'prod'"):
        WordSpout.spec(par={"prod": 0})
    with pytest.raises(ValueError, match="at least one environment"):
        WordSpout.spec(par={})


def test_config_validation() -> None:
    with pytest.raises(TypeError, match="config must either be a dict or None"):
        WordCountBolt.spec(inputs=[WordSpout.spec()], config='{"foo": "bar"}')
    with pytest.raises(TypeError, match="JSON-serializable"):
        WordCountBolt.spec(inputs=[WordSpout.spec()], config={"x": object()})
    with pytest.raises(TypeError, match=r"\[1\]"):
        WordCountBolt.spec(inputs=[WordSpout.spec()], config={1: "x"})
    with pytest.raises(TypeError, match="Topology config must be a dictionary"):

        class BadConfig(Topology):
            config = '{"foo": "bar"}'
            spout = WordSpout.spec()


def test_outputs_validation() -> None:
    class IntOutput(Spout):
        outputs = ["foo", 2]

    class StrOutput(Spout):
        outputs = "foo"

    class Mixed(Spout):
        outputs = ["a", Stream(["b"])]

    class Twice(Spout):
        outputs = [Stream(["a"], "s"), Stream(["b"], "s")]

    with pytest.raises(TypeError, match="Invalid entry: 2"):
        IntOutput.spec()
    with pytest.raises(TypeError, match="Given: 'foo'"):
        StrOutput.spec()
    with pytest.raises(ValueError, match="'default'"):
        Mixed.spec()
    with pytest.raises(ValueError, match="declared twice"):
        Twice.spec()


@pytest.mark.parametrize(
    ("inputs", "needle"),
    [
        ({"word_spout": Grouping.fields("word")}, "Given key: 'word_spout'"),
        ("word_spout", "Given: 'word_spout'"),
        ([42], "Given: 42"),
    ],
)
def test_inputs_type_errors(inputs: object, needle: str) -> None:
    with pytest.raises(TypeError, match=needle):
        WordCountBolt.spec(inputs=inputs)


def test_inputs_dict_value_must_be_grouping() -> None:
    spout = WordSpout.spec()
    with pytest.raises(TypeError, match="given value: 'word'"):
        WordCountBolt.spec(inputs={spout: "word"})


def test_inputs_listed_twice() -> None:
    spout = WordSpout.spec()
    with pytest.raises(ValueError, match="listed twice"):
        WordCountBolt.spec(inputs=[spout, spout])

    with pytest.raises(ValueError, match="twice"):

        class Twice(Topology):
            s = spout
            b = WordCountBolt.spec(inputs={s: Grouping.SHUFFLE, GlobalStreamId("s"): Grouping.ALL})


def test_unknown_stream_in_spec_getitem_is_key_error() -> None:
    with pytest.raises(KeyError):

        class WordCount(Topology):
            word_spout = WordSpout.spec()
            word_bolt = WordCountBolt.spec(inputs=[word_spout["word"]])


def test_fields_grouping_must_name_source_fields() -> None:
    with pytest.raises(ValueError, match=r"Field 'foo'.*'word_spout' 'default'.*\['word'\]"):

        class WordCount(Topology):
            word_spout = WordSpout.spec()
            word_bolt = WordCountBolt.spec(inputs={word_spout: Grouping.fields("foo")})


def test_unknown_input_component_and_stream() -> None:
    with pytest.raises(TopologyError, match=r"unknown component 'ghost'.*\['bolt', 'spout'\]"):

        class Ghost(Topology):
            spout = WordSpout.spec()
            bolt = WordCountBolt.spec(inputs=[GlobalStreamId("ghost")])

    outsider = WordSpout.spec()
    with pytest.raises(TopologyError, match="not a component of Outside"):

        class Outside(Topology):
            spout = WordSpout.spec()
            bolt = WordCountBolt.spec(inputs=[outsider])

    with pytest.raises(TopologyError, match=r"stream 'sum' of 'spout'.*\['default'\]"):

        class NoStream(Topology):
            spout = WordSpout.spec()
            bolt = WordCountBolt.spec(inputs=[GlobalStreamId("spout", "sum")])


def test_duplicate_names_and_shared_spec() -> None:
    with pytest.raises(ValueError, match="Duplicate component name: 'word'"):

        class Dup(Topology):
            word = WordSpout.spec()
            word_ = WordCountBolt.spec(name="word", inputs=[word])

    with pytest.raises(ValueError, match="same spec"):

        class Shared(Topology):
            a = WordSpout.spec()
            b = a


def test_structure_errors() -> None:
    with pytest.raises(ValueError, match="requires at least one input, because it is a Bolt"):

        class NoInput(Topology):
            word_spout = WordSpout.spec()
            word_bolt = WordCountBolt.spec(inputs=[])

    with pytest.raises(ValueError, match="requires at least one output, because it is a Spout"):

        class NoOutput(Topology):
            word_spout = NoOutputSpout.spec()

    with pytest.raises(ValueError, match="at least one Spout"):

        class Empty(Topology):
            pass


def test_reserved_ids() -> None:
    with pytest.raises(TopologyError, match="'__acker'"):

        class Reserved(Topology):
            __acker = WordSpout.spec(name="__acker")

    with pytest.raises(TopologyError, match="'__hidden'"):

        class ReservedStream(Topology):
            spout = BadPrefixSpout.spec()


def test_components_must_be_specs_of_spouts_or_bolts() -> None:
    with pytest.raises(TypeError, match="Specifications should either be bolts or spouts"):
        Component.spec()

    with pytest.raises(TypeError, match="Did you forget to call the spec"):

        class Instance(Topology):
            spout = WordSpout()

    with pytest.raises(TypeError, match="Did you forget to call the spec"):

        class ShellInstance(Topology):
            spout = ShellSpout()


def test_python_classes_must_be_importable_by_workers() -> None:
    class LocalSpout(Spout):
        outputs = ["x"]

    with pytest.raises(TopologyError, match=r"'spout'.*dotted"):

        class Local(Topology):
            spout = LocalSpout.spec()

    MainSpout = type("MainSpout", (Spout,), {"outputs": ["x"], "__module__": "__main__"})
    with pytest.raises(TopologyError, match="__main__"):

        class Main(Topology):
            spout = MainSpout.spec()


def test_shell_specs() -> None:
    class Perl(Topology):
        word_spout = ShellSpout.spec(command="perl", script="words.pl", par=2, outputs=["word"])
        word_bolt = ShellBolt.spec(
            command="node",
            script="count.js",
            inputs={word_spout: Grouping.fields("word")},
            outputs=[Stream(["word", "count"])],
        )

    assert isinstance(Perl.word_spout, ShellSpoutSpec)
    assert (Perl.word_spout.command, Perl.word_spout.script) == ("perl", "words.pl")
    assert Perl.word_bolt.par == 1 and not Perl.word_bolt.is_python
    with pytest.raises(ValueError, match="command is required"):
        ShellBolt.spec(script="count.pl", inputs=[Perl.word_spout], outputs=["x"])
    with pytest.raises(TypeError, match="specify the empty string for script"):
        ShellSpout.spec(command="perl", outputs=["word"])
    with pytest.raises(TypeError, match="command must be a string"):
        ShellSpout.spec(command=["perl"], script="", outputs=["w"])  # type: ignore[arg-type]


def test_java_specs() -> None:
    class Java(Topology):
        spout = JavaSpout.spec(full_class_name="org.example.Words", args_list=[], outputs=["word"])
        bolt = JavaBolt.spec(serialized_java=b"\xac\xed\x00", inputs=[spout], outputs=["n"])

    assert Java.spout.java_object is not None and Java.spout.serialized_java is None
    assert Java.bolt.serialized_java == b"\xac\xed\x00" and Java.bolt.java_object is None
    with pytest.raises(TypeError, match="serialized_java must be either bytes or None"):
        JavaSpout.spec(serialized_java="abc", outputs=["w"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="full_class_name is required"):
        JavaSpout.spec(args_list=[], outputs=["w"])
    with pytest.raises(TypeError, match="args_list must not be None"):
        JavaSpout.spec(full_class_name="a.B", outputs=["w"])
    with pytest.raises(TypeError, match=r"\{'foo': 'bar'\}"):
        JavaSpout.spec(full_class_name="a.B", args_list=[{"foo": "bar"}, 1], outputs=["w"])


def test_spec_repr_mentions_what_matters() -> None:
    text = repr(ConfiguredBolt.spec(name="c", inputs=[WordSpout.spec(name="w")]))
    assert text.startswith("ShellBoltSpec(ConfiguredBolt, name='c', class_path=")
    assert "par=3" in text and "tick" in text


@pytest.mark.parametrize("name", ["wordcount", "word-count_2", "a b"])
def test_valid_topology_names(name: str) -> None:
    assert validate_topology_name(name) == name


@pytest.mark.parametrize("name", ["", "a/b", "a.b", "a:b", "a\\b"])
def test_invalid_topology_names(name: str) -> None:
    with pytest.raises(TopologyError, match="Invalid topology name"):
        validate_topology_name(name)


def test_topology_name_type() -> None:
    with pytest.raises(TypeError):
        validate_topology_name(3)


def test_config_with_mixed_nested_keys_fails_early() -> None:
    with pytest.raises(TypeError, match="JSON-serializable"):
        WordSpout.spec(config={"a": {1: "x", "b": 2}})
