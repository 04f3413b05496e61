"""scripts/system-deps.sh: `run` installs what running needs, `test` adds what only the tests
need (Chromium). Run for real with stand-in programs on PATH; apt-get records what it is
asked to install."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "system-deps.sh"


def _stub(bindir: Path, name: str, body: str) -> None:
    path = bindir / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def machine(tmp_path: Path, *present: str) -> tuple[dict[str, str], Path]:
    """A PATH with the basic tools, Java 17, javac, mvn and python3, plus ``present``;
    apt-get and sudo append their arguments to a log."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("grep", "id", "sh"):
        real = subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True, text=True)
        (bindir / tool).symlink_to(real.stdout.strip())
    (bindir / "python3").symlink_to(sys.executable)
    _stub(bindir, "java", "echo 'openjdk version \"17.0.9\" 2023-10-17' >&2")
    for name in ("javac", "mvn", *present):
        _stub(bindir, name, "exit 0")
    log = tmp_path / "apt.log"
    _stub(bindir, "apt-get", f'echo "$@" >> {log}')
    _stub(bindir, "sudo", '"$@"')
    return {"PATH": str(bindir), "HOME": str(tmp_path)}, log


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    bash = subprocess.run(["sh", "-c", "command -v bash"], capture_output=True, text=True)
    return subprocess.run(
        [bash.stdout.strip(), str(SCRIPT), *args], env=env, capture_output=True, text=True
    )


def installed(log: Path) -> list[str]:
    lines = [ln for ln in log.read_text().splitlines() if ln.startswith("install")]
    assert len(lines) == 1, lines
    return [w for w in lines[0].split() if not w.startswith("-") and w != "install"]


def test_run_installs_graphviz_but_not_chromium(tmp_path: Path) -> None:
    env, log = machine(tmp_path)
    proc = run(env)  # "run" is the default
    assert proc.returncode == 0, proc.stderr
    packages = installed(log)
    assert "graphviz" in packages
    assert "chromium" not in packages
    assert "update -q" in log.read_text()


def test_test_adds_chromium(tmp_path: Path) -> None:
    env, log = machine(tmp_path, "dot")
    proc = run(env, "test")
    assert proc.returncode == 0, proc.stderr
    packages = installed(log)
    assert "chromium" in packages
    assert "graphviz" not in packages  # dot is present


def test_nothing_missing_installs_nothing(tmp_path: Path) -> None:
    env, log = machine(tmp_path, "dot")
    proc = run(env, "run")
    assert proc.returncode == 0, proc.stderr
    assert "everything is present" in proc.stdout
    assert not log.exists()


def test_unknown_purpose_is_a_usage_error(tmp_path: Path) -> None:
    env, log = machine(tmp_path)
    proc = run(env, "everything")
    assert proc.returncode == 2
    assert "usage:" in proc.stderr
    assert not log.exists()
    assert os.access(SCRIPT, os.X_OK)
