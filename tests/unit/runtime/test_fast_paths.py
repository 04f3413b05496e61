"""The hot paths (strict encoder, inlined writes, pre-built acks, raw fd I/O) keep every rule."""

from __future__ import annotations

import datetime
import io
import json
import math
import os
import threading
from collections import namedtuple
from typing import Any

import pytest

from stormbridge import Bolt, Spout
from stormbridge.errors import IntegerRangeError, SerializationError, StormWentAwayError
from stormbridge.testing import StormPeer

pytestmark = pytest.mark.timeout(60)

Point = namedtuple("Point", "x y")


def _bolt() -> tuple[Bolt, io.BytesIO]:
    out = io.BytesIO()
    return Bolt(io.BytesIO(b""), out), out


def _spout() -> tuple[Spout, io.BytesIO]:
    out = io.BytesIO()
    return Spout(io.BytesIO(b""), out), out


def _frames(component: Any, out: io.BytesIO) -> list[bytes]:
    component.flush()
    data = out.getvalue()
    assert data.endswith(b"\nend\n")
    return data[: -len(b"\nend\n")].split(b"\nend\n")


@pytest.mark.parametrize("value", [2**63, 2**64 - 1, -(2**63) - 1, 2**64, 10**30, -(10**30)])
def test_ints_outside_int64_are_refused_by_both_emits(value):
    bolt, bolt_out = _bolt()
    with pytest.raises(IntegerRangeError, match="64-bit"):
        bolt.emit(["a", [value]])
    spout, spout_out = _spout()
    with pytest.raises(IntegerRangeError, match="64-bit"):
        spout.emit([value], tup_id="t1")
    with pytest.raises(IntegerRangeError, match="64-bit"):
        spout.emit(["x"], tup_id=value)
    bolt.flush()
    spout.flush()
    assert bolt_out.getvalue() == spout_out.getvalue() == b""


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([2**63 - 1, -(2**63)], b"[9223372036854775807,-9223372036854775808]"),
        ([2**53 + 1], b"[9007199254740993]"),
        ([None, "n\u00e9"], '[null,"n\u00e9"]'.encode()),
        ([math.nan, math.inf, -math.inf], b"[NaN,Infinity,-Infinity]"),
        ([{1: "a", None: 2}], b'[{"1":"a","null":2}]'),
        ([Point(1, 2), (3, [4])], b"[[1,2],[3,[4]]]"),
        ((True, 0.5), b"[true,0.5]"),
    ],
)
def test_bolt_emit_bytes_match_the_careful_encoder(values, expected):
    bolt, out = _bolt()
    bolt.emit(values, anchors=["a1"])
    bolt.emit(values, stream="s", anchors=[])
    assert _frames(bolt, out) == [
        b'{"command":"emit","tuple":' + expected + b',"anchors":["a1"],"need_task_ids":false}',
        b'{"command":"emit","tuple":'
        + expected
        + b',"anchors":[],"stream":"s","need_task_ids":false}',
    ]


def test_spout_emit_bytes_match_the_careful_encoder():
    spout, out = _spout()
    spout.emit([None, math.nan], tup_id={2: 2**62})
    spout.emit(["w"], stream="s")
    assert _frames(spout, out) == [
        b'{"command":"emit","tuple":[null,NaN],"id":{"2":4611686018427387904},'
        b'"need_task_ids":false}',
        b'{"command":"emit","tuple":["w"],"stream":"s","need_task_ids":false}',
    ]


@pytest.mark.parametrize("value", [datetime.datetime(2024, 1, 1), object(), b"bytes"])
def test_values_json_cannot_carry_are_refused(value):
    bolt, out = _bolt()
    with pytest.raises(SerializationError):
        bolt.emit([value])
    spout, _ = _spout()
    with pytest.raises(SerializationError):
        spout.emit([value])
    bolt.flush()
    assert out.getvalue() == b""


class Upper(Bolt):
    def process(self, tup):
        self.emit([tup.values[0].upper()])


@pytest.mark.parametrize(
    "tup_id", ["-4611686018427387904", 'a "quoted"\n\\ id', "\u00e9\U0001f600"]
)
def test_auto_ack_fast_path_writes_the_same_json(tup_id):
    with StormPeer.in_thread(Upper) as storm:
        storm.handshake()
        sent = storm.send_tuple(["word"], id=tup_id)
        assert storm.read(skip_logs=True)["tuple"] == ["WORD"]
        assert storm.read(skip_logs=True) == {"command": "ack", "id": sent}
        storm.close_input()
        assert storm.wait() == 2


