"""stormbridge's Java multilang serializer against Storm's own JsonSerializer, through real bytes.

A small Java main (``java/MultilangHarness.java``) drives either serializer: it reads frames
written by stormbridge's runtime codecs and prints every ``ShellMsg`` with its Java types, or
writes a fixed set of bolt/spout messages for the runtime's codec to read back. Both
serializers must agree on everything Storm's does right; ours must also read a direct emit's
``"task"`` (Storm 2.8.3's throws ClassCastException) and name the problem in bad input.
Needs a JDK and the provisioned Storm (skipped without them).
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import pytest

from stormbridge.errors import StormBridgeError
from stormbridge.runtime.protocol import make_codec
from stormbridge.storm.home import resolve_home
from stormbridge.storm.multilang import SERIALIZER_CLASS, STOCK_SERIALIZER, serializer_jar

from .java_harness import JavaHarness, compile_harness

HARNESS = Path(__file__).with_name("java") / "MultilangHarness.java"


class Harness(JavaHarness):
    def read(self, cls: str, data: bytes) -> list[str]:
        return self.run("read", cls, data=data).splitlines()

    def write(self, cls: str) -> bytes:
        return self.run("write", cls).encode()


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Harness:
    h = compile_harness(tmp_path_factory, HARNESS, "MultilangHarness", "the multilang test harness")
    return Harness(h.classpath, h.main)


def frames(messages: list[Any], codec: str = "json-stdlib") -> bytes:
    c = make_codec(codec, io.BytesIO(), io.BytesIO())
    return b"".join(c.encode(m) for m in messages)


VALUES: list[Any] = [
    "dog",
    "",
    'quote" backslash\\ newline\n tab\t ctl\x01 \nend\n',
    "café 漢字 😀",
    0,
    -1,
    2**31 - 1,
    2**31,
    -(2**31) - 1,
    2**63 - 1,
    -(2**63),
    1.5,
    -2.5e-300,
    1e300,
    True,
    False,
    None,
    [1, [2, ["three"]], {}],
    {"k": [1, 2], "é": {"x": None}},
]

MESSAGES: list[Any] = [
    {"command": "emit", "tuple": VALUES},
    {"command": "emit", "tuple": ["dog", 10], "anchors": ["-123", "456"], "need_task_ids": False},
    {"command": "emit", "tuple": ["a"], "anchors": "789", "stream": "words"},
    {"command": "emit", "tuple": ["b"], "stream": "words", "need_task_ids": True},
    {"command": "emit", "tuple": ["c"], "stream": "wörds\n"},
    {"command": "emit", "tuple": ["spout"], "id": 42},
    {"command": "emit", "tuple": ["spout"], "id": "m-1"},
    {"command": "emit", "tuple": ["spout"], "id": [1, "two", {"3": 4}]},
    {"command": "ack", "id": "-6955565822418862353"},
    {"command": "fail", "id": "17"},
    {"command": "log", "msg": "hello\nworld", "level": 3},
    {"command": "log", "msg": "no level"},
    {"command": "error", "msg": "Traceback ...\nZeroDivisionError: boom"},
    {"command": "sync"},
    {"command": "metrics", "name": "my.metric", "params": {"v": 1.25}},
    {"command": "emit", "tuple": [], "extra": {"ignored": [1, 2, 3]}},
    {"command": "custom-thing"},
]


def test_reads_the_runtimes_frames_exactly_as_storms_serializer(harness: Harness) -> None:
    for codec in ("json-stdlib", "json-orjson"):
        try:
            data = frames(MESSAGES, codec)
        except StormBridgeError:
            continue  # orjson not installed
        ours = harness.read(SERIALIZER_CLASS, data)
        stock = harness.read(STOCK_SERIALIZER, data)
        assert ours[-1].startswith("EOF Pipe to subprocess seems to be broken! No output read.")
        assert len(ours) == len(MESSAGES) + 1, ours
        assert ours == stock
    first = ours[0]
    assert 'tuple=[s"dog", s"", s"quote\\u0022' in first
    assert "i2147483647, l2147483648, l-2147483649, l9223372036854775807" in first
    assert 'd1.5, d-2.5E-300, d1.0E300, true, false, null, [i1, [i2, [s"three"]], {}]' in first
    assert 'stream=s"default" task=0 need_task_ids=true' in first
    assert 'anchors=[s"-123", s"456"]' in ours[1] and "need_task_ids=false" in ours[1]
    assert 'anchors=[s"789"] tuple=[s"a"]' in ours[2] and 'stream=s"words"' in ours[2]


def test_whitespace_and_line_ends_around_frames(harness: Harness) -> None:
    data = (
        b'  {"command" : "emit" ,\n "tuple" : [ 1 , "x" ] }  \nend\n'
        b'{"command":"sync"}\r\nend\r\n'
        b'\n{"command":"ack","id":"5"}\nend\n'
    )
    ours = harness.read(SERIALIZER_CLASS, data)
    assert ours[:3] == harness.read(STOCK_SERIALIZER, data)[:3]
    assert 'command=s"emit"' in ours[0] and 'tuple=[i1, s"x"]' in ours[0]
    assert ours[1].startswith('command=s"sync"') and 'id=s"5"' in ours[2]


def test_direct_emit_task_is_read_where_storm_2_8_crashes(harness: Harness) -> None:
    data = frames(
        [
            {"command": "emit", "tuple": ["x"], "task": 3, "need_task_ids": False},
            {"command": "emit", "tuple": ["y"], "task": 2**40},
        ]
    )
    ours = harness.read(SERIALIZER_CLASS, data)
    assert "task=3 " in ours[0] and f"task={2**40} " in ours[1]
    stock = harness.read(STOCK_SERIALIZER, data)
    assert stock[0].startswith("ERROR java.lang.ClassCastException"), stock  # the bug we avoid


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"[1, 2]\nend\n", 'a message must be a JSON object with a "command"'),
        (b'{"tuple": [1]}\nend\n', 'the message has no "command"'),
        (b'{"command": "emit", "tuple": [1,}\nend\n', "unexpected character '}'"),
        (b'{"command": "emit", "tuple": "x"}\nend\n', '"tuple" must be a list'),
        (b'{"command": "emit", "tuple": [], "task": "3"}\nend\n', '"task" must be an integer'),
        (b'{"command": "emit", "tuple": [], "task": 1.5}\nend\n', '"task" must be an integer'),
        (b'{"command": "emit", "anchors": [1]}\nend\n', '"anchors" must hold tuple id strings'),
        (b'{"command": "log", "msg": 5}\nend\n', '"msg" must be a string'),
        (b'{"command": "sync"} trailing\nend\n', "unexpected data after the JSON value"),
        (b'{"command": "emit", "tuple": ["open]}\nend\n', "unterminated string"),
        (b'{"command": 1}\nend\n', '"command" must be a string'),
        (b'{"command": "x", "a": "\\q"}\nend\n', "bad escape"),
    ],
)
def test_bad_messages_name_the_problem_and_the_bytes(
    harness: Harness, data: bytes, problem: str
) -> None:
    (line,) = harness.read(SERIALIZER_CLASS, data)
    assert line.startswith("ERROR java.io.IOException: invalid multilang message from the")
    assert problem in line, line
    assert "near: " in line


def test_end_of_input_inside_a_frame_says_what_was_read(harness: Harness) -> None:
    ours = harness.read(SERIALIZER_CLASS, b'{"command":"sync"}\nend\n{"command":"em')
    assert ours[1] == (
        'EOF Pipe to subprocess seems to be broken! Currently read output: {"command":"em'
        " Serializer Exception: "
    )


def test_big_frames_and_many_small_ones(harness: Harness) -> None:
    big = "x" * 3_000_000 + "é"
    messages = [{"command": "emit", "tuple": [i, "w"]} for i in range(5000)]
    messages.insert(2500, {"command": "emit", "tuple": [big]})
    ours = harness.read(SERIALIZER_CLASS, frames(messages))
    assert len(ours) == len(messages) + 1
    assert "tuple=[i4998, " in ours[4999] and "tuple=[i0, " in ours[0]
    assert '\\u00e9"]' in ours[2500] and len(ours[2500]) > 3_000_000


def _decode_all(data: bytes) -> list[Any]:
    codec = make_codec("json-stdlib", io.BytesIO(data), io.BytesIO())
    out = []
    for _ in range(data.count(b"\nend\n")):
        out.append(codec.read_message())
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b and type(a) is type(b))


def test_writes_what_the_runtime_reads_as_storms_serializer_does(harness: Harness) -> None:
    ours = _decode_all(harness.write(SERIALIZER_CLASS))
    stock = _decode_all(harness.write(STOCK_SERIALIZER))
    assert len(ours) == len(stock) == 11
    # Where they differ on purpose, json-smart writes the infinities as null and a Character
    # as a bean ({}); ours writes Infinity/-Infinity (as Python's json does) and a string.
    for i in (8, 9, 18):
        assert (stock[3]["tuple"][i], ours[3]["tuple"][i]) in (
            (None, math.inf),
            (None, -math.inf),
            ({}, "c"),
        )
        stock[3]["tuple"][i] = ours[3]["tuple"][i]
    for mine, theirs in zip(ours, stock, strict=True):
        assert _same(mine, theirs), (mine, theirs)
    assert ours[0] == {
        "id": "-6955565822418862353",
        "comp": "word_spout",
        "stream": "default",
        "task": 7,
        "tuple": ["dog", 10],
    }
    assert ours[1]["comp"] is None and ours[1]["stream"] == "__heartbeat"
    values = ours[3]["tuple"]
    assert values[0] == 'quote" back\\ nl\n tab\t ctl\x01 del\x7f'
    assert values[1] == "café 漢字 😀"
    assert values[2:4] == [-(2**63), -(2**31)]
    assert math.isnan(values[7]) and values[8] == math.inf and values[9] == -math.inf
    assert values[10] == 3.25 and values[14] == {
        "k": [1, 2, "three", None, True],
        "é漢": {"x": 1.5},
    }
    assert values[15] == 123456789012345678901234567890
    assert ours[4] == {"command": "next", "id": ""}
    assert ours[7] == {"command": "ack", "id": ["compound", 1]}
    assert ours[8] == {"command": "activate", "id": ""}
    assert ours[9:] == [[4, 5, 6], []]


def test_the_jar_is_built_once_per_source(tmp_path: Path) -> None:
    try:
        home = resolve_home()
        first = serializer_jar(home, cache_root=tmp_path)
    except StormBridgeError as exc:
        pytest.skip(f"needs javac and a provisioned Storm: {exc}")
    mtime = first.stat().st_mtime_ns
    assert serializer_jar(home, cache_root=tmp_path) == first
    assert first.stat().st_mtime_ns == mtime
    assert json.dumps(sorted(p.name for p in (tmp_path / "multilang").iterdir())) == json.dumps(
        [first.parent.name]
    )
