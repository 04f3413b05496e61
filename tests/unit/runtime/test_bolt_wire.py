"""Bolts over real pipes: the exact messages Storm reads, for every message type and flag."""

from __future__ import annotations

import os
import signal

import pytest

from stormbridge.testing import PeerError, make_context

pytestmark = pytest.mark.timeout(60)


def _started(spawn, target="testcomps.EchoBolt", conf=None, **kwargs):
    peer = spawn(target, **kwargs)
    peer.handshake(conf=conf)
    return peer


def test_handshake_writes_pid_file_and_replies_pid(spawn):
    peer = spawn("testcomps.EchoBolt")
    pid = peer.handshake()
    assert pid == peer.process.pid
    assert os.listdir(peer.pid_dir) == [str(pid)]
    assert peer.raw.startswith(b'{"pid":%d}\nend\n' % pid)


def test_emit_is_anchored_to_the_tuple_then_acked(spawn):
    peer = _started(spawn)
    tup_id = peer.send_tuple(["dog"])
    assert peer.read() == {
        "command": "emit",
        "tuple": ["dog"],
        "anchors": [tup_id],
        "need_task_ids": False,
    }
    assert peer.read() == {"command": "ack", "id": tup_id}
    assert peer.close() == 2  # Storm went away


def test_emit_bytes_are_framed_for_storm(spawn):
    peer = _started(spawn)
    peer.send_tuple(["héllo"], id="7")
    peer.read(), peer.read()
    assert peer.raw.endswith(
        '{"command":"emit","tuple":["héllo"],"anchors":["7"],"need_task_ids":false}\nend\n'
        '{"command":"ack","id":"7"}\nend\n'.encode()
    )


def test_heartbeat_is_answered_with_sync_only(spawn):
    peer = _started(spawn)
    peer.send_heartbeat()
    assert peer.read() == {"command": "sync"}
    peer.expect_no_message()


def test_tick_goes_to_process_tick_and_is_acked(spawn):
    peer = _started(spawn)
    tick_id = peer.send_tick()
    assert peer.read() == {
        "command": "emit",
        "tuple": ["tick", 60],
        "anchors": [tick_id],
        "need_task_ids": False,
    }
    assert peer.read() == {"command": "ack", "id": tick_id}


def test_stream_and_explicit_anchors(spawn):
    peer = _started(spawn)
    peer.send_tuple(["stream"], id="s1")
    assert peer.read()["stream"] == "other"
    assert peer.read() == {"command": "ack", "id": "s1"}
    peer.send_tuple(["anchors"], id="a1")
    assert peer.read()["anchors"] == ["a1", "abc"]


def test_auto_ack_and_auto_anchor_off(spawn):
    peer = _started(spawn, "testcomps.QuietBolt")
    peer.send_tuple(["dog"], id="q1")
    assert peer.read() == {
        "command": "emit",
        "tuple": ["dog"],
        "anchors": [],
        "need_task_ids": False,
    }
    peer.send_tuple(["failme"], id="q2")
    assert peer.read() == {"command": "fail", "id": "q2"}
    peer.expect_no_message()


def test_values_are_a_namedtuple_per_source_and_stream(spawn):
    peer = _started(spawn)
    peer.send_tuple(["fields"], comp="spout", stream="default")
    assert peer.read()["tuple"] == ["SpoutDefaultTuple", "fields"]


def test_need_task_ids_waits_for_the_list_and_keeps_tuples_that_arrive_first(spawn):
    peer = _started(spawn)
    first = peer.send_tuple(["taskids"])
    emit = peer.read()
    assert emit == {"command": "emit", "tuple": ["taskids"], "anchors": [first]}
    second = peer.send_tuple(["dog"])  # a tuple before the task ids: must be kept, not lost
    peer.send_task_ids([4, 5])
    assert peer.read() == {
        "command": "emit",
        "tuple": ["got", [4, 5]],
        "anchors": [first],
        "need_task_ids": False,
    }
    assert peer.read() == {"command": "ack", "id": first}
    assert peer.read()["tuple"] == ["dog"]
    assert peer.read() == {"command": "ack", "id": second}


