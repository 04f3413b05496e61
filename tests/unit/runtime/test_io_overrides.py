"""Components that override pystorm's I/O hooks get them called, through real bytes.

pystorm routes every emit, ack, fail and ``sync`` through ``send_message`` and reads with
``read_tuple``/``read_command``; stormbridge's loops inline those for speed. A class (or an
instance) that overrides one of them takes the general path, so the override runs; other
classes keep the fast paths. Also: ``Component.run()`` ends the process as pystorm's does.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from typing import Any

from stormbridge import BatchingBolt, Bolt, Spout
from stormbridge.runtime.tuple import Tuple


def _wire(tmp_path: Any, *frames: dict[str, Any]) -> bytes:
    handshake = {"pidDir": str(tmp_path), "conf": {}, "context": {"taskid": 1}}
    return b"".join(json.dumps(m).encode() + b"\nend\n" for m in (handshake, *frames))


def _sent(out: io.BytesIO) -> list[dict[str, Any]]:
    return [json.loads(f) for f in out.getvalue().split(b"\nend\n")[1:-1]]  # after {"pid"}


def _tuple(tup_id: str, values: list[Any], stream: str = "default") -> dict[str, Any]:
    return {"id": tup_id, "comp": "spout", "stream": stream, "task": 2, "tuple": values}


HEARTBEAT = {"id": "h", "comp": "__system", "stream": "__heartbeat", "task": -1, "tuple": []}


class RecordingBolt(Bolt):
    def initialize(self, conf: dict[str, Any], context: dict[str, Any]) -> None:
        self.recorded: list[dict[str, Any]] = []

    def send_message(self, message: Any) -> None:
        self.recorded.append(dict(message))
        super().send_message(
            {**message, "via": "override"} if message["command"] == "emit" else message
        )

    def process(self, tup: Tuple) -> None:
        self.emit([tup.values[0] * 2])
        if tup.values[0] == 3:
            raise ValueError("three")


def test_send_message_override_sees_every_emit_ack_fail_and_sync(tmp_path: Any) -> None:
    out = io.BytesIO()
    data = _wire(tmp_path, _tuple("1", [1]), HEARTBEAT, _tuple("3", [3]))
    bolt = RecordingBolt(io.BytesIO(data), out)
    bolt.exit_on_exception = False
    assert bolt.run_to_exit_code() == 2
    # ("log": the exception, logged through StormHandler, which always used send_message)
    recorded = [m["command"] for m in bolt.recorded if m["command"] != "log"]
    assert recorded == ["emit", "ack", "sync", "emit", "fail"]
    sent = [m for m in _sent(out) if m["command"] != "log"]
    emits = [m for m in sent if m["command"] == "emit"]
    assert [m["tuple"] for m in emits] == [[2], [6]]
    assert all(
        m["via"] == "override" and m["anchors"] == [a] for m, a in zip(emits, "13", strict=True)
    )
    assert [m["command"] for m in sent] == ["emit", "ack", "sync", "emit", "error", "sync", "fail"]


class UpperBolt(Bolt):
    def read_tuple(self) -> Tuple:
        tup = super().read_tuple()
        return tup._replace(values=tuple(str(v).upper() for v in tup.values))

    def process(self, tup: Tuple) -> None:
        self.emit([tup.values[0]])


def test_read_tuple_override_feeds_process(tmp_path: Any) -> None:
    out = io.BytesIO()
    assert (
        UpperBolt(
            io.BytesIO(_wire(tmp_path, _tuple("1", ["dog"]), HEARTBEAT)), out
        ).run_to_exit_code()
        == 2
    )
    assert _sent(out) == [
        {"command": "emit", "tuple": ["DOG"], "anchors": ["1"], "need_task_ids": False},
        {"command": "ack", "id": "1"},
        {"command": "sync"},
    ]


class CountingSpout(Spout):
    def initialize(self, conf: dict[str, Any], context: dict[str, Any]) -> None:
        self.commands: list[str] = []
        self.sent: list[str] = []
        self.n = 0

    def read_command(self) -> dict[str, Any]:
        command = super().read_command()
        self.commands.append(command["command"])
        return command

    def send_message(self, message: Any) -> None:
        self.sent.append(message["command"])
        super().send_message(message)

    def next_tuple(self) -> None:
        self.n += 1
        self.emit([self.n], tup_id=str(self.n))


def test_spout_read_command_and_send_message_overrides(tmp_path: Any) -> None:
    out = io.BytesIO()
    data = _wire(tmp_path, {"command": "next"}, {"command": "ack", "id": "1"}, {"command": "next"})
    spout = CountingSpout(io.BytesIO(data), out)
    assert spout.run_to_exit_code() == 2
    assert spout.commands == ["next", "ack", "next"]
    assert spout.sent == ["emit", "sync", "sync", "emit", "sync"]
    assert [m["command"] for m in _sent(out)] == spout.sent
    assert [m.get("id") for m in _sent(out) if m["command"] == "emit"] == ["1", "2"]


class Batcher(BatchingBolt):
    ticks_between_batches = 0

    def read_tuple(self) -> Tuple:
        tup = super().read_tuple()
        self.seen = getattr(self, "seen", 0) + 1
        return tup

    def process_batch(self, key: Any, tups: list[Tuple]) -> None:
        self.emit([len(tups)])


def test_batching_bolt_reads_through_read_tuple(tmp_path: Any) -> None:
    tick = {"id": "t", "comp": "__system", "stream": "__tick", "task": -1, "tuple": [1]}
    out = io.BytesIO()
    bolt = Batcher(io.BytesIO(_wire(tmp_path, _tuple("1", [1]), _tuple("2", [2]), tick)), out)
    assert bolt.run_to_exit_code() == 2
    assert bolt.seen == 3
    assert [m["command"] for m in _sent(out)] == ["ack", "emit", "ack", "ack"]


def test_an_instance_patched_send_message_is_honoured(tmp_path: Any) -> None:
    out = io.BytesIO()
    bolt = UpperBolt(io.BytesIO(_wire(tmp_path, _tuple("1", ["a"]))), out)
    seen: list[str] = []
    original = bolt.send_message
    bolt.send_message = lambda m: (seen.append(m["command"]), original(m))  # type: ignore[method-assign]
    assert bolt.run_to_exit_code() == 2
    assert seen == ["emit", "ack"]


def test_plain_components_keep_the_fast_paths() -> None:
    assert UpperBolt(io.BytesIO(), io.BytesIO())._general_io is True
    assert Bolt(io.BytesIO(), io.BytesIO())._general_io is False
    assert Spout(io.BytesIO(), io.BytesIO())._general_io is False
    assert CountingSpout(io.BytesIO(), io.BytesIO())._general_io is True


def test_run_called_by_a_script_ends_the_process(tmp_path: Any) -> None:
    script = textwrap.dedent(
        """
        from stormbridge import Bolt

        class B(Bolt):
            def process(self, tup):
                pass

        B().run()
        print("not reached", flush=True)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        input=_wire(tmp_path),
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr  # Storm went away: end of input
    assert b"not reached" not in proc.stdout
