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

from stormbridge.build.jar import build_jar
from stormbridge.build.resources import RUNTIME_PACKAGES
from stormbridge.dsl.boot import boot_script_path

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [
    pytest.mark.skipif(
        not (ROOT / "stormbridge" / "runtime" / "run.py").is_file(),
        reason="stormbridge/runtime/run.py (the worker runtime) is not written yet",
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


def _unpacked_jar(tmp_path: Path) -> Path:
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
    return worker


def _skip_if_installed(python: str, tmp_path: Path) -> None:
    outside = subprocess.run(
        [python, "-I", "-c", "import stormbridge"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        timeout=60,
    )
    if outside.returncode == 0:
        pytest.skip(f"{python} has stormbridge installed: it cannot show that the jar is enough")


@pytest.mark.parametrize("class_path", ["bolts.wordcount.WordCountBolt", "spouts.words.WordSpout"])
def test_boot_script_from_the_jar_answers_the_handshake(tmp_path: Path, class_path: str) -> None:
    worker = _unpacked_jar(tmp_path)
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
    _skip_if_installed(python, tmp_path)
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


_PROBE = """
import importlib, json, sys
from bolts.wordcount import WordCountBolt  # what the boot script loads
import pystorm, streamparse
ours = ("stormbridge", "streamparse", "pystorm")
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ours)
missing = []
for name in ("stormbridge.dsl", "stormbridge.thrift", "stormbridge.build", "stormbridge.project",
             "stormbridge.storm", "stormbridge.ui", "stormbridge.cli", "stormbridge.testing",
             "streamparse.dsl", "streamparse.util"):
    try:
        importlib.import_module(name)
    except ModuleNotFoundError:
        missing.append(name)
try:
    WordCountBolt.spec()
    spec_error = None
except Exception as exc:
    spec_error = type(exc).__name__ + ": " + str(exc)
print(json.dumps({"loaded": loaded, "missing": missing, "spec_error": spec_error}))
"""


def test_unpacked_jar_runs_a_bolt_with_only_the_runtime_importable(tmp_path: Path) -> None:
    """The jar carries the runtime alone: a bolt counts words from it, and nothing else of
    stormbridge (DSL, Thrift, build, CLI, UI, ...) can be imported on the worker."""
    worker = _unpacked_jar(tmp_path)
    python = _system_python()
    _skip_if_installed(python, tmp_path)
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    probe = subprocess.run(
        [python, "-I", "-c", "import sys, os; sys.path.insert(0, os.getcwd())\n" + _PROBE],
        cwd=worker,
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr.decode(errors="replace")
    report = json.loads(probe.stdout)
    assert report["missing"] == [
        "stormbridge.dsl",
        "stormbridge.thrift",
        "stormbridge.build",
        "stormbridge.project",
        "stormbridge.storm",
        "stormbridge.ui",
        "stormbridge.cli",
        "stormbridge.testing",
        "streamparse.dsl",
        "streamparse.util",
    ]
    assert all(
        m.startswith(("stormbridge.runtime", "streamparse", "pystorm"))
        or m in ("stormbridge", "stormbridge.errors")
        for m in report["loaded"]
    ), report["loaded"]
    assert "the stormbridge DSL" in report["spec_error"]

    # And the bolt really runs there: handshake, a tuple in, the count out, the ack.
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    handshake = {
        "pidDir": str(pid_dir),
        "conf": {"topology.name": "wordcount"},
        "context": {
            "taskid": 3,
            "componentid": "count_bolt",
            "task->component": {"1": "__acker", "2": "word_spout", "3": "count_bolt"},
        },
    }
    tup = {"id": "t1", "comp": "word_spout", "stream": "default", "task": 2, "tuple": ["dog"]}
    messages = [handshake, tup]
    proc = subprocess.run(
        [python, "-I", boot_script_path("bolts.wordcount.WordCountBolt")],
        cwd=worker,
        env=env,
        input=b"".join(json.dumps(m).encode() + b"\nend\n" for m in messages),
        capture_output=True,
        timeout=60,
    )
    replies = [json.loads(f) for f in proc.stdout.split(b"\nend\n") if f.strip()]
    err = proc.stderr.decode(errors="replace")
    assert replies[0] == {"pid": replies[0]["pid"]}, err
    emits = [r for r in replies if r.get("command") == "emit"]
    acks = [r for r in replies if r.get("command") == "ack"]
    assert [e["tuple"] for e in emits] == [["dog", 10]], err
    assert emits[0]["anchors"] == ["t1"]
    assert [a["id"] for a in acks] == ["t1"], err
