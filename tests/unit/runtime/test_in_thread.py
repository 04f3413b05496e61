"""The in-process variant of the fake Storm peer, and a component on injected streams."""

from __future__ import annotations

import io
import json
import logging

import pytest

from stormbridge import Bolt, Spout
from stormbridge.testing import StormPeer

pytestmark = pytest.mark.timeout(60)


class Doubler(Bolt):
    def process(self, tup):
        self.logger.info("doubling %s", tup.values[0])
        self.emit([tup.values[0] * 2])


class Counter(Spout):
    def initialize(self, conf, ctx):
        self.n = 0

    def next_tuple(self):
        self.n += 1
        self.emit([self.n])


def test_bolt_in_a_thread():
    with StormPeer.in_thread(Doubler) as storm:
        storm.handshake()
        tup_id = storm.send_tuple([21])
        assert storm.read(skip_logs=True) == {
            "command": "emit",
            "tuple": [42],
            "anchors": [tup_id],
            "need_task_ids": False,
        }
        assert storm.read(skip_logs=True) == {"command": "ack", "id": tup_id}
        assert storm.logs[0]["msg"].endswith("doubling 21")
        storm.close_input()
        assert storm.wait() == 2
    # The component's log handler left with it.
    assert not [h for h in logging.getLogger().handlers if type(h).__name__ == "StormHandler"]


def test_spout_in_a_thread():
    with StormPeer.in_thread(Counter) as storm:
        storm.handshake()
        assert [storm.spout_command()[0]["tuple"] for _ in range(3)] == [[1], [2], [3]]


def test_component_on_injected_byte_streams(tmp_path):
    handshake = {"pidDir": str(tmp_path), "conf": {}, "context": {"taskid": 1, "componentid": "c"}}
    data = (json.dumps(handshake) + "\nend\n" + '{"command":"next","id":""}\nend\n').encode()
    out = io.BytesIO()
    assert Counter(io.BytesIO(data), out).run_to_exit_code() == 2
    frames = out.getvalue().split(b"\nend\n")
    assert json.loads(frames[1]) == {"command": "emit", "tuple": [1], "need_task_ids": False}
    assert json.loads(frames[2]) == {"command": "sync"}