def test_exception_reports_error_fails_tuple_and_exits_1(spawn):
    peer = _started(spawn)
    tup_id = peer.send_tuple(["boom"])
    error = peer.read(skip_logs=True)
    assert error["command"] == "error"
    first, second = error["msg"].split("\n")[:2]
    assert first.startswith("Python ValueError: ")
    assert second.startswith("raised while processing Tuple Tuple(")
    assert "boom requested" in error["msg"]
    assert peer.read() == {"command": "sync"}
    assert peer.read() == {"command": "fail", "id": tup_id}
    assert peer.wait() == 1
    assert any("Exception in EchoBolt.run()" in log["msg"] for log in peer.logs)


def test_exception_with_exit_on_exception_false_keeps_running(spawn):
    peer = _started(spawn, "testcomps.ForgivingBolt")
    peer.send_tuple(["boom"], id="b1")
    assert peer.read(skip_logs=True)["command"] == "error"
    assert peer.read() == {"command": "sync"}
    assert peer.read() == {"command": "fail", "id": "b1"}
    peer.send_tuple(["dog"], id="b2")
    assert peer.read()["tuple"] == ["dog"]
    assert peer.read() == {"command": "ack", "id": "b2"}


@pytest.mark.parametrize(
    ("word", "needle"),
    [
        ("big", "outside the signed 64-bit range"),
        ("unencodable", "cannot encode"),
        ("direct", "direct_task=3"),
    ],
)
def test_unsendable_emit_raises_in_user_code_and_fails_the_tuple(spawn, word, needle):
    peer = _started(spawn, "testcomps.ForgivingBolt")
    tup_id = peer.send_tuple([word])
    error = peer.read(skip_logs=True)
    assert error["command"] == "error" and needle in error["msg"]
    assert peer.read() == {"command": "sync"}
    assert peer.read() == {"command": "fail", "id": tup_id}
    assert b'"command":"emit"' not in peer.raw  # nothing half-sent


def test_log_levels_and_logger_filtering(spawn):
    peer = _started(spawn)
    tup_id = peer.send_tuple(["log"])
    assert peer.read() == {"command": "log", "msg": "via log", "level": 3}
    record = peer.read()
    assert record["command"] == "log" and record["level"] == 2
    assert record["msg"].endswith(" - pystorm.component.component - via logger")
    assert peer.read() == {"command": "ack", "id": tup_id}


def test_debug_level_from_conf(spawn):
    peer = _started(spawn, conf={"topology.name": "t", "pystorm.log.level": "debug"})
    peer.send_tuple(["log"])
    messages = [peer.read() for _ in range(4)]
    assert [m.get("level") for m in messages[:3]] == [3, 2, 1]
    assert messages[2]["msg"].endswith("debug line")


def test_print_never_reaches_the_protocol(spawn):
    peer = _started(spawn)
    tup_id = peer.send_tuple(["print"])
    record = peer.read()
    assert record["command"] == "log" and record["msg"].endswith("hello from print")
    assert peer.read() == {"command": "ack", "id": tup_id}
    assert b"raw fd write" not in peer.raw
    peer.close()
    assert "raw fd write" in peer.stderr


def test_report_metric_sends_no_metrics_and_warns_once(spawn):
    peer = _started(spawn)
    tup_id = peer.send_tuple(["metric"])
    warning = peer.read()
    assert (
        warning["command"] == "log" and warning["level"] == 3 and "report_metric" in warning["msg"]
    )
    assert peer.read() == {"command": "ack", "id": tup_id}
    assert b'"metrics"' not in peer.raw


def test_initialize_error_is_reported_to_storm_before_exit(spawn):
    peer = _started(spawn, "testcomps.BadInitBolt")
    messages = []
    while True:
        try:
            messages.append(peer.read())
        except PeerError:
            break
    errors = [m for m in messages if m["command"] == "error"]
    assert len(errors) == 1 and "cannot connect to the database" in errors[0]["msg"]
    assert peer.wait() == 1


