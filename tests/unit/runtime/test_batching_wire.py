"""BatchingBolt and TicklessBatchingBolt over real pipes."""

from __future__ import annotations

import pytest

from stormbridge.testing.peer import PeerError

pytestmark = pytest.mark.timeout(60)


def _started(spawn, target):
    peer = spawn(target)
    peer.handshake()
    return peer


def test_batches_are_processed_on_the_second_tick_like_pystorm(spawn):
    peer = _started(spawn, "testcomps.Batcher")
    a1, a2, b1 = peer.send_tuple(["a1"]), peer.send_tuple(["a2"]), peer.send_tuple(["b1"])
    t1 = peer.send_tick()
    assert peer.read() == {"command": "ack", "id": t1}
    peer.expect_no_message()
    t2 = peer.send_tick()
    assert peer.read() == {"command": "ack", "id": t2}
    assert peer.read() == {
        "command": "emit",
        "tuple": ["a", 2],
        "anchors": [a1, a2],
        "need_task_ids": False,
    }
    assert peer.read() == {"command": "ack", "id": a1}
    assert peer.read() == {"command": "ack", "id": a2}
    assert peer.read()["tuple"] == ["b", 1]
    assert peer.read() == {"command": "ack", "id": b1}


def test_exact_tick_batches_processes_on_every_tick(spawn):
    peer = _started(spawn, "testcomps.ExactBatcher")
    a1 = peer.send_tuple(["a1"])
    t1 = peer.send_tick()
    assert peer.read() == {"command": "ack", "id": t1}
    assert peer.read()["tuple"] == ["a", 1]
    assert peer.read() == {"command": "ack", "id": a1}


def test_failed_batch_fails_every_batched_tuple_and_exits(spawn):
    peer = _started(spawn, "testcomps.ExactBatcher")
    x1, a1 = peer.send_tuple(["x1"]), peer.send_tuple(["a1"])
    tick = peer.send_tick()
    assert peer.read() == {"command": "ack", "id": tick}
    assert peer.read(skip_logs=True)["command"] == "error"
    assert peer.read() == {"command": "sync"}
    failed = set()
    while True:
        message = peer.read(skip_logs=True)
        assert message["command"] == "fail"
        failed.add(message["id"])
        if {x1, a1} <= failed:
            break
    assert peer.wait() == 1


def test_tickless_batches_by_time(spawn):
    peer = _started(spawn, "testcomps.Tickless")
    w1, w2 = peer.send_tuple(["a"]), peer.send_tuple(["b"])
    assert peer.read() == {
        "command": "emit",
        "tuple": ["a,b"],
        "anchors": [w1, w2],
        "need_task_ids": False,
    }
    assert peer.read() == {"command": "ack", "id": w1}
    assert peer.read() == {"command": "ack", "id": w2}


def test_tickless_keeps_batching_after_an_exception(spawn):
    peer = _started(spawn, "testcomps.Tickless")
    bad = peer.send_tuple(["x"])
    assert peer.read(skip_logs=True)["command"] == "error"
    assert peer.read() == {"command": "sync"}
    assert peer.read() == {"command": "fail", "id": bad}
    good = peer.send_tuple(["c"])
    assert peer.read(skip_logs=True)["tuple"] == ["c"]
    assert peer.read() == {"command": "ack", "id": good}


def test_tickless_answers_heartbeats_during_a_long_batch(spawn, tmp_path):
    release = tmp_path / "release"
    peer = spawn("testcomps.Tickless")
    peer.handshake(conf={"topology.name": "t", "test.release_file": str(release)})
    slow = peer.send_tuple(["slow"])
    peer.expect_no_message(0.5)  # the batch thread now holds the batch in process_batch
    peer.send_heartbeat()
    assert peer.read() == {"command": "sync"}  # answered while the batch is still held
    release.touch()
    assert peer.read()["tuple"] == ["slow"]
    assert peer.read() == {"command": "ack", "id": slow}


def test_tickless_exit_on_exception_ends_the_process(spawn):
    peer = _started(spawn, "testcomps.TicklessFatal")
    bad = peer.send_tuple(["x"])
    assert peer.read(skip_logs=True)["command"] == "error"
    assert peer.read() == {"command": "sync"}
    assert peer.read() == {"command": "fail", "id": bad}
    # The main thread exits at its next message after the batch thread has reported;
    # Storm sends a heartbeat every second, so keep doing that until the process ends
    # (one heartbeat alone can arrive before the batch thread has finished reporting).
    for _ in range(30):
        try:
            peer.send_heartbeat()
        except (PeerError, OSError):
            pass  # already gone: wait() below collects the exit code
        try:
            return_code = peer.wait(timeout=1.0)
        except PeerError:
            continue
        break
    else:
        pytest.fail("the component did not exit after 30 heartbeats")
    assert return_code == 1


def test_group_key_failure_fails_only_that_tuple_not_the_none_batch(spawn):
    # exit_on_exception = False: the bolt goes on; the pending batch of key None holds
    # unrelated tuples that must be processed on the next tick, not failed
    peer = _started(spawn, "testcomps.KeyFailingBatcher")
    a1, a2 = peer.send_tuple(["a1"]), peer.send_tuple(["a2"])
    bad = peer.send_tuple(["bad"])
    a3 = peer.send_tuple(["a3"])
    tick = peer.send_tick()
    seen = []
    while True:
        message = peer.read(skip_logs=True)
        seen.append(message)
        if message["command"] == "emit":
            break
    commands = [m["command"] for m in seen]
    assert commands.count("error") == 1, seen
    assert [m["id"] for m in seen if m["command"] == "fail"] == [bad], seen
    assert {"command": "ack", "id": tick} in seen
    assert seen[-1] == {
        "command": "emit",
        "tuple": [None, 3],
        "anchors": [a1, a2, a3],
        "need_task_ids": False,
    }
    assert [peer.read(), peer.read(), peer.read()] == [
        {"command": "ack", "id": a1},
        {"command": "ack", "id": a2},
        {"command": "ack", "id": a3},
    ]
