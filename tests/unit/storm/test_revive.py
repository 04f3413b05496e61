"""revive_daemons: a daemon whose processes are gone runs its recorded command again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stormbridge.cli.main import main
from stormbridge.errors import ClusterError
from stormbridge.storm.config import ClusterSpec
from stormbridge.storm.daemons import revive_daemons
from stormbridge.storm.state import ClusterRecord, DaemonRecord, load_record, pid_alive, save_record


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _record(state: Path, daemons: list[DaemonRecord]) -> ClusterRecord:
    return ClusterRecord(
        state_dir=str(state), log_dir=str(state / "logs"), storm_home="/h", storm_version="2.8.3",
        host="127.0.0.1", nimbus_port=6627, zookeeper_port=2181, ui_port=None,
        logviewer_port=None, supervisors=1, slots=2, started_at=1.5, daemons=daemons,
    )  # fmt: skip


def test_a_dead_daemon_is_started_again_and_a_live_one_left_alone(tmp_path: Path) -> None:
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                            start_new_session=True)  # fmt: skip
    marker = tmp_path / "started"
    command = [sys.executable, "-c",
               f"import time; open({str(marker)!r}, 'a').write('x'); time.sleep(60)"]  # fmt: skip
    gone = _dead_pid()
    dead = DaemonRecord(
        name="supervisor-0",
        pid=gone,
        pgid=gone,
        ports={},
        log=str(tmp_path / "s.log"),
        out=str(tmp_path / "s.out"),
        command=command,
    )
    alive = DaemonRecord(name="nimbus", pid=live.pid, pgid=live.pid, ports={},
                         log=str(tmp_path / "n.log"), out=str(tmp_path / "n.out"),
                         command=["false"])  # fmt: skip
    save_record(tmp_path, _record(tmp_path, [alive, dead]))
    spec = ClusterSpec(state_dir=tmp_path)
    revived_pid = None
    try:
        assert revive_daemons(spec) == ["supervisor-0"]
        record = load_record(tmp_path)
        assert record is not None
        assert record.daemons[0] == alive
        revived_pid = record.daemons[1].pid
        assert revived_pid == record.daemons[1].pgid != dead.pid
        assert pid_alive(revived_pid)
        deadline = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.read_text() == "x"  # the recorded command really ran again
        assert "--- " in Path(dead.out).read_text()  # appended to the daemon's output file
        assert revive_daemons(spec) == []  # all alive now: nothing to do
    finally:
        live.kill()
        live.wait()
        if revived_pid is not None:
            os.killpg(revived_pid, signal.SIGKILL)


def test_no_recorded_cluster_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match="no cluster is recorded"):
        revive_daemons(ClusterSpec(state_dir=tmp_path))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_cli_revive_restarts_prints_and_waits_until_healthy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    gone = _dead_pid()
    dead = DaemonRecord(name="supervisor-0", pid=gone, pgid=gone, ports={},
                        log=str(tmp_path / "s.log"), out=str(tmp_path / "s.out"),
                        command=sleeper)  # fmt: skip
    record = _record(tmp_path, [dead])
    record.nimbus_port = _free_port()  # nobody answers there: no Nimbus probe succeeds
    save_record(tmp_path, record)
    argv = ["cluster", "revive", "--state-dir", str(tmp_path), "--timeout", "30"]
    revived = None
    try:
        assert main(argv) == 0
        out = capsys.readouterr()
        reloaded = load_record(tmp_path)
        assert reloaded is not None
        revived = reloaded.daemons[0].pid
        assert out.out.splitlines() == [f"supervisor-0 pid {revived}", "cluster healthy"]
        assert "supervisor-0 was not running" in out.err
        assert main(argv) == 0  # nothing dead any more
        assert capsys.readouterr().out == "every daemon is running: nothing to restart\n"
    finally:
        if revived is not None:
            os.killpg(revived, signal.SIGKILL)


def test_cli_revive_fails_when_the_daemon_does_not_stay_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gone = _dead_pid()
    dead = DaemonRecord(name="supervisor-0", pid=gone, pgid=gone, ports={},
                        log=str(tmp_path / "s.log"), out=str(tmp_path / "s.out"),
                        command=[sys.executable, "-c", "pass"])  # exits at once  # fmt: skip
    record = _record(tmp_path, [dead])
    record.nimbus_port = _free_port()
    save_record(tmp_path, record)
    assert main(["cluster", "revive", "--state-dir", str(tmp_path), "--timeout", "2"]) == 1
    err = capsys.readouterr().err
    assert "restarted supervisor-0, but not healthy within 2 s: supervisor-0 (dead)" in err
    assert str(tmp_path / "s.log") in err


def test_cli_revive_without_a_cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cluster", "revive", "--state-dir", str(tmp_path)]) == 1
    assert "no cluster is recorded in" in capsys.readouterr().err