@pytest.mark.timeout(120)
def test_sigterm_ends_a_busy_component(spawn):
    peer = _started(spawn, "testcomps.SleepyBolt")
    peer.send_tuple(["x"])
    peer.send_heartbeat()
    peer.process.send_signal(signal.SIGTERM)
    # A generous deadline for a loaded machine; the bolt would sleep for 600 s without it.
    assert peer.wait(timeout=20) == 128 + signal.SIGTERM


def test_storm_going_away_exits_2(spawn):
    peer = _started(spawn)
    peer.close_input()
    assert peer.wait() == 2


def test_pid_dir_not_writable_is_reported(spawn, tmp_path):
    peer = spawn("testcomps.EchoBolt")
    peer.pid_dir = str(tmp_path / "missing")
    peer.send({"pidDir": peer.pid_dir, "conf": {}, "context": make_context()})
    assert "pid" in peer.read()
    error = peer.read()
    assert error["command"] == "error" and "pidDir" in error["msg"]
    assert peer.wait() == 1


def test_msgpack_bolt(spawn):
    peer = spawn("testcomps.EchoBolt", serializer="msgpack")
    peer.handshake()
    tup_id = peer.send_tuple(["dog"])
    assert peer.read() == {
        "command": "emit",
        "tuple": ["dog"],
        "anchors": [tup_id],
        "need_task_ids": False,
    }
    assert peer.read() == {"command": "ack", "id": tup_id}
    assert peer.close() == 2


@pytest.mark.parametrize(
    ("serializer", "sent"),
    [
        ("stormbridge.multilang.FastJsonSerializer", True),
        ("org.apache.storm.multilang.JsonSerializer", False),
        ("com.example.MsgpackSerializer", False),
        (None, False),
    ],
)
def test_direct_emit_goes_out_only_with_our_serializer(spawn, serializer, sent):
    conf = {"topology.name": "t"}
    if serializer:
        conf["topology.multilang.serializer"] = serializer
    peer = _started(spawn, "testcomps.ForgivingBolt", conf=conf)
    tup_id = peer.send_tuple(["direct"])
    first = peer.read(skip_logs=True)
    if sent:
        assert first == {
            "command": "emit",
            "tuple": ["direct"],
            "anchors": [tup_id],
            "task": 3,
            "need_task_ids": False,
        }
        assert peer.read() == {"command": "ack", "id": tup_id}
    else:
        assert first["command"] == "error" and "emit(direct_task=3) refused" in first["msg"]
        assert f"this topology's serializer is {serializer or 'Storm'}" in first["msg"]
        assert "stormbridge.multilang.FastJsonSerializer" in first["msg"]
        assert peer.read() == {"command": "sync"}
        assert peer.read() == {"command": "fail", "id": tup_id}


OWN = "stormbridge.multilang.FastJsonSerializer"


def test_report_metric_sends_declared_metrics_with_our_serializer(spawn):
    conf = {"topology.multilang.serializer": OWN, "stormbridge.metrics": {"m": "count"}}
    peer = _started(spawn, conf=conf)
    tup_id = peer.send_tuple(["metric"])
    assert peer.read() == {"command": "metrics", "name": "m", "params": 1}
    assert peer.read() == {"command": "metrics", "name": "m", "params": 2}
    assert peer.read() == {"command": "ack", "id": tup_id}


@pytest.mark.parametrize(
    ("conf", "why"),
    [
        ({"topology.multilang.serializer": OWN}, "it is not declared in the component's conf"),
        ({"stormbridge.metrics": {"m": "count"}}, "does not use stormbridge's serializer"),
    ],
)
def test_undeclared_metric_or_storms_serializer_sends_nothing(spawn, conf, why):
    peer = _started(spawn, conf=conf)
    tup_id = peer.send_tuple(["metric"])
    warning = peer.read()
    assert warning["command"] == "log" and warning["level"] == 3 and why in warning["msg"]
    assert peer.read() == {"command": "ack", "id": tup_id}
    assert b'"metrics"' not in peer.raw
