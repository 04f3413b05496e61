"""The remote scripts of tail/remove_logs run by a real shell on a real folder, the
virtualenv target's validation, hooks, and worker discovery from a (fake, real Thrift) Nimbus."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from stormbridge.deploy.hooks import env_config_dict, run_hooks
from stormbridge.deploy.logs import LogQuery, remove_script, tail_script
from stormbridge.deploy.nimbus import worker_hosts
from stormbridge.deploy.virtualenvs import VenvTarget
from stormbridge.errors import ConfigError, DeployError
from stormbridge.project.config import EnvConfig
from stormbridge.testing.nimbus import FakeNimbus
from stormbridge.thrift.nimbus import NimbusClient

HOSTILE = "wc'$(touch PWNED)`touch PWNED`;*"


def sh(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=30, check=False
    )


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    root = tmp_path / "logs"
    for topo, port, text in [
        ("wc-1-100", 6700, "a1\na2\na3\n"),
        ("wc-1-100", 6701, "b1\nb2\n"),
        ("wcx-2-200", 6700, "other\n"),
        (f"{HOSTILE}-3-300", 6700, "hostile\n"),
    ]:
        folder = root / "workers-artifacts" / topo / str(port)
        folder.mkdir(parents=True)
        (folder / "worker.log").write_text(text)
        (folder / "gc.log").write_text("gc\n")
    return root


def test_tail_reads_the_topologys_worker_logs_only(logs: Path, tmp_path: Path) -> None:
    done = sh(tail_script(LogQuery("wc", str(logs), pattern="worker"), lines=2), tmp_path)
    assert done.returncode == 0, done.stderr
    assert "a2\na3\n" in done.stdout and "b1\nb2\n" in done.stdout
    assert "a1" not in done.stdout and "other" not in done.stdout and "gc" not in done.stdout
    assert "==> ./wc-1-100/6700/worker.log <==" in done.stdout


def test_hostile_topology_name_and_pattern_stay_data(logs: Path, tmp_path: Path) -> None:
    done = sh(tail_script(LogQuery(HOSTILE, str(logs), pattern="';touch PWNED;'|worker")), tmp_path)
    assert done.returncode == 0, done.stderr
    assert "hostile" in done.stdout and "a1" not in done.stdout
    assert not (tmp_path / "PWNED").exists() and not (logs / "workers-artifacts/PWNED").exists()


def test_missing_logs_say_why(tmp_path: Path) -> None:
    done = sh(tail_script(LogQuery("wc", str(tmp_path / "nowhere"))), tmp_path)
    assert done.returncode == 4 and "no worker logs under" in done.stderr
    (tmp_path / "empty" / "workers-artifacts").mkdir(parents=True)
    done = sh(tail_script(LogQuery("wc", str(tmp_path / "empty"))), tmp_path)
    assert done.returncode == 5 and "no log files of this topology" in done.stderr


def test_remove_logs_files_and_all_artifacts(logs: Path, tmp_path: Path) -> None:
    done = sh(remove_script(LogQuery("wc", str(logs), pattern="gc")), tmp_path)
    assert done.stdout.strip() == "removed 2 file(s)", done.stderr
    assert not list(logs.glob("workers-artifacts/wc-1-100/*/gc.log"))
    assert (logs / "workers-artifacts/wcx-2-200/6700/gc.log").exists()
    done = sh(remove_script(LogQuery("wc", str(logs)), all_artifacts=True), tmp_path)
    assert done.stdout.strip() == "removed 1 folder(s)", done.stderr
    assert sorted(p.name for p in (logs / "workers-artifacts").iterdir()) == sorted(
        ["wcx-2-200", f"{HOSTILE}-3-300"]
    )


def env(**kw: object) -> EnvConfig:
    return EnvConfig(name="prod", **kw)  # type: ignore[arg-type]


def test_venv_target_validates_root_name_and_flags() -> None:
    t = VenvTarget.from_env(
        env(virtualenv_root="/data/venvs/", virtualenv_flags="-p /usr/bin/python3.11 --clear"),
        "wc",
    )
    assert (t.path, t.python, t.interpreter, t.flags) == (
        "/data/venvs/wc",
        "/data/venvs/wc/bin/python",
        "/usr/bin/python3.11",
        ("--clear",),
    )
    assert env(use_virtualenv=True, virtualenv_root="/data/venvs/").virtualenv_python("wc") == (
        t.python
    )
    assert VenvTarget.from_env(env(virtualenv_root="/v", virtualenv_name=HOSTILE), "wc").name == (
        HOSTILE
    )
    for bad_root in ("relative/venvs", "/", "~/venvs", "/v\nx"):
        with pytest.raises(ConfigError, match="must be an absolute path"):
            VenvTarget.from_env(env(virtualenv_root=bad_root), "wc")
    for bad_name in ("..", "a/b", "x\ny"):
        with pytest.raises(ConfigError, match="one path segment"):
            VenvTarget.from_env(env(virtualenv_root="/v", virtualenv_name=bad_name), "wc")
    with pytest.raises(ConfigError, match="sets no virtualenv_root"):
        VenvTarget.from_env(env(), "wc")
    with pytest.raises(ConfigError, match="needs an interpreter"):
        VenvTarget.from_env(env(virtualenv_root="/v", virtualenv_flags="--python"), "wc")


def test_workers_from_config_or_from_nimbus_supervisors() -> None:
    assert worker_hosts(env(workers=("w1", "w2", "w1")), None) == ("w1", "w2")
    with pytest.raises(DeployError, match="lists no workers"):
        worker_hosts(env(), None)
    with FakeNimbus() as fake, NimbusClient(*fake.address) as client:
        assert worker_hosts(env(), client) == ("127.0.0.1",)  # FakeNimbus's one supervisor


def test_hooks_run_in_order_and_failures_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"envs": {"prod": {"user": "u"}}}))
    (tmp_path / "helper.py").write_text("VALUE = 7\n")
    (tmp_path / "fabfile.py").write_text(
        "import helper\nCALLS = []\n"
        "def pre_submit(name, env_name, env_config, options):\n"
        "    import json, pathlib\n"
        "    pathlib.Path('out.json').write_text(json.dumps("
        "[name, env_name, env_config, options, helper.VALUE]))\n"
        "def post_submit(name, env_name, env_config, options):\n"
        "    raise RuntimeError('post failed')\n"
    )
    cfg = env_config_dict(tmp_path / "config.json", "prod")
    import os

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        called = run_hooks("pre_submit", tmp_path, "wc", "prod", cfg, {"topology.workers": 2})
        assert called == ["fabfile.py:pre_submit"]
        assert json.loads((tmp_path / "out.json").read_text()) == [
            "wc", "prod", {"user": "u"}, {"topology.workers": 2}, 7,
        ]  # fmt: skip
        with pytest.raises(DeployError, match=r"post_submit hook in .*fabfile.py failed: "):
            run_hooks("post_submit", tmp_path, "wc", "prod", cfg, {})
    finally:
        os.chdir(cwd)
    (tmp_path / "tasks.py").write_text("def pre_submit(:\n")
    with pytest.raises(DeployError, match=r"cannot load the hooks in .*tasks.py: SyntaxError"):
        run_hooks("pre_submit", tmp_path, "wc", "prod", cfg, {})
