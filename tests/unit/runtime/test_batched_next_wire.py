"""The batched transport's ``next`` over real pipes: ``"max": k`` lets a spout emit up to k
tuples before its one ``sync``, only when the handshake's conf offered the transport."""

from __future__ import annotations

import pytest

from stormbridge.runtime.component import BATCHED_TRANSPORT, TRANSPORT_CONF_KEY

pytestmark = pytest.mark.timeout(60)

BATCHED_CONF = {"topology.name": "t", TRANSPORT_CONF_KEY: BATCHED_TRANSPORT}


def _next(peer, max_emits=None):
    message = {"command": "next", "id": ""}
    if max_emits is not None:
        message["max"] = max_emits
    peer.send(message)
    return peer.read_until_sync()


def _emit(n, word=None):
    return {"command": "emit", "tuple": [word or n], "id": n, "need_task_ids": False}


def test_next_with_max_emits_up_to_max_then_one_sync(spawn):
    peer = spawn("testcomps.WordSpout")
    peer.handshake(BATCHED_CONF)
    assert _next(peer, 2) == [_emit(1, "w1"), _emit(2, "w2")]
    # both emits and the sync left in one burst, in order
    assert peer.raw.endswith(
        b'{"command":"emit","tuple":["w2"],"id":2,"need_task_ids":false}\nend\n'
        b'{"command":"sync"}\nend\n'
    )


def test_max_is_ignored_without_the_handshake_offer(spawn):
    peer = spawn("testcomps.LimitedSpout")
    peer.handshake({"topology.name": "t"})
    assert _next(peer, 5) == [_emit(1)]
    assert _next(peer, 5) == [_emit(2)]


def test_plain_next_is_one_call_on_the_batched_transport(spawn):
    peer = spawn("testcomps.LimitedSpout")
    peer.handshake(BATCHED_CONF)
    assert _next(peer) == [_emit(1)]


def test_batch_ends_when_next_tuple_emits_nothing(spawn):
    peer = spawn("testcomps.LimitedSpout")
    peer.handshake(BATCHED_CONF)
    assert _next(peer, 10) == [_emit(1), _emit(2), _emit(3)]
    assert _next(peer, 10) == []
    # acks between nexts are answered one sync each, as on the plain protocol
    assert peer.spout_command("ack", 1) == []


def test_exception_mid_batch_keeps_earlier_emits_then_error_and_sync(spawn):
    peer = spawn("testcomps.WordSpout")  # raises on its third next_tuple call
    peer.handshake(BATCHED_CONF)
    messages = _next(peer, 5)
    assert messages[:2] == [_emit(1, "w1"), _emit(2, "w2")]
    errors = [m for m in messages[2:] if m["command"] != "log"]  # the traceback is logged too
    assert [m["command"] for m in errors] == ["error"]
    assert "spout broke" in errors[0]["msg"]
    assert peer.wait() == 1
