"""Hostile command-line values and topology files: one-line errors and the right exit code,
never a traceback, never a file written outside the project's _build/."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from stormbridge.cli.main import main

REPO = Path(__file__).resolve().parents[3]


def wordcount(root: Path, nimbus: str = "127.0.0.1:1") -> Path:
    shutil.copytree(REPO / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "topologies", root / "topologies")
    config = {"topology_specs": "topologies/", "envs": {"local": {"nimbus": nimbus}}}
    (root / "config.json").write_text(json.dumps(config))
    return root / "config.json"


@pytest.mark.parametrize(
    "name", ["../escape", "a/b", "..", "x.y", "a:b", "back\\slash", "", "a" * 5000, "é" * 150]
)
def test_jar_refuses_names_that_are_not_topology_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    config = wordcount(tmp_path / "wc")
    assert main(["jar", "--config", str(config), "-N", name]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "topology name" in err and ("-N" in err or "--override_name" in err), err
    assert len(err) < 1000  # the name is shortened in the message
    assert not (tmp_path / "escape.jar").exists()
    assert not (tmp_path / "wc" / "escape.jar").exists()
    assert not list((tmp_path / "wc").glob("_build/*.jar"))


def test_jar_accepts_a_long_but_valid_name(tmp_path: Path) -> None:
    config = wordcount(tmp_path / "wc")
    assert main(["jar", "--config", str(config), "-N", "n" * 200]) == 0
    assert (tmp_path / "wc" / "_build" / ("n" * 200 + ".jar")).is_file()


def test_an_output_path_that_cannot_be_written_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = wordcount(tmp_path / "wc")
    out = tmp_path / ("o" * 300 + ".jar")  # over the 255-byte file name limit
    assert main(["jar", "--config", str(config), "--output", str(out)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith("sparse: error: cannot write the topology jar") and "too long" in err


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "0", "-1", "1e300", "soon"])
@pytest.mark.parametrize("command", [["list"], ["kill", "-n", "x"], ["stats", "-n", "x"]])
def test_timeouts_that_are_not_positive_finite_numbers_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, command: list[str]
) -> None:
    config = wordcount(tmp_path / "wc")
    assert main([*command, "--config", str(config), "--timeout", value]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "--timeout" in err, err


@pytest.mark.parametrize("flag", ["-w", "-a"])
def test_worker_and_acker_flags_beyond_i32_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str
) -> None:
    config = wordcount(tmp_path / "wc")
    assert main(["submit", "--config", str(config), flag, str(2**40)]) == 2
    assert "2147483647" in capsys.readouterr().err


def test_a_topology_file_calling_sys_exit_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = wordcount(tmp_path / "wc")
    topology = tmp_path / "wc" / "topologies" / "wordcount.py"
    topology.write_text("import sys\nsys.exit(3)\n" + topology.read_text())
    assert main(["jar", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "wordcount.py called sys.exit(3)" in err and "wordcount.py:2" in err, err
