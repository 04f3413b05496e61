"""Every codec passes the same conformance suite; codec-specific behaviour below."""

from __future__ import annotations

import io
import math
from functools import partial

import pytest

from stormbridge.errors import ProtocolError
from stormbridge.runtime.protocol import JsonCodec, MsgpackCodec, make_codec
from stormbridge.runtime.protocol.json_codec import HAVE_ORJSON

from .codec_suite import CodecConformance

msgpack = pytest.importorskip("msgpack")


class JsonFrames:
    def scalar_frame(self) -> bytes:
        return b"42\nend\n"


class TestJsonStdlib(JsonFrames, CodecConformance):
    factory = partial(JsonCodec, engine="stdlib")


@pytest.mark.skipif(not HAVE_ORJSON, reason="orjson not installed")
class TestJsonOrjson(JsonFrames, CodecConformance):
    factory = partial(JsonCodec, engine="orjson")


class TestMsgpack(CodecConformance):
    factory = MsgpackCodec

    def scalar_frame(self) -> bytes:
        return msgpack.packb(42)


ENGINES = ["stdlib", "orjson"] if HAVE_ORJSON else ["stdlib"]


@pytest.mark.parametrize("engine", ENGINES)
def test_json_engines_write_the_same_meaning(engine):
    out = io.BytesIO()
    codec = JsonCodec(io.BytesIO(), out, engine=engine)
    codec.send({"command": "emit", "tuple": ["ü", 1, 1.5, None, True, {"1": 2}], "id": "x"})
    codec.send({"command": "emit", "tuple": [float("nan"), float("inf")]})
    codec.flush()
    assert (
        out.getvalue()
        == (
            '{"command":"emit","tuple":["ü",1,1.5,null,true,{"1":2}],"id":"x"}\nend\n'
            '{"command":"emit","tuple":[NaN,Infinity]}\nend\n'
        ).encode()
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_json_reads_what_storm_writes(engine):
    # json-smart writes NaN bare, non-ASCII raw, and may send huge integers.
    data = b'{"tuple":[NaN,"\xc3\xbc",123456789012345678901234567890]}\nend\n\n{"a":1}\nend\n'
    codec = JsonCodec(io.BytesIO(data), io.BytesIO(), engine=engine)
    message = codec.read_message()
    assert math.isnan(message["tuple"][0])
    assert message["tuple"][1:] == ["ü", 123456789012345678901234567890]
    assert codec.read_message() == {"a": 1}


def test_json_invalid_utf8_names_the_bytes():
    codec = JsonCodec(io.BytesIO(b'{"a":"\xff"}\nend\n'), io.BytesIO())
    with pytest.raises(ProtocolError, match=r"not valid UTF-8.*\\xff"):
        codec.read_message()


def test_make_codec_names_and_unknown():
    assert make_codec("json", io.BytesIO(), io.BytesIO()).name == "json"
    assert make_codec("msgpack", io.BytesIO(), io.BytesIO()).name == "msgpack"
    with pytest.raises(ProtocolError, match="unknown serializer 'yaml'"):
        make_codec("yaml", io.BytesIO(), io.BytesIO())


def test_msgpack_bytes_are_bin():
    out = io.BytesIO()
    codec = MsgpackCodec(io.BytesIO(), out)
    codec.send({"tuple": [b"\x00\x01"]})
    codec.flush()
    assert msgpack.unpackb(out.getvalue()) == {"tuple": [b"\x00\x01"]}
