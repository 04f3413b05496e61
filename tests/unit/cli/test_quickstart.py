"""`sparse quickstart NAME`: the tree it writes, its refusals, and that the project loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stormbridge.cli.main import main
from stormbridge.project.config import load_config

EXPECTED = [
    ".gitignore",
    "README.md",
    "config.json",
    "project.clj",
    "src/bolts/__init__.py",
    "src/bolts/wordcount.py",
    "src/spouts/__init__.py",
    "src/spouts/words.py",
    "topologies/wc_1.py",
    "virtualenvs/wc_1.txt",
]


def tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_quickstart_writes_the_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quickstart", "wc_1", "--directory", str(tmp_path)]) == 0
    root = tmp_path / "wc_1"
    assert tree(root) == EXPECTED
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wc_1"]  # no staging left behind
    out = capsys.readouterr().out
    assert f"Created {root}" in out and "topologies/wc_1.py" in out
    cfg = load_config(root / "config.json")
    assert sorted(cfg.envs) == ["local", "prod"]
    local = cfg.select_env("local", environ={})
    assert str(local.nimbus[0]) == "127.0.0.1:6627" and local.ui_port == 8080
    topo = (root / "topologies/wc_1.py").read_text()
    assert "class Wc1(Topology):" in topo and "{{" not in topo
    assert '(defproject wc_1 "0.0.1-SNAPSHOT"' in (root / "project.clj").read_text()
    assert json.loads((root / "config.json").read_text())["topology_specs"] == "topologies/"
    for rel in EXPECTED:
        if rel.endswith(".py"):
            compile((root / rel).read_text(), rel, "exec")


def test_quickstart_refuses_existing_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    assert main(["quickstart", "taken", "--directory", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sparse: error: ") and "already exists" in err
    assert tree(tmp_path / "taken") == ["keep.txt"]


@pytest.mark.parametrize(
    "name", ["../evil", "a/b", "-rf", "$(touch x)", "x;rm", "", ".hidden", "9lives", "a" * 65]
)
def test_quickstart_rejects_hostile_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    assert main(["quickstart", "--directory", str(tmp_path), "--", name]) == 1
    assert "is not a valid project name" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_quickstart_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quickstart"]) == 2
    assert "NAME" in capsys.readouterr().err
