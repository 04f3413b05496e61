"""A component without orjson says once, through Storm's log, that it uses the slower codec."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import sys
if {block}:
    sys.modules["orjson"] = None  # as on a worker whose python3 lacks orjson
from stormbridge.runtime.bolt import Bolt

class Quiet(Bolt):
    def process(self, tup):
        pass

sys.exit(Quiet().run())
"""


@pytest.mark.parametrize("block", [True, False])
def test_the_stdlib_codec_is_logged_once(tmp_path: Path, block: bool) -> None:
    pytest.importorskip("orjson")
    handshake = {
        "pidDir": str(tmp_path),
        "conf": {"topology.name": "t"},
        "context": {"taskid": 3, "componentid": "quiet", "task->component": {"3": "quiet"}},
    }
    heartbeat = {"id": "h", "comp": None, "stream": "__heartbeat", "task": -1, "tuple": []}
    frames = [handshake, heartbeat, heartbeat]
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(block=block)],
        input=b"".join(json.dumps(f).encode() + b"\nend\n" for f in frames),
        capture_output=True,
        timeout=60,
    )
    out = [json.loads(f) for f in done.stdout.split(b"\nend\n") if f.strip()]
    assert out[0] == {"pid": out[0]["pid"]}, done.stderr.decode()
    notes = [m for m in out if m.get("command") == "log" and "standard library" in m["msg"]]
    syncs = [m for m in out if m.get("command") == "sync"]
    assert len(syncs) == 2, out  # it kept working after the note
    if block:
        assert len(notes) == 1, out
        assert "orjson is not importable" in notes[0]["msg"] and notes[0]["level"] == 3
    else:
        assert notes == [], out
