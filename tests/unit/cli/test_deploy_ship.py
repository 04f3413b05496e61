"""``"deploy": "ship"`` in config.json: parsed, validated, and the requirements it needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stormbridge.build.wheels import requirements_file
from stormbridge.errors import ConfigError, JarError
from stormbridge.project.config import load_config


def _config(tmp_path: Path, env: dict[str, Any], **top: Any) -> Path:
    data = {"topology_specs": "topologies/", "envs": {"prod": env}, **top}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return path


def test_deploy_ship_is_parsed(tmp_path: Path) -> None:
    cfg = load_config(_config(tmp_path, {"nimbus": "n:6627", "deploy": "ship"}))
    env = cfg.select_env("prod", environ={})
    assert env.deploy == "ship"
    assert env.warnings == ()
    assert env.requirements_name("wordcount") == "wordcount"
    named = load_config(_config(tmp_path, {"deploy": "ship", "virtualenv_name": "shared"}))
    assert named.select_env("prod", environ={}).requirements_name("wordcount") == "shared"
    plain = load_config(_config(tmp_path, {"nimbus": "n"}))
    assert plain.select_env("prod", environ={}).deploy is None


@pytest.mark.parametrize("value", ["scp", "", 1, True])
def test_a_bad_deploy_value_names_the_choices(tmp_path: Path, value: Any) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(_config(tmp_path, {"deploy": value}))
    assert "envs.prod.deploy" in str(info.value)


def test_shipping_needs_virtualenv_specs_and_the_file(tmp_path: Path) -> None:
    with pytest.raises(JarError, match='"virtualenv_specs": "virtualenvs/"'):
        requirements_file(None, "wc")
    (tmp_path / "virtualenvs").mkdir()
    with pytest.raises(JarError) as info:
        requirements_file(tmp_path / "virtualenvs", "wc")
    assert str(tmp_path / "virtualenvs" / "wc.txt") in str(info.value)
    (tmp_path / "virtualenvs" / "wc.txt").write_text("tabulate\n")
    assert requirements_file(tmp_path / "virtualenvs", "wc") == tmp_path / "virtualenvs" / "wc.txt"
