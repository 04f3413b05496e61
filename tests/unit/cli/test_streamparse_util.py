"""streamparse.util compatibility helpers over stormbridge.project.config."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from stormbridge.errors import ConfigError
from stormbridge.testing.nimbus import FakeNimbus
from streamparse import util

REPO = Path(__file__).resolve().parents[3]


def test_env_config_and_topology_definition(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO / "src")  # found by walking up
    name, env = util.get_env_config("local")
    assert name == "local" and env["nimbus"] == "127.0.0.1:6627"
    with pytest.raises(ConfigError, match="several environments"):
        util.get_env_config()
    assert util.get_topology_definition() == ("wordcount", str(REPO / "topologies/wordcount.py"))
    assert util.get_config()["topology_specs"] == "topologies/"
    cls = util.get_topology_from_file(REPO / "topologies/wordcount.py")
    assert cls.__name__ == "WordCount"


def test_file_like_config() -> None:
    fh = io.StringIO(json.dumps({"topology_specs": "t/", "envs": {"only": {"nimbus": "h:1"}}}))
    name, env = util.get_env_config(config_file=fh)
    assert (name, util.get_nimbus_host_port(env)) == ("only", ("h", 1))
    with pytest.raises(ConfigError, match="missing required key"):
        util.get_config(io.StringIO("{}"))


def test_nimbus_host_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STREAMPARSE_NIMBUS", raising=False)
    env = {"nimbus": ["a:1", "b:2"]}
    assert util.get_nimbus_host_port(env) == ("a", 1)
    assert util.get_nimbus_host_port({"nimbus": "c"}) == ("c", 6627)
    monkeypatch.setenv("STREAMPARSE_NIMBUS", "d:9")
    assert util.get_nimbus_host_port(env) == ("d", 9)
    assert env == {"nimbus": ["a:1", "b:2"]}  # not mutated
    monkeypatch.delenv("STREAMPARSE_NIMBUS")
    with pytest.raises(ConfigError, match="no Nimbus configured"):
        util.get_nimbus_host_port({"nimbus": ""})


def test_storm_workers_and_activate_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STREAMPARSE_NIMBUS", raising=False)
    assert util.get_storm_workers({"workers": "w1, w2"}) == ["w1", "w2"]
    with FakeNimbus() as nimbus:
        host, port = nimbus.address
        env = {"nimbus": f"{host}:{port}", "workers": [], "log": {"path": "/l"}, "user": "u"}
        assert util.get_storm_workers(env) == ["127.0.0.1"]  # the fake's one supervisor
        path = tmp_path / "config.json"
        path.write_text(json.dumps({"topology_specs": "t/", "envs": {"e": env}}))
        got = util.activate_env(config_file=path)
        assert got["env_name"] == "e" and got["log_path"] == "/l" and got["user"] == "u"
        assert util.activate_env(config_file=path, options={"storm.workers.list": ["x"]})[
            "storm_workers"
        ] == ["x"]