SIDE_EMITS = 400
LATE_EMITS = 10
#: Set by the test once the main loop has answered everything and can only be blocked
#: reading: the side thread's emits after it can reach Storm only if it flushes them.
LATE = threading.Event()


class SideThreadBolt(Bolt):
    """Emits from a user thread while the main loop emits and acks."""

    def initialize(self, conf, ctx):
        self.go = threading.Event()
        self.side = threading.Thread(target=self._side, daemon=True)
        self.side.start()

    def _side(self) -> None:
        self.go.wait(20)
        for i in range(SIDE_EMITS):
            self.emit(["side", i, "y" * (i % 97)], stream="side", anchors=[])
        LATE.wait(20)
        for i in range(SIDE_EMITS, SIDE_EMITS + LATE_EMITS):
            self.emit(["side", i, "late"], stream="side", anchors=[])

    def process(self, tup):
        if tup.values[0] == 0:
            self.go.set()
        self.emit([tup.values[0], "x" * 40])


def test_emits_from_a_second_thread_interleave_as_whole_frames():
    count = 400
    LATE.clear()
    with StormPeer.in_thread(SideThreadBolt, timeout=20) as storm:
        storm.handshake()
        ids = [storm.send_tuple([i]) for i in range(count)]
        side: list[int] = []
        main: list[Any] = []
        acks: list[str] = []

        def take(msg: Any) -> None:
            if msg["command"] == "ack":
                acks.append(msg["id"])
            elif msg.get("stream") == "side":
                assert msg["tuple"][0] == "side" and msg["anchors"] == []
                side.append(msg["tuple"][1])
            else:
                assert msg["command"] == "emit"
                main.append(msg)

        while len(side) < SIDE_EMITS or len(acks) < count:
            take(storm.read(skip_logs=True))
        LATE.set()
        while len(side) < SIDE_EMITS + LATE_EMITS:
            take(storm.read(skip_logs=True))
        assert side == list(range(SIDE_EMITS + LATE_EMITS))
        assert acks == ids
        assert [m["tuple"][0] for m in main] == list(range(count))
        assert [m["anchors"] for m in main] == [[i] for i in ids]
        storm.close_input()
        assert storm.wait() == 2


class BigEmitter(Spout):
    def next_tuple(self):
        self.emit(["z" * 300_000])


def test_a_write_bigger_than_the_pipe_buffer_arrives_whole():
    with StormPeer.in_thread(BigEmitter) as storm:
        storm.handshake()
        for _ in range(3):
            (emitted,) = storm.spout_command()
            assert emitted["tuple"] == ["z" * 300_000]


def test_reading_from_a_raw_descriptor_splits_frames_across_reads(tmp_path):
    read_fd, write_fd = os.pipe()
    out = io.BytesIO()
    spout = Spout(read_fd, out)
    spout.next_tuple = lambda: spout.emit(["n"])  # type: ignore[method-assign]
    handshake = {"pidDir": str(tmp_path), "conf": {}, "context": {"taskid": 1}}
    data = (json.dumps(handshake) + "\nend\n" + '{"command":"next"}\nend\n' * 3).encode()

    def feed() -> None:
        for i in range(len(data)):  # one byte per write: every frame end straddles reads
            os.write(write_fd, data[i : i + 1])
        os.close(write_fd)

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        assert spout.run_to_exit_code() == 2
    finally:
        feeder.join(10)
        os.close(read_fd)
    frames = out.getvalue().split(b"\nend\n")
    assert (
        frames[1:7]
        == [
            b'{"command":"emit","tuple":["n"],"need_task_ids":false}',
            b'{"command":"sync"}',
        ]
        * 3
    )


def _codec_over(data: bytes, **kwargs: Any) -> Any:
    from stormbridge.runtime.protocol import make_codec

    read_fd, write_fd = os.pipe()
    os.write(write_fd, data)
    os.close(write_fd)
    codec = make_codec("json", read_fd, io.BytesIO(), **kwargs)
    return codec, read_fd


def test_frames_before_a_too_big_one_in_the_same_read_are_still_delivered():
    from stormbridge.errors import ProtocolError

    small = b'{"command":"next"}\nend\n'
    big = b'{"command":"next","pad":"' + b"p" * 200 + b'"}\nend\n'
    codec, read_fd = _codec_over(small * 3 + big + small, max_frame_size=100)
    try:
        assert [codec.read_message() for _ in range(3)] == [{"command": "next"}] * 3
        with pytest.raises(ProtocolError, match="larger than the 100-byte limit"):
            codec.read_message()
    finally:
        os.close(read_fd)


