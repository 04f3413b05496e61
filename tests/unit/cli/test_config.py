"""config.json parsing, validation errors, env selection and option precedence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stormbridge.errors import ConfigError
from stormbridge.project.config import HostPort, load_config
from stormbridge.project.options import parse_option, parse_option_value, resolve_options


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "config.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


BASE: dict[str, Any] = {
    "serializer": "json",
    "topology_specs": "topologies/",
    "virtualenv_specs": "virtualenvs/",
    "envs": {"prod": {"nimbus": "nimbus.example:6628", "workers": ["w1", "w2"]}},
}


def test_the_repository_config_loads() -> None:
    root = Path(__file__).resolve().parents[3]
    cfg = load_config(root / "config.json")
    env = cfg.select_env("local", environ={})
    assert env.nimbus == (HostPort("127.0.0.1", 6627),)
    assert env.ui_url == "http://127.0.0.1:8080"
    assert cfg.topologies_dir == root / "topologies"


def test_full_env_is_typed(tmp_path: Path) -> None:
    data = json.loads(json.dumps(BASE))
    data["envs"]["prod"].update(
        {
            "user": "storm",
            "ssh_port": 2222,
            "use_virtualenv": True,
            "virtualenv_root": "/data/venvs/",
            "log": {"path": "/var/log/x", "max_bytes": 10, "backup_count": 2, "level": "INFO"},
            "log_file": "f.log",
            "options": {"topology.max.spout.pending": 5},
            "ui.port": 8081,
            "ui.host": "ui.example",
            "serializer": "msgpack",
        }
    )
    cfg = load_config(write(tmp_path, data))
    env = cfg.select_env(environ={})
    assert env.name == "prod"
    assert env.nimbus == (HostPort("nimbus.example", 6628),)
    assert env.workers == ("w1", "w2")
    assert env.ssh_port == 2222
    assert env.install_virtualenv is True  # as streamparse: defaults to use_virtualenv
    assert env.virtualenv_python("wc") == "/data/venvs/wc/bin/python"
    assert env.log.level == "info" and env.log.file == "f.log"
    assert env.ui_url == "http://ui.example:8081"
    assert cfg.serializer_for(env) == "msgpack"
    assert env.warnings == ()


def test_virtualenv_defaults(tmp_path: Path) -> None:
    data = json.loads(json.dumps(BASE))
    data["envs"] = {
        "a": {"virtualenv_root": "/v"},  # use_virtualenv defaults on with a root
        "b": {},
        "c": {"virtualenv_root": "/v", "use_virtualenv": False},
        "d": {"virtualenv_path": "/w", "virtualenv_name": "shared", "install_virtualenv": False},
    }
    envs = load_config(write(tmp_path, data)).envs
    assert envs["a"].virtualenv_python("wc") == "/v/wc/bin/python"
    assert envs["b"].virtualenv_python("wc") is None
    assert envs["c"].virtualenv_python("wc") is None
    assert envs["d"].virtualenv_python("wc") == "/w/shared/bin/python"
    assert envs["a"].install_virtualenv is True and envs["b"].install_virtualenv is False
    assert envs["c"].install_virtualenv is False and envs["d"].install_virtualenv is False
    assert envs["d"].warnings == ()


def test_nimbus_forms(tmp_path: Path) -> None:
    data = json.loads(json.dumps(BASE))
    data["envs"] = {
        "a": {"nimbus": "h1"},
        "b": {"nimbus": ["h1:1", "h2"]},
        "c": {"nimbus": "h1:1,h2:2"},
        "d": {"nimbus": "[::1]:7000"},
        "e": {"nimbus": ""},
    }
    cfg = load_config(write(tmp_path, data))
    assert cfg.envs["a"].nimbus == (HostPort("h1", 6627),)
    assert cfg.envs["b"].nimbus == (HostPort("h1", 1), HostPort("h2", 6627))
    assert cfg.envs["c"].nimbus == (HostPort("h1", 1), HostPort("h2", 2))
    assert cfg.envs["d"].nimbus == (HostPort("::1", 7000),)
    assert cfg.envs["d"].ui_url == "http://[::1]:8080"
    with pytest.raises(ConfigError, match=r"env 'e' has no Nimbus: set envs.e.nimbus"):
        cfg.envs["e"].require_nimbus()


def test_streamparse_nimbus_env_var_overrides(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, BASE))
    env = cfg.select_env("prod", environ={"STREAMPARSE_NIMBUS": "10.0.0.1"})
    assert env.nimbus == (HostPort("10.0.0.1", 6627),)
    assert env.nimbus_source == "$STREAMPARSE_NIMBUS"
    with pytest.raises(ConfigError, match="STREAMPARSE_NIMBUS"):
        cfg.select_env("prod", environ={"STREAMPARSE_NIMBUS": "h:notaport"})


def test_env_selection(tmp_path: Path) -> None:
    data = json.loads(json.dumps(BASE))
    data["envs"]["local"] = {"nimbus": "127.0.0.1"}
    cfg = load_config(write(tmp_path, data))
    with pytest.raises(ConfigError, match=r"several environments \(local, prod\).*-e"):
        cfg.select_env(environ={})
    with pytest.raises(
        ConfigError, match=r"no environment 'prd'.*did you mean 'prod'.*local, prod"
    ):
        cfg.select_env("prd", environ={})
    assert cfg.select_env("local", environ={}).name == "local"


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ('{"envs": {}, ', r"not valid JSON: .* line 1 column"),
        ("[1]", r"\(top level\) must be a JSON object"),
        ('{"envs": {}}', 'missing required key "topology_specs"'),
        ('{"topology_specs": "t/"}', 'missing required key "envs"'),
        ('{"topology_specs": 3, "envs": {}}', "topology_specs must be a string, not a number"),
        ('{"topology_specs": "t", "envs": []}', "envs must be an object"),
        ('{"topology_specs": "t", "envs": {"p": {"workers": 3}}}', "envs.p.workers must be a list"),
        ('{"topology_specs": "t", "envs": {"p": {"nimbus": 1}}}', "envs.p.nimbus must be"),
        ('{"topology_specs": "t", "envs": {"p": {"nimbus": "a:b:c"}}}', "IPv6"),
        ('{"topology_specs": "t", "envs": {"p": {"nimbus": "h:99999"}}}', "1-65535"),
        ('{"topology_specs": "t", "envs": {"p": {"ui.port": "80"}}}', "ui.port must be an int"),
        ('{"topology_specs": "t", "envs": {"p": {"use_virtualenv": "yes"}}}', "true or false"),
        ('{"topology_specs": "t", "envs": {"p": {"options": []}}}', "options must be an object"),
        ('{"topology_specs": "t", "envs": {"p": {"log": {"lvl": 1}}}}', "log.lvl is not a log"),
        ('{"topology_specs": "t", "envs": {"p": {"log": {"level": "loud"}}}}', "must be one of"),
        ('{"topology_specs": "t", "serializer": "xml", "envs": {}}', 'serializer must be "json"'),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, pattern: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=pattern) as info:
        load_config(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"does not exist.*quickstart.*--config"):
        load_config(tmp_path / "config.json")


def test_unknown_keys_are_warnings_and_ssh_settings_are_typed(tmp_path: Path) -> None:
    data = json.loads(json.dumps(BASE))
    data["extra"] = 1
    data["envs"]["prod"]["nimbs"] = "x"
    data["envs"]["prod"].update(
        {"use_ssh_for_nimbus": True, "ssh_key": "/k/id", "sudo_user": "storm", "user": "me"}
    )
    cfg = load_config(write(tmp_path, data))
    env = cfg.select_env(environ={})
    assert "extra is not a known top-level setting" in cfg.warnings[0]
    assert any("nimbs is not a known setting" in w and "'nimbus'" in w for w in env.warnings)
    assert len(env.warnings) == 1  # use_ssh_for_nimbus is acted on: no warning
    assert env.use_ssh_for_nimbus is True
    assert (env.ssh_key, env.sudo_user, env.user) == ("/k/id", "storm", "me")


def test_virtualenv_without_root(tmp_path: Path) -> None:
    data = json.loads(json.dumps(BASE))
    data["envs"]["prod"]["use_virtualenv"] = True
    env = load_config(write(tmp_path, data)).select_env(environ={})
    with pytest.raises(ConfigError, match="virtualenv_root"):
        env.virtualenv_python("wc")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1000", 1000),
        ("-3", -3),
        ("0.5", 0.5),
        ("1e3", 1000.0),
        ("true", True),
        ("True", True),
        ("FALSE", False),
        ("null", None),
        ("~", None),
        ("", None),
        ('"007"', "007"),
        ("'it''s'", "it's"),
        ("[1, 2]", [1, 2]),
        ("[a, b, 3]", ["a", "b", 3]),
        ("[]", []),
        ('{"a": [1]}', {"a": [1]}),
        ("-Xmx1g -Dx=y", "-Xmx1g -Dx=y"),
        ("hello world", "hello world"),
        ("yes", "yes"),
    ],
)
def test_option_values(text: str, value: Any) -> None:
    parsed = parse_option_value(text)
    assert parsed == value and type(parsed) is type(value)


def test_option_splits_on_first_equals() -> None:
    assert parse_option("topology.worker.childopts=-Da=b") == ("topology.worker.childopts", "-Da=b")
    with pytest.raises(ConfigError, match="not key=value"):
        parse_option("novalue")
    with pytest.raises(ConfigError, match="not key=value"):
        parse_option("=1")


def test_option_precedence(tmp_path: Path) -> None:
    data = json.loads(json.dumps(BASE))
    data["envs"]["prod"]["options"] = {
        "k.env": "env",
        "k.topo": "env",
        "k.cli": "env",
        "pystorm.log.path": "from-options",
        "topology.workers": 7,
    }
    data["envs"]["prod"]["log"] = {"path": "/logs", "level": "warning"}
    env = load_config(write(tmp_path, data)).select_env(environ={})
    conf = resolve_options(
        env,
        topology_config={"k.topo": "topo", "k.cli": "topo", "topology.acker.executors": 9},
        cli_options=[("k.cli", "cli"), ("topology.acker.executors", 4)],
        ackers=2,
    )
    assert conf["k.env"] == "env"
    assert conf["k.topo"] == "topo"
    assert conf["k.cli"] == "cli"
    assert conf["pystorm.log.path"] == "/logs"  # log beats env options
    assert conf["pystorm.log.level"] == "warning"
    assert conf["topology.acker.executors"] == 2  # -a beats -o and Topology.config
    assert conf["topology.workers"] == 7  # env option beats the worker-host default
    # no streamparse-only keys leak into the Storm conf
    assert not {"sudo_user", "use_virtualenv", "storm.workers.list"} & set(conf)


def test_debug_and_worker_defaults(tmp_path: Path) -> None:
    env = load_config(write(tmp_path, BASE)).select_env(environ={})
    conf = resolve_options(env, debug=True, workers=3)
    assert conf["topology.debug"] is True
    assert conf["pystorm.log.level"] == "debug"
    assert conf["topology.workers"] == 3
    assert conf["topology.acker.executors"] == 2  # number of worker hosts
    conf = resolve_options(env, cli_options={"topology.debug": True})
    assert conf["pystorm.log.level"] == "debug"
