"""The reliable example spout (examples/reliable) over real pipes: failed ids are replayed,
acked ids are durable, and a new process after a kill emits exactly the ids not acked."""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from stormbridge.testing import StormPeer
from stormbridge.testing.peer import make_context

pytestmark = pytest.mark.timeout(60)

SRC = Path(__file__).resolve().parents[3] / "examples" / "reliable" / "src"


def start(tmp_path: Path, ids: int) -> StormPeer:
    argv = [sys.executable, "-m", "stormbridge.runtime.run", "spouts.ids.IdSpout"]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    peer = StormPeer.spawn(argv, cwd=str(SRC), env=env, timeout=15)
    conf = {"topology.name": "t", "reliable.dir": str(tmp_path), "reliable.ids": ids}
    peer.handshake(conf, make_context("id_spout", 1, sources={}, outputs={"default": ["id"]}))
    return peer


def emitted(peer: StormPeer, rounds: int) -> list[int]:
    ids = []
    for _ in range(rounds):
        ids += [m["id"] for m in peer.spout_command("next") if m.get("command") == "emit"]
    return ids


def test_fail_replays_ack_is_durable_and_a_restart_emits_what_was_not_acked(
    tmp_path: Path,
) -> None:
    peer = start(tmp_path, ids=6)
    assert emitted(peer, 4) == [0, 1, 2, 3]
    peer.spout_command("ack", 0)
    peer.spout_command("fail", 1)
    peer.spout_command("ack", 2)
    assert emitted(peer, 2) == [1, 4]  # the failed id first
    assert (tmp_path / "pid-id_spout-1").read_text() == str(peer.process.pid)  # type: ignore[union-attr]
    os.kill(peer.process.pid, signal.SIGKILL)  # type: ignore[union-attr]
    peer.wait(timeout=10)
    peer.close()
    with sqlite3.connect(tmp_path / "spout-0.db") as db:
        assert sorted(r[0] for r in db.execute("SELECT id FROM acked")) == [0, 2]
    again = start(tmp_path, ids=6)
    assert emitted(again, 6) == [1, 3, 4, 5]  # in flight when killed: replayed
    again.kill()
    again.close()
