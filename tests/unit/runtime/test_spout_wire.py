"""Spouts over real pipes: every command answered by exactly one ``sync``."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(60)


def _started(spawn, target="testcomps.WordSpout", **kwargs):
    peer = spawn(target, **kwargs)
    peer.handshake()
    return peer


def test_next_emits_with_message_id_then_syncs(spawn):
    peer = _started(spawn)
    assert peer.spout_command("next") == [
        {"command": "emit", "tuple": ["w1"], "id": 1, "need_task_ids": False}
    ]
    assert peer.raw.endswith(
        b'{"command":"emit","tuple":["w1"],"id":1,"need_task_ids":false}\nend\n'
        b'{"command":"sync"}\nend\n'
    )


@pytest.mark.parametrize(
    ("command", "msg_id", "logged"),
    [
        ("ack", 5, "acked 5"),
        ("fail", "x", "failed 'x'"),
        ("activate", "", "activated"),
        ("deactivate", "", "deactivated"),
    ],
)
def test_ack_fail_activate_deactivate_call_hooks_and_sync(spawn, command, msg_id, logged):
    peer = _started(spawn)
    assert peer.spout_command(command, msg_id) == [{"command": "log", "msg": logged, "level": 2}]


def test_exception_in_next_tuple_reports_error_syncs_and_exits_1(spawn):
    peer = _started(spawn)
    peer.spout_command("next")
    peer.spout_command("next")
    messages = peer.spout_command("next")
    errors = [m for m in messages if m["command"] == "error"]
    assert len(errors) == 1 and "spout broke" in errors[0]["msg"]
    assert peer.wait() == 1


def test_need_task_ids_reads_storms_reply(spawn):
    peer = _started(spawn, "testcomps.TaskIdSpout")
    messages = peer.spout_command("next", task_ids=[3, 4])
    assert messages == [
        {"command": "emit", "tuple": ["x"]},
        {"command": "emit", "tuple": ["ids", [3, 4]], "stream": "ids", "need_task_ids": False},
    ]


def test_reliable_spout_replays_failed_tuples_up_to_max_fails(spawn):
    peer = _started(spawn, "testcomps.RetrySpout")
    emit = {"command": "emit", "tuple": ["once"], "id": "t1", "need_task_ids": False}
    assert peer.spout_command("next") == [emit]
    assert peer.spout_command("fail", "t1") == [emit]
    assert peer.spout_command("fail", "t1") == [emit]
    third = peer.spout_command("fail", "t1")  # max_fails = 2: acked instead
    assert [m["command"] for m in third] == ["log"]
    assert "exceeded retry limit" in third[0]["msg"]
    assert peer.spout_command("ack", "t1")[0]["msg"].endswith(
        "Received ack for unknown tuple ID: 't1'"
    )


def test_msgpack_spout_round_trip(spawn):
    peer = _started(spawn, serializer="msgpack")
    assert peer.spout_command("next") == [
        {"command": "emit", "tuple": ["w1"], "id": 1, "need_task_ids": False}
    ]
    assert peer.close() == 2
