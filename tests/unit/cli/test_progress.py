"""Progress output: `sparse submit`'s upload bar in a real pty and plain lines when piped
(against the in-process FakeNimbus), and ProgressView's plain lines."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from stormbridge.cli._progress import ProgressView
from stormbridge.storm.maven import StepProgress
from stormbridge.testing.nimbus import FakeNimbus

from .test_nimbus_commands import make_wordcount

JAR_BYTES = 1_000_000  # four 300 KB chunks


def big_jar(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("resources/blob.bin", os.urandom(JAR_BYTES))
    return path


def submit_argv(config: Path, jar: Path) -> list[str]:
    return [
        sys.executable, "-m", "stormbridge.cli.main", "submit", "--config", str(config),
        "-j", str(jar), "--wait", "0",
    ]  # fmt: skip


def run_in_pty(argv: list[str], timeout: float = 60.0) -> tuple[int, str]:
    """Run ``argv`` with a pseudo-terminal as stdout and stderr; return (exit code, output)."""
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        else:
            proc.kill()
            raise AssertionError(f"{argv} did not finish in {timeout} s")
    finally:
        os.close(master)
    return proc.wait(timeout=10), b"".join(chunks).decode("utf-8", "replace")


def test_upload_bar_on_a_terminal(tmp_path: Path) -> None:
    with FakeNimbus() as nimbus:
        host, port = nimbus.address
        config = make_wordcount(tmp_path / "wc", f"{host}:{port}")
        jar = big_jar(tmp_path / "big.jar")
        code, out = run_in_pty(submit_argv(config, jar))
        assert code == 0, out
        assert len(nimbus.chunk_sizes) == 4
    assert "upload big.jar" in out
    assert "━" in out  # rich's bar
    assert "\x1b[" in out  # drawn in place with terminal control sequences
    kib = f"{jar.stat().st_size / 1024:.1f}"
    assert f"{kib}/{kib} KiB" in out  # the finished bar: all bytes, binary units
    assert "Submitted topology wordcount" in out


def test_upload_plain_lines_when_piped(tmp_path: Path) -> None:
    with FakeNimbus() as nimbus:
        host, port = nimbus.address
        config = make_wordcount(tmp_path / "wc", f"{host}:{port}")
        jar = big_jar(tmp_path / "big.jar")
        proc = subprocess.run(
            submit_argv(config, jar), capture_output=True, text=True, timeout=60, check=False
        )
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stderr + proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("upload big.jar")]
    size = jar.stat().st_size
    assert lines[0] == f"upload big.jar: {size / 1024:.1f} KiB"
    # 4 chunks of 300 KB in a ~1 MB jar: 29%, 59%, 88% cross the 25/50/75% marks once each
    assert [ln.split(": ")[1].split(" ")[0] for ln in lines[1:4]] == ["25%", "50%", "75%"]
    assert lines[4].startswith(f"upload big.jar: done, {size / 1024:.1f} KiB in ")
    assert len(lines) == 5
    assert "Submitted topology wordcount" in proc.stdout


def test_plain_transfer_quarters_once_each() -> None:
    out = io.StringIO()
    with ProgressView(out) as view:
        assert not view.live
        update = view.transfer("copy", 1000)
        for done in (10, 260, 270, 999, 1000, 1000):
            update(done, 1000)
    assert out.getvalue().splitlines() == [
        "copy: 1000 B",
        "copy: 25% (260 B of 1000 B)",
        "copy: 75% (999 B of 1000 B)",
        out.getvalue().splitlines()[3],
    ]
    assert out.getvalue().splitlines()[3].startswith("copy: done, 1000 B in ")


def test_plain_provision_steps_stay_quiet_until_the_interval(monkeypatch: object) -> None:
    out = io.StringIO()
    with ProgressView(out) as view:
        view.provision_step(StepProgress("lib", 1, 3, downloads=2, download_bytes=2048))
        view.provision_step(StepProgress("lib", 1, 3, downloads=5, download_bytes=4096))
        view._last_plain["lib"] -= 60  # as if a minute went by
        view.provision_step(StepProgress("lib", 1, 3, downloads=9, download_bytes=2**20, jars=3))
        view.provision_step(StepProgress("lib", 1, 3, downloads=9, jars=40, done=True))
    assert out.getvalue() == "  [1/3] lib/: 9 files downloaded (1.0 MiB), 3 jars so far\n"
