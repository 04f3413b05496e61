"""The CLI surface: every subcommand's help, the shared flags, warnings on stderr."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from stormbridge.cli.main import main

MINE = {
    "quickstart": ["--directory"],
    "submit": ["-e", "-n", "-N", "-o", "-a", "-w", "-d", "-f", "-i", "-j", "--timeout", "--wait",
               "--python", "--config", "--extra-jar"],
    "kill": ["-e", "-n", "-N", "--wait", "--timeout", "--block", "--config"],
    "list": ["-e", "--timeout", "--config"],
    "activate": ["-e", "-n", "-N", "--timeout", "--config"],
    "deactivate": ["-e", "-n", "-N", "--timeout", "--config"],
    "rebalance": ["--environment", "-n", "-N", "-w", "-e COMPONENT=N", "--wait", "--timeout"],
    "jar": ["-e", "-n", "-N", "--output", "--no-runtime", "--extra-jar", "--config"],
    "stats": ["-e", "-n", "-N", "-c", "--all", "--window", "--timeout", "--config"],
    "visualize": ["-n", "-f", "-o", "--config"],
}  # fmt: skip


@pytest.mark.parametrize("command", sorted(MINE))
def test_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: sparse {command}")
    for flag in MINE[command]:
        assert flag in out, flag


def test_no_command_and_unknown_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["list", "--bogus"]) == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_config_warnings_go_to_stderr(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_project({"x": {"nimbus": "127.0.0.1:1", "wrkers": []}})
    assert main(["list", "--config", str(config), "--timeout", "1"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("sparse: warning: ") and "wrkers is not a known setting" in err[0]
    assert "(did you mean 'workers'?)" in err[0]
    assert err[1].startswith("sparse: error: ")
    assert len(err) == 2


def test_bad_config_json_is_one_line(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_project({})
    config.write_text(json.dumps({"topology_specs": "t/", "envs": {"x": {"ui.port": "80"}}}))
    assert main(["list", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"sparse: error: {config}: envs.x.ui.port must be an integer")
