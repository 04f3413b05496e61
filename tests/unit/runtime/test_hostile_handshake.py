"""Hostile handshake values, through real pipes: every one ends in ``{"pid"}``, an ``error``
command naming the problem and a non-zero exit, or in a sane fallback where the tuple is still
processed; never a bare traceback."""

from __future__ import annotations

import json
import os

import pytest

from stormbridge.testing import StormPeer
from stormbridge.testing.peer import make_context

pytestmark = pytest.mark.timeout(60)


def expect_error(peer: StormPeer, *needles: str) -> str:
    """The component's ``error`` command (after its pid reply), then exit 1."""
    error = peer.read(skip_logs=True)
    assert error["command"] == "error", error
    for needle in needles:
        assert needle in error["msg"], error["msg"]
    assert peer.wait(timeout=10) == 1
    assert "Traceback" not in peer.stderr.split("\n")[0]
    return str(error["msg"])


def handshake_raw(peer: StormPeer, conf: dict, context: dict | None = None) -> None:
    peer.send({"pidDir": peer.pid_dir, "conf": conf, "context": context or make_context()})
    assert "pid" in peer.read()


@pytest.mark.parametrize("source", ["sp²", "spout.v2", "1st", "class", "ünï-côdé", "x" * 300])
def test_a_source_id_that_is_no_identifier_still_gets_its_tuples_processed(
    spawn, source: str
) -> None:
    peer = spawn("testcomps.EchoBolt")
    peer.handshake(context=make_context(sources={source: {"default": ["word"], "s²": ["w"]}}))
    first = peer.send_tuple(["hello"], comp=source)
    assert peer.read(skip_logs=True)["tuple"] == ["hello"]
    assert peer.read() == {"command": "ack", "id": first}
    second = peer.send_tuple(["again"], comp=source, stream="s²")
    assert peer.read(skip_logs=True)["tuple"] == ["again"]
    assert peer.read() == {"command": "ack", "id": second}


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("pystorm.log.max_bytes", "abc", "pystorm.log.max_bytes"),
        ("pystorm.log.backup_count", [1], "pystorm.log.backup_count"),
        ("pystorm.log.file", "{x}", "pystorm.log.file"),
        ("pystorm.log.file", "{0}", "pystorm.log.file"),
        ("pystorm.log.file", "{", "pystorm.log.file"),
        ("pystorm.log.file", "../../x.log", "pystorm.log.file"),
        ("pystorm.log.file", "/etc/x.log", "pystorm.log.file"),
    ],
)
def test_bad_log_settings_are_an_error_naming_the_key(
    spawn, tmp_path, key: str, value: object, needle: str
) -> None:
    peer = spawn("testcomps.EchoBolt")
    handshake_raw(peer, {"topology.name": "t", "pystorm.log.path": str(tmp_path), key: value})
    expect_error(peer, needle)
    assert not (tmp_path.parent.parent / "x.log").exists()


def test_component_names_cannot_move_the_log_file(spawn, tmp_path) -> None:
    peer = spawn("testcomps.EchoBolt")
    context = make_context(component="../../evil")
    handshake_raw(peer, {"topology.name": "t", "pystorm.log.path": str(tmp_path)}, context)
    peer.send_tuple(["hi"])
    assert peer.read(skip_logs=True)["tuple"] == ["hi"]
    files = os.listdir(tmp_path)
    assert len(files) == 1 and "evil" in files[0], files


@pytest.mark.parametrize("mapping", [["component"], "component", 7])
def test_task_to_component_of_the_wrong_type(spawn, mapping: object) -> None:
    peer = spawn("testcomps.EchoBolt")
    context = make_context()
    del context["componentid"]
    context["task->component"] = mapping
    handshake_raw(peer, {"topology.name": "t"}, context)
    expect_error(peer, "task->component")


@pytest.mark.parametrize("pid_dir", ["/tmp/a\\u0000b", "/tmp/\\ud800"])
def test_a_pid_dir_that_cannot_be_a_path(spawn, pid_dir: str) -> None:
    peer = spawn("testcomps.EchoBolt")
    context = json.dumps(make_context())
    peer.send_raw(f'{{"pidDir":"{pid_dir}","conf":{{}},"context":{context}}}\nend\n'.encode())
    assert "pid" in peer.read()
    expect_error(peer, "pidDir")


def test_a_handshake_that_is_not_json_still_gets_the_pid_reply(spawn) -> None:
    peer = spawn("testcomps.EchoBolt")
    peer.send_raw(b"this is not a handshake\nend\n")
    assert "pid" in peer.read()
    expect_error(peer, "not valid JSON")