def test_many_frames_in_one_read_come_out_one_by_one_in_order():
    data = b"".join(b'{"n":%d}\nend\n' % i for i in range(2000)) + b"[1,2]\nend\n"
    codec, read_fd = _codec_over(data)
    try:
        assert [codec.read_message() for _ in range(2001)] == [{"n": i} for i in range(2000)] + [
            [1, 2]
        ]
        with pytest.raises(StormWentAwayError):
            codec.read_message()
    finally:
        os.close(read_fd)


class Echo(Bolt):
    def process(self, tup):
        self.emit([tup.values[0]])


def _bolt_run(tmp_path: Any, frames: list[bytes]) -> tuple[int, list[Any]]:
    handshake = {"pidDir": str(tmp_path), "conf": {}, "context": {"taskid": 1}}
    data = json.dumps(handshake).encode() + b"\nend\n" + b"".join(f + b"\nend\n" for f in frames)
    out = io.BytesIO()
    code = Echo(io.BytesIO(data), out).run_to_exit_code()
    sent = out.getvalue().split(b"\nend\n")[1:-1]  # after the pid reply
    return code, [json.loads(frame) for frame in sent]


def _tuple_frame(tup_id: str, values: str) -> bytes:
    return b'{"id":"%s","comp":"c","stream":"default","task":3,"tuple":%s}' % (
        tup_id.encode(),
        values.encode(),
    )


def test_frames_orjson_refuses_are_still_read_by_the_codec_in_the_bolt_loop(tmp_path):
    code, sent = _bolt_run(
        tmp_path,
        [_tuple_frame("1", "[1]"), _tuple_frame("2", "[NaN]"), _tuple_frame("3", "[3]")],
    )
    assert code == 2
    assert [m["command"] for m in sent] == ["emit", "ack"] * 3
    assert [m["id"] for m in sent if m["command"] == "ack"] == ["1", "2", "3"]
    assert math.isnan(sent[2]["tuple"][0])


@pytest.mark.parametrize(
    ("bad", "needle"),
    [(b'"a string"', "expected a JSON object"), (b'{"id": nope', "not valid JSON")],
)
def test_a_bad_frame_among_good_ones_is_reported_by_the_codec(tmp_path, bad, needle):
    code, sent = _bolt_run(tmp_path, [_tuple_frame("1", "[1]"), bad, _tuple_frame("3", "[3]")])
    assert code == 1
    assert [m["command"] for m in sent[:2]] == ["emit", "ack"]
    errors = [m["msg"] for m in sent if m["command"] == "error"]
    assert errors and needle in errors[0]
    assert not [m for m in sent if m.get("id") == "3"]


class TypeNamer(Bolt):
    def process(self, tup):
        fields = getattr(tup.values, "_fields", None)
        self.emit([type(tup.values).__name__, None if fields is None else list(fields)])


def test_values_types_follow_each_tuples_source_and_stream(tmp_path):
    context = {
        "taskid": 1,
        "source->stream->fields": {
            "a": {"default": ["x"], "s2": ["y", "z"]},
            "b": {"default": ["w"]},
        },
    }
    handshake = {"pidDir": str(tmp_path), "conf": {}, "context": context}
    order = [("a", "default", "[1]"), ("a", "default", "[2]"), ("b", "default", "[3]"),
             ("a", "s2", "[4,5]"), ("a", "s2", "[6]"), ("a", "default", "[7]")]  # fmt: skip
    frames = [
        b'{"id":"%d","comp":"%s","stream":"%s","task":3,"tuple":%s}'
        % (i, comp.encode(), stream.encode(), values.encode())
        for i, (comp, stream, values) in enumerate(order)
    ]
    data = json.dumps(handshake).encode() + b"\nend\n" + b"".join(f + b"\nend\n" for f in frames)
    out = io.BytesIO()
    assert TypeNamer(io.BytesIO(data), out).run_to_exit_code() == 2
    sent = [json.loads(f) for f in out.getvalue().split(b"\nend\n")[1:-1]]
    assert [m["tuple"] for m in sent if m["command"] == "emit"] == [
        ["ADefaultTuple", ["x"]],
        ["ADefaultTuple", ["x"]],
        ["BDefaultTuple", ["w"]],
        ["AS2Tuple", ["y", "z"]],
        ["tuple", None],  # wrong field count: a plain tuple
        ["ADefaultTuple", ["x"]],
    ]
