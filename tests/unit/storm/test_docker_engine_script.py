"""scripts/docker-engine.sh without a daemon: `deps` installs only what is missing (apt-get is
a stand-in that records its arguments), bad use names the fix. The engine itself is started for
real by tests/integration/docker/test_docker_cluster.py."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "docker-engine.sh"
BASH = shutil.which("bash") or "/bin/bash"


def machine(tmp_path: Path, *present: str) -> tuple[dict[str, str], Path]:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("id", "sh", "cat", "dirname"):
        real = shutil.which(tool)
        assert real, tool
        (bindir / tool).symlink_to(real)
    log = tmp_path / "apt.log"
    stubs = {"apt-get": f'echo "$@" >> {log}', "sudo": '"$@"'}
    stubs.update({name: "exit 0" for name in present})
    for name, body in stubs.items():
        (bindir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bindir / name).chmod(0o755)
    return {"PATH": str(bindir), "HOME": str(tmp_path)}, log


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BASH, str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_deps_installs_only_what_is_missing(tmp_path: Path) -> None:
    env, log = machine(tmp_path, "dockerd")
    proc = run(env, "deps")
    assert proc.returncode == 0, proc.stderr
    installs = [ln for ln in log.read_text().splitlines() if ln.startswith("install")]
    assert len(installs) == 1
    assert installs[0].split()[-2:] == ["docker-compose", "debootstrap"]
    assert "docker.io" not in installs[0]


def test_deps_does_nothing_when_everything_is_there(tmp_path: Path) -> None:
    env, log = machine(tmp_path, "dockerd", "docker-compose", "debootstrap")
    proc = run(env, "deps")
    assert proc.returncode == 0, proc.stderr
    assert "are present" in proc.stdout
    assert not log.exists()


def test_bad_use_says_what_to_do(tmp_path: Path) -> None:
    env, _ = machine(tmp_path)
    usage = run(env, "launch")
    assert usage.returncode == 2
    assert "usage:" in usage.stderr
    base = run(env, "base")
    assert base.returncode == 1
    assert "set DOCKER_HOST" in base.stderr
    start = run(env, "start", str(tmp_path / "engine"))
    assert start.returncode == 1
    assert "dockerd" in start.stderr  # not root, or dockerd missing: either is named
