"""streamparse's spellings of sparse flags: kill -w, jar -s, -d VALUE, --timeout in ms."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from stormbridge.cli._common import resolve_cli_options
from stormbridge.cli.main import build_parser, main
from stormbridge.project.config import parse_config

REPO = Path(__file__).resolve().parents[3]


def test_kill_w_is_wait() -> None:
    args = build_parser().parse_args(["kill", "-w", "3"])
    assert args.wait == 3
    assert build_parser().parse_args(["kill", "--wait", "0"]).wait == 0


@pytest.mark.parametrize(
    ("argv", "debug"),
    [
        ([], False),
        (["-d"], True),
        (["-d", "true"], True),
        (["-d", "false"], False),
        (["--debug", "FALSE"], False),
        (["-d", "-n", "x"], True),
    ],
)
def test_debug_takes_an_optional_value(argv: list[str], debug: bool) -> None:
    args = build_parser().parse_args(["run", *argv])
    assert args.debug is debug
    env = parse_config(
        {"topology_specs": "t/", "envs": {"e": {"nimbus": "h"}}}, path=Path("/x/config.json")
    ).select_env("e", environ={})
    conf = resolve_cli_options(args, env)
    assert bool(conf.get("topology.debug", False)) is debug


def test_debug_rejects_a_non_boolean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "-d", "maybe"]) == 2
    assert "'maybe' is not true or false" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "seconds"), [("30", 30.0), ("7000ms", 7.0), ("2.5s", 2.5), ("300", 300.0)]
)
def test_timeout_units(text: str, seconds: float) -> None:
    assert build_parser().parse_args(["list", "--timeout", text]).timeout == seconds


def test_a_streamparse_millisecond_timeout_is_refused_with_the_fix(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["kill", "--timeout", "7000"]) == 2
    err = capsys.readouterr().err
    assert "streamparse's was in milliseconds" in err and "--timeout 7000ms" in err


def test_jar_simple_leaves_out_project_clj_dependencies(tmp_path: Path) -> None:
    root = tmp_path / "wc"
    shutil.copytree(REPO / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "topologies", root / "topologies")
    (root / "config.json").write_text(
        json.dumps({"topology_specs": "topologies/", "envs": {"local": {"nimbus": "127.0.0.1:1"}}})
    )
    # A dependency no repository has: resolving it would fail, -s must not try.
    (root / "project.clj").write_text(
        '(defproject wc "0.0.1" :dependencies [[org.example.nowhere/absent "9.9.9"]])'
    )
    out = tmp_path / "wc.jar"
    assert main(["jar", "--config", str(root), "-s", "--output", str(out)]) == 0
    with zipfile.ZipFile(out) as jar:
        names = jar.namelist()
    assert "resources/bolts/wordcount.py" in names
    assert not any("nowhere" in n for n in names)


@pytest.mark.parametrize("text", ["0", "-1", "nan", "inf", "infms", "1e400ms", "abc", "5m"])
def test_bad_timeouts_are_usage_errors(text: str) -> None:
    assert main(["list", "--timeout", text]) == 2
