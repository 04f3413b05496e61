"""A boot script from a built jar starts the shipped runtime with a bare system ``python3``.

This mimics what Storm does on a worker host: unpack ``resources/``, make it the working
directory and run ``[python3, "_stormbridge/boot/<module.Class>.py"]`` with no virtualenv and
none of the developer's environment. The process must answer the multilang handshake.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from stormbridge.boot import boot_script_path
from stormbridge.jar import build_jar
from stormbridge.resources import RUNTIME_PACKAGES

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [
    pytest.mark.skipif(
        not (ROOT / "stormbridge" / "run.py").is_file(),
        reason="stormbridge/run.py (the worker runtime) is not written yet",
    ),
    pytest.mark.skipif(
        not all((ROOT / p / "__init__.py").is_file() for p in RUNTIME_PACKAGES),
        reason="the streamparse/pystorm compatibility packages are not written yet",
    ),
]


def _system_python() -> str:
    """A python3 outside our virtualenv, as a worker host would have it."""
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.access(candidate, os.X_OK):
            return candidate
    return sys.executable  # still isolated below by -I and a clean environment


@pytest.mark.parametrize("class_path", ["bolts.wordcount.WordCountBolt", "spouts.words.WordSpout"])
def test_boot_script_from_the_jar_answers_the_handshake(tmp_path: Path, class_path: str) -> None:
    info = build_jar(
        ROOT,
        tmp_path / "wc.jar",
        class_paths=["bolts.wordcount.WordCountBolt", "spouts.words.WordSpout"],
    )
    worker = tmp_path / "worker"
    with zipfile.ZipFile(info.path) as zf:  # what Storm does: only resources/, prefix stripped
        for name in zf.namelist():
            if name.startswith("resources/") and not name.endswith("/"):
                target = worker / name.removeprefix("resources/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(name))
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    component = "count_bolt" if "Bolt" in class_path else "word_spout"
    handshake = {
        "pidDir": str(pid_dir),
        "conf": {"topology.name": "wordcount"},
        "context": {
            "taskid": 3,
            "componentid": component,
            "task->component": {"1": "__acker", "2": "word_spout", "3": component},
            "streams": ["default"],
            "stream->outputfields": {"default": ["word"]},
        },
    }
    python = _system_python()
    outside = subprocess.run(
        [python, "-I", "-c", "import stormbridge"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        timeout=60,
    )
    if outside.returncode == 0:
        pytest.skip(f"{python} has stormbridge installed: it cannot show that the jar is enough")
    # -I: isolated mode (no user site, no PYTHON* variables, no script dir on sys.path), so
    # only the interpreter's standard library and the unpacked resources/ are importable.
    proc = subprocess.Popen(
        [python, "-I", boot_script_path(class_path)],
        cwd=worker,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        # Handshake, then EOF: the runtime must reply with its pid and then exit on EOF.
        out, err = proc.communicate((json.dumps(handshake) + "\nend\n").encode(), timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    first = out.split(b"\nend\n", 1)[0]
    assert first, f"no reply; exit {proc.returncode}; stderr:\n{err.decode(errors='replace')}"
    reply = json.loads(first)
    assert reply == {"pid": proc.pid}, err.decode(errors="replace")
    assert (pid_dir / str(proc.pid)).exists()
    shutil.rmtree(worker)
