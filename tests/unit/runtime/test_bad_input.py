"""Malformed input from Storm: exit non-zero, quickly, naming what was received."""

from __future__ import annotations

import contextlib

import pytest

from stormbridge.testing import PeerError

pytestmark = pytest.mark.timeout(60)

BOLT_CASES = [
    ("not json", b"this is not json\nend\n", "not valid JSON"),
    ("wrong type", b"42\nend\n", "got int"),
    ("object without fields", b'{"hello": 1}\nend\n', "expected a tuple"),
    (
        "tuple not a list",
        b'{"id":"1","comp":"s","stream":"default","task":1,"tuple":5}\nend\n',
        "not a list",
    ),
    ("unsolicited task ids", b"[1, 2]\nend\n", "no emit was waiting"),
    ("invalid utf-8", b'{"id":"\xff\xfe"}\nend\n', "not valid UTF-8"),
    ("eof mid-frame", b'{"id":"1","comp":"s"', "middle of a message"),
]


@pytest.mark.parametrize(("name", "data", "needle"), BOLT_CASES, ids=[c[0] for c in BOLT_CASES])
def test_bolt_rejects_bad_frames(spawn, name, data, needle):
    peer = spawn("testcomps.EchoBolt")
    peer.handshake()
    peer.send_raw(data)
    if name == "eof mid-frame":
        peer.close_input()
    code = peer.wait(timeout=10)
    assert code == 1
    assert needle in peer.stderr
    errors = [m for m in _drain(peer) if m.get("command") == "error"]
    assert errors and needle in errors[0]["msg"]


def test_huge_message_is_refused_without_waiting_for_its_end(spawn):
    peer = spawn("testcomps.EchoBolt", extra_args=("--max-frame-size", "100000"))
    peer.handshake()
    with contextlib.suppress(PeerError):  # the component may stop reading first
        peer.send_raw(b'{"id":"1","tuple":["' + b"a" * 300_000)  # no end: must not wait for it
    assert peer.wait(timeout=10) == 1
    assert "larger than the 100000-byte limit" in peer.stderr


def test_spout_rejects_unknown_command(spawn):
    peer = spawn("testcomps.WordSpout")
    peer.handshake()
    peer.send({"command": "dance", "id": ""})
    assert peer.wait(timeout=10) == 1
    assert "unknown spout command 'dance'" in peer.stderr


def test_bad_handshake_is_reported(spawn):
    peer = spawn("testcomps.EchoBolt")
    peer.send({"conf": {}})
    assert "pid" in peer.read()
    error = peer.read(skip_logs=True)
    assert error["command"] == "error" and "lacks pidDir, context" in error["msg"]
    assert peer.wait(timeout=10) == 1


def test_msgpack_garbage_is_rejected(spawn):
    peer = spawn("testcomps.EchoBolt", serializer="msgpack")
    peer.handshake()
    peer.send_raw(b"\xc1")  # never used in msgpack
    assert peer.wait(timeout=10) == 1
    assert "not valid msgpack" in peer.stderr


def _drain(peer):
    messages = []
    while True:
        try:
            messages.append(peer.read(timeout=2))
        except AssertionError:
            return messages
