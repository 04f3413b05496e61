"""Provisioning with the real Maven and javac: resume after an interruption, no-op when done."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stormbridge.cli.main import main
from stormbridge.errors import StormHomeError
from stormbridge.storm.home import StormHome, provision, resolve_home

pytestmark = [pytest.mark.storm, pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def home() -> StormHome:
    try:
        return resolve_home()
    except StormHomeError:
        return provision()


def test_provision_resumes_after_the_finished_steps(home: StormHome, tmp_path: Path) -> None:
    """An interrupted run that finished lib/ and lib-worker/ resumes with the next step."""
    target = tmp_path / f"storm-{home.version}"
    target.mkdir()
    for step in ("lib", "lib-worker"):
        shutil.copytree(home.path / step, target / step)
        (target / f".step-{step}").write_text("{}")
    (target / "lib-webapp.partial").mkdir()  # debris of the interrupted step
    said: list[str] = []
    result = provision(home.version, cache_root=tmp_path, progress=said.append)
    assert "  lib/: done earlier" in said
    assert "  lib-worker/: done earlier" in said
    assert not any(line.startswith("  lib/: storm-core") for line in said)
    assert not (target / "lib-webapp.partial").exists()
    assert (target / ".complete").exists()
    assert result.loopback_plugin
    assert (target / "log4j2" / "worker.xml").is_file()
    result.check()
    # done: a second run does nothing but say so
    again: list[str] = []
    provision(home.version, cache_root=tmp_path, progress=again.append)
    assert again == [f"Storm {home.version} is already provisioned at {target}"]


def test_cli_provision_prints_the_home(home: StormHome, capsys: pytest.CaptureFixture[str]) -> None:
    if home.official:
        pytest.skip("STORM_HOME points at an official distribution")
    assert main(["cluster", "provision"]) == 0
    assert capsys.readouterr().out.strip() == str(home.path)
