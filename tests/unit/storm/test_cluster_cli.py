"""`sparse cluster` paths that need no JVM: status/down/logs without a cluster, usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stormbridge.cli.main import main


def test_status_without_a_cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cluster", "status", "--state-dir", str(tmp_path)]) == 1
    assert "no cluster is recorded in" in capsys.readouterr().out
    assert main(["cluster", "status", "--state-dir", str(tmp_path), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc == {"state_dir": str(tmp_path), "running": False, "daemons": []}


def test_down_without_a_cluster_is_fine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cluster", "down", "--state-dir", str(tmp_path)]) == 0
    assert "nothing to stop" in capsys.readouterr().err


def test_logs_lists_and_tails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    logs = tmp_path / "logs"
    (logs / "workers-artifacts" / "wc-1-2" / "6700").mkdir(parents=True)
    (logs / "workers-artifacts" / "wc-1-2" / "6700" / "worker.log").write_text("w\n")
    (logs / "nimbus.log").write_text("".join(f"line {i}\n" for i in range(100)))
    assert main(["cluster", "logs", "--state-dir", str(tmp_path)]) == 0
    listed = capsys.readouterr().out.split()
    assert listed == [
        str(logs / "nimbus.log"),
        str(logs / "workers-artifacts/wc-1-2/6700/worker.log"),
    ]
    assert main(["cluster", "logs", "nimbus", "-n", "3", "--state-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"==> {logs / 'nimbus.log'} <==", "line 97", "line 98", "line 99"]
    assert main(["cluster", "logs", "ui", "--state-dir", str(tmp_path)]) == 1
    assert "no log for 'ui'" in capsys.readouterr().err


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cluster"]) == 2
    assert main(["cluster", "up", "--state-dir", str(tmp_path), "--conf", "novalue"]) == 1
    assert "--conf expects KEY=VALUE" in capsys.readouterr().err
    assert main(["cluster", "up", "--state-dir", str(tmp_path), "--supervisors", "0"]) == 1
    assert "--supervisors must be" in capsys.readouterr().err
    assert main(["cluster", "up", "--state-dir", str(tmp_path), "--heap", "nimbus=lots"]) == 1
    assert "--heap expects DAEMON=MB" in capsys.readouterr().err
    assert main(["cluster", "up", "--state-dir", str(tmp_path), "--heap", "ui=8"]) == 1
    assert "the ui heap must be at least 32 MB" in capsys.readouterr().err
