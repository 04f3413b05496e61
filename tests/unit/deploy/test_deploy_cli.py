"""The deploy commands' surface and their errors before any SSH (in process, exit codes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stormbridge.cli.main import main
from stormbridge.testing.nimbus import FakeNimbus

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("command", "flags"),
    [
        ("submit", ["--pool_size", "--requirements", "--overwrite_virtualenv", "--user"]),
        ("update_virtualenv", ["--pool_size", "--requirements", "--overwrite_virtualenv"]),
        ("tail", ["--follow", "--num_lines", "--pattern", "--pool_size"]),
        ("remove_logs", ["--remove_all_artifacts", "--pattern", "--user"]),
        ("worker_uptime", ["--environment"]),
        ("slot_usage", ["--environment"]),
    ],
)
def test_commands_and_streamparse_flags_exist(
    command: str, flags: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    for flag in flags:
        assert flag in out


def project(tmp_path: Path, **env: object) -> Path:
    root = tmp_path / "p"
    (root / "topologies").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "topologies" / "wc.py").write_text((REPO / "topologies" / "wordcount.py").read_text())
    for sub in ("bolts", "spouts"):
        (root / "src" / sub).mkdir()
        for f in (REPO / "src" / sub).glob("*.py"):
            (root / "src" / sub / f.name).write_text(f.read_text())
    config = {"topology_specs": "topologies/", "envs": {"prod": env}}
    (root / "config.json").write_text(json.dumps(config))
    return root / "config.json"


def test_missing_requirements_stop_submit_before_anything_is_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeNimbus() as nimbus:
        config = project(
            tmp_path,
            nimbus="{}:{}".format(*nimbus.address),
            workers=["127.0.0.1"],
            virtualenv_root="/data/venvs",
        )
        assert main(["submit", "--config", str(config)]) == 1
        assert nimbus.calls == []
    err = capsys.readouterr().err
    assert "installing the virtualenv 'wc' needs its requirements" in err
    assert "virtualenvs/wc.txt" in err


def test_bad_virtualenv_settings_are_config_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = project(tmp_path, nimbus="127.0.0.1:1", workers=["w"], virtualenv_root="data/venvs")
    assert main(["update_virtualenv", "--config", str(config)]) == 1
    assert "must be an absolute path on the worker hosts" in capsys.readouterr().err
    config = project(tmp_path / "b", nimbus="127.0.0.1:1", use_virtualenv=False)
    assert main(["update_virtualenv", "--config", str(config)]) == 1
    assert "does not use virtualenvs" in capsys.readouterr().err
    config = project(
        tmp_path / "c", workers=["w"], virtualenv_root="/v", ssh_key=str(tmp_path / "nokey")
    )
    assert main(["update_virtualenv", "--config", str(config)]) == 1
    assert "ssh_key" in capsys.readouterr().err
