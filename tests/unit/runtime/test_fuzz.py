"""Fuzz the readers: any input ends in a message, a ProtocolError or StormWentAwayError."""

from __future__ import annotations

import io
from functools import partial

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stormbridge.errors import ProtocolError
from stormbridge.runtime.protocol import JsonCodec, MsgpackCodec
from stormbridge.runtime.protocol.json_codec import HAVE_ORJSON

pytest.importorskip("msgpack")

FACTORIES = [partial(JsonCodec, engine="stdlib"), MsgpackCodec]
if HAVE_ORJSON:
    FACTORIES.append(partial(JsonCodec, engine="orjson"))

FUZZ = settings(
    max_examples=300,
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)
fragments = st.sampled_from(
    [
        b"\nend\n",
        b"end\n",
        b"\n",
        b"{",
        b"}",
        b"[",
        b"]",
        b'"',
        b"\\",
        b"NaN",
        b"\xff",
        b"\xc1",
        b"\x00",
    ]
)
noise = st.lists(st.binary(max_size=30) | fragments, max_size=20).map(b"".join)


def _read_all(factory, data: bytes, max_frame_size: int = 4096) -> int:
    codec = factory(io.BytesIO(data), io.BytesIO(), max_frame_size=max_frame_size)
    for count in range(len(data) + 2):  # each message consumes at least one byte
        try:
            message = codec.read_message()
        except ProtocolError:  # includes StormWentAwayError
            return count
        assert type(message) in (dict, list)
    raise AssertionError("the reader neither finished nor failed: it loops")


@pytest.mark.parametrize(
    "factory", FACTORIES, ids=lambda f: getattr(f, "keywords", {}).get("engine", "msgpack")
)
@FUZZ
@given(data=noise)
def test_random_bytes_never_hang_or_escape(factory, data):
    _read_all(factory, data)


@pytest.mark.parametrize("engine", ["stdlib", "orjson"] if HAVE_ORJSON else ["stdlib"])
@FUZZ
@given(value=json_values, cut=st.integers(min_value=0, max_value=200), junk=noise)
def test_mutated_json_frames(engine, value, cut, junk):
    import json

    frame = json.dumps({"v": value}).encode() + b"\nend\n"
    data = frame[:cut] + junk + frame
    _read_all(partial(JsonCodec, engine=engine), data)
