"""``python -m stormbridge.ui`` as a real subprocess: serves, answers, stops on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from stormbridge.ui.__main__ import main

from .conftest import request
from .scripted_nimbus import ScriptedNimbus

DEADLINE = 30.0


def read_url(proc: subprocess.Popen[str], lines: list[str]) -> str | None:
    """The URL from the server's 'listening on' line (stderr), or None on EOF."""
    assert proc.stderr is not None
    for line in proc.stderr:
        lines.append(line)
        match = re.search(r"listening on (http://\S+)", line)
        if match:
            return match.group(1)
    return None


@pytest.fixture
def ui_process(nimbus: ScriptedNimbus) -> Iterator[tuple[subprocess.Popen[str], str]]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stormbridge.ui",
            "--nimbus",
            f"127.0.0.1:{nimbus.port}",
            "--port",
            "0",
            "--timeout",
            "5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: list[str] = []
    found: list[str | None] = []
    reader = threading.Thread(target=lambda: found.append(read_url(proc, lines)), daemon=True)
    reader.start()
    reader.join(timeout=DEADLINE)
    try:
        if not found or found[0] is None:
            proc.kill()
            proc.wait(timeout=DEADLINE)
            pytest.fail("the UI server did not start:\n" + "".join(lines))
        url = found[0]
        assert url is not None
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=DEADLINE)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_serves_then_stops_cleanly_on_sigterm(
    ui_process: tuple[subprocess.Popen[str], str],
) -> None:
    proc, url = ui_process
    assert url.startswith("http://127.0.0.1:")  # loopback by default
    reply = request(url + "/api/v1/topology/summary")
    assert reply.status == 200
    assert reply.json()["topologies"][0]["name"] == "wordcount"
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the UI server ignored SIGTERM")
    assert code == 0
    assert proc.stderr is not None
    assert "Traceback" not in proc.stderr.read()


@pytest.mark.parametrize(
    "argv",
    [["--port", "x"], ["--nimbus", "h:notaport"], ["--timeout", "0"], ["--port", "70000"]],
)
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_port_in_use_exits_1(nimbus: ScriptedNimbus, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code = main(["--nimbus", f"127.0.0.1:{nimbus.port}", "--port", str(port), "--quiet"])
    assert code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_importing_the_package_is_light() -> None:
    code = (
        "import sys, stormbridge.ui, stormbridge.ui.api; "
        "print(sorted(m for m in ('thriftpy2', 'http.server') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=DEADLINE, check=True
    ).stdout
    assert out.strip() == "[]"
