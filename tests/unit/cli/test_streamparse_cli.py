"""streamparse.cli: streamparse's parsers and functions, running stormbridge's sparse for real
(against FakeNimbus, a real Thrift server on 127.0.0.1)."""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from stormbridge.build.shipped import is_runtime_file
from stormbridge.testing.nimbus import FakeNimbus
from streamparse.cli import common, sparse

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def nimbus() -> Iterator[FakeNimbus]:
    with FakeNimbus() as fake:
        yield fake


@pytest.fixture
def project(tmp_path: Path, nimbus: FakeNimbus) -> Path:
    root = tmp_path / "wc"
    shutil.copytree(REPO / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "topologies", root / "topologies")
    host, port = nimbus.address
    env = {"nimbus": f"{host}:{port}", "options": {"topology.workers": 1}}
    config = {"topology_specs": "topologies/", "envs": {"local": env}}
    (root / "config.json").write_text(json.dumps(config))
    return root / "config.json"


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    sparse.load_subparsers(parser.add_subparsers())
    return parser.parse_args(argv)


def test_every_streamparse_module_has_its_subcommand() -> None:
    for name in sparse.SUBCOMMANDS:
        module = importlib.import_module(f"streamparse.cli.{name}")
        parser = argparse.ArgumentParser()
        subparsers = parser.add_subparsers()
        module.subparser_hook(subparsers)
        assert list(subparsers.choices) == [name]
        assert callable(module.main)


def test_streamparse_flags_fill_one_options_dict() -> None:
    args = _parse(
        ["run", "-e", "e", "-n", "t", "--ackers", "1", "-w", "2", "-d", "-o", "topology.x=[a, b]"]
    )
    assert args.options == {
        "topology.acker.executors": 1,
        "topology.workers": 2,
        "topology.debug": True,
        "topology.x": ["a", "b"],
    }
    argv = common.sparse_argv("run", env_name="e", options=args.options, timeout=7000)
    assert argv[:3] == ["run", "-e", "e"] and argv[-2:] == ["--timeout", "7000ms"]
    assert 'topology.x=["a", "b"]' in argv


def test_submit_list_kill_through_sparse(
    project: Path, nimbus: FakeNimbus, capsys: pytest.CaptureFixture[str]
) -> None:
    c = ["--config", str(project)]
    assert sparse.main(["submit", *c, "-n", "wordcount", "-a", "2", "--timeout", "7000"]) == 0
    submitted = nimbus.topologies["wordcount"]
    assert submitted.status == "ACTIVE"
    assert submitted.conf["topology.acker.executors"] == 2
    assert sparse.main(["list", *c]) == 0
    assert "wordcount" in capsys.readouterr().out
    assert sparse.main(["slot_usage", *c]) == 0
    assert "127.0.0.1" in capsys.readouterr().out
    assert sparse.main(["kill", *c, "-n", "wordcount", "--wait", "0"]) == 0
    assert "Killed topology wordcount" in capsys.readouterr().out


def test_a_failing_command_ends_the_script_with_sparse_exit_code(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from streamparse.cli.kill import kill_topology

    with pytest.raises(SystemExit) as info:
        kill_topology("nope", config_file=str(project), wait=0)
    assert info.value.code == 1
    assert "nope" in capsys.readouterr().err


def test_remove_logs_without_ssh_settings_is_a_clear_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from streamparse.cli.remove_logs import remove_logs

    with pytest.raises(SystemExit) as info:
        remove_logs("wordcount", config_file=str(project), options={"sudo_user": "storm"})
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert "sparse: error:" in err and "not provided" not in err


def test_resolve_options_precedence() -> None:
    class T:
        config = {"virtualenv_flags": "-p python3", "a": "topology"}

    env = {
        "user": "me",
        "virtualenv_root": "/venvs",
        "virtualenv_flags": "-p python2",
        "log": {"level": "INFO", "path": "/logs"},
        "options": {"a": "env", "b": "env"},
    }
    got = common.resolve_options({"a": "cli"}, env, T, "wc", local_only=True)
    assert (got["a"], got["b"], got["virtualenv_flags"]) == ("cli", "env", "-p python3")
    assert got["pystorm.log.level"] == "info" and got["pystorm.log.path"] == "/logs"
    assert got["topology.python.path"] == "/venvs/wc/bin/python"
    assert got["sudo_user"] == "me" and got["storm.workers.list"] == []
    assert got["topology.workers"] == got["topology.acker.executors"] == 1
    debug = common.resolve_options({"topology.debug": True}, {}, T, "wc", local_only=True)
    assert debug["pystorm.log.level"] == "debug" and debug["sudo_user"] == "root"


def test_streamparse_cli_is_not_shipped_to_workers() -> None:
    assert not is_runtime_file("streamparse", "cli/common.py")
    assert not is_runtime_file("streamparse", "cli/__init__.py")
    assert is_runtime_file("streamparse", "bolt.py")


def test_streamparse_console_script_is_sparse() -> None:
    import tomllib

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["streamparse"] == scripts["sparse"] == "stormbridge.cli.main:main"
    assert scripts["streamparse_run"] == "stormbridge.runtime.run:main"
