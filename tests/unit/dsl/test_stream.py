"""Stream, Grouping and Java argument values of the DSL (pure, no Thrift)."""

from __future__ import annotations

import pytest

from stormbridge.dsl import GlobalStreamId, Grouping, JavaArg, Stream
from stormbridge.dsl.java import java_arg, java_object
from stormbridge.dsl.stream import StreamGrouping, grouping_from_thrift
from stormbridge.errors import TopologyError, TopologyTypeError
from stormbridge.thrift import storm_thrift


def test_stream_defaults_and_equality() -> None:
    stream = Stream()
    assert (stream.fields, stream.name, stream.direct) == ([], "default", False)
    assert Stream(("a", "b"), "x", True) == Stream(["a", "b"], "x", True)
    assert Stream(["a"]) != Stream(["a"], direct=True)
    assert Stream(["a"]).output_fields == ["a"]
    assert repr(Stream(["a"], "s")) == "Stream(fields=['a'], name='s', direct=False)"


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"fields": "word"}, "'word'"),
        ({"fields": ["ok", 3]}, "3"),
        ({"fields": {"a"}}, "{'a'}"),
        ({"name": 5}, "5"),
        ({"name": ""}, "''"),
        ({"direct": "yes"}, "'yes'"),
    ],
)
def test_stream_type_errors(kwargs: dict[str, object], needle: str) -> None:
    with pytest.raises(TypeError, match=needle) as info:
        Stream(**kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value, TopologyTypeError)


def test_stream_duplicate_fields() -> None:
    with pytest.raises(TopologyError, match="'a'"):
        Stream(["a", "b", "a"])


def test_grouping_constants() -> None:
    assert Grouping.SHUFFLE.kind == "shuffle"
    assert Grouping.GLOBAL.kind == "fields" and Grouping.GLOBAL.fields == []
    assert Grouping.GLOBAL.is_global and not Grouping.fields("a").is_global
    assert [repr(g) for g in (Grouping.SHUFFLE, Grouping.GLOBAL, Grouping.DIRECT)] == [
        "SHUFFLE",
        "GLOBAL",
        "DIRECT",
    ]
    assert [repr(g) for g in (Grouping.ALL, Grouping.NONE, Grouping.LOCAL_OR_SHUFFLE)] == [
        "ALL",
        "NONE",
        "LOCAL_OR_SHUFFLE",
    ]
    assert Grouping.SHUFFLE.fields is None


def test_fields_grouping_forms() -> None:
    assert Grouping.fields("a", "b") == Grouping.fields(["a", "b"]) == Grouping.fields(("a", "b"))
    assert Grouping.fields("word").fields == ["word"]
    assert repr(Grouping.fields("word")) == "fields(['word'])"


def test_fields_grouping_errors() -> None:
    with pytest.raises(ValueError, match=r"Grouping\.GLOBAL"):
        Grouping.fields()
    with pytest.raises(ValueError, match="cannot be empty"):
        Grouping.fields([])
    with pytest.raises(TypeError, match="1"):
        Grouping.fields("a", 1)  # type: ignore[arg-type]


def test_custom_object_grouping() -> None:
    grouping = Grouping.custom_object("org.example.MyGrouping", ["x", 3, True, 1.5, b"\x00"])
    assert grouping.kind == "custom_object"
    assert grouping.java_object is not None
    assert grouping.java_object.full_class_name == "org.example.MyGrouping"
    kinds = [arg.kind for arg in grouping.java_object.args]
    assert kinds == ["string_arg", "long_arg", "bool_arg", "double_arg", "binary_arg"]
    with pytest.raises(TypeError, match=r"\{'a': 1\}"):
        Grouping.custom_object("org.example.G", [{"a": 1}])
    with pytest.raises(ValueError, match="full_class_name is required"):
        Grouping.custom_object("", [])


def test_custom_serialized_raises_on_non_bytes() -> None:
    assert Grouping.custom_serialized(b"\xac\xed").serialized == b"\xac\xed"
    with pytest.raises(TypeError, match="'not bytes'"):
        Grouping.custom_serialized("not bytes")  # type: ignore[arg-type]


def test_java_args() -> None:
    assert java_arg(True) == JavaArg("bool_arg", True)
    assert java_arg(7) == JavaArg("long_arg", 7)
    assert JavaArg.int32(7).kind == "int_arg"
    with pytest.raises(TopologyError, match="Java int"):
        JavaArg.int32(2**31)
    with pytest.raises(TopologyError, match="Java long"):
        java_arg(2**63)
    with pytest.raises(TypeError, match="cannot hold"):
        JavaArg("string_arg", 5)
    with pytest.raises(ValueError, match="Unknown Java argument kind"):
        JavaArg("char_arg", "x")
    with pytest.raises(TypeError, match="args_list must not be None"):
        java_object("org.example.X", None)
    with pytest.raises(TypeError, match="list of constructor arguments"):
        java_object("org.example.X", "abc")


def test_thrift_values_are_accepted() -> None:
    t = storm_thrift()
    assert java_arg(t.JavaObjectArg(int_arg=4)) == JavaArg("int_arg", 4)
    with pytest.raises(ValueError, match="exactly one"):
        java_arg(t.JavaObjectArg())
    assert grouping_from_thrift(t.Grouping(fields=["a"])) == Grouping.fields("a")
    assert grouping_from_thrift(t.Grouping(fields=[])) == Grouping.GLOBAL
    assert grouping_from_thrift(t.Grouping(all=t.NullStruct())) == Grouping.ALL
    assert grouping_from_thrift("SHUFFLE") is None
    with pytest.raises(ValueError, match="exactly one"):
        grouping_from_thrift(t.Grouping(all=t.NullStruct(), none=t.NullStruct()))
    java = t.JavaObject(full_class_name="a.B", args_list=[t.JavaObjectArg(string_arg="s")])
    converted = grouping_from_thrift(t.Grouping(custom_object=java))
    assert converted == Grouping.custom_object("a.B", ["s"])


def test_global_stream_id_is_hashable_value() -> None:
    assert GlobalStreamId("a") == GlobalStreamId("a", "default")
    assert len({GlobalStreamId("a", "s"), GlobalStreamId("a", "s")}) == 1
    assert isinstance(Grouping.ALL, StreamGrouping)
