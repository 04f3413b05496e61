"""``"deploy": "ship"`` on the worker side: the boot script builds the virtualenv from the
wheels the jar carries, offline, once per host and hash, and fails loudly.

Each test writes a real ``resources/`` tree (:func:`write_resources_dir`, the same tree the jar
holds) with a tiny project whose bolt imports a package that only a shipped wheel provides,
then runs the boot script as Storm does (``python3 _stormbridge/boot/<module.Class>.py`` in
``resources/``) and speaks the multilang handshake to it over real pipes.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from stormbridge.build.jar import build_jar
from stormbridge.build.resources import write_resources_dir
from stormbridge.build.wheels import (
    PIP_DIR,
    WHEELS_DIR,
    Wheelhouse,
    _pip_wheel_file,
    _rewrite,
    build_stormbridge_wheel,
    orjson_site,
)
from stormbridge.dsl.boot import WORKERENV_PATH, boot_script_path
from stormbridge.runtime import workerenv

pytestmark = pytest.mark.timeout(240)

CLASS = "bolts.probe.ProbeBolt"

PROBE_BOLT = """
import json
import os
import sys

import shipdemo  # only the shipped wheel provides it

from streamparse import Bolt


class ProbeBolt(Bolt):
    def initialize(self, conf, ctx):
        with open(os.path.join(conf["probe.dir"], "probe-%d.json" % os.getpid()), "w") as fh:
            json.dump({"prefix": sys.prefix, "value": shipdemo.VALUE}, fh)
"""


def _system_python() -> str:
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.access(candidate, os.X_OK):
            return candidate
    return sys.executable


def _wheel(dest: Path, name: str, *, requires: tuple[str, ...] = (), value: int = 42) -> Path:
    """A real, installable pure-Python wheel ``<name>-1.0`` with module ``<name>.py``."""
    info = f"{name}-1.0.dist-info"
    files = {
        f"{name}.py": f"VALUE = {value}\n".encode(),
        f"{info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"
            + "".join(f"Requires-Dist: {r}\n" for r in requires)
        ).encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    record = ""
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += f"{path},sha256={digest},{len(data)}\n"
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(out, "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return out


def _wheelhouse(wheels: list[Path], tmp_path: Path) -> Wheelhouse:
    digest = hashlib.sha256(b"".join(w.read_bytes() for w in wheels)).hexdigest()[:20]
    return Wheelhouse(
        requirements=tmp_path / "req.txt",
        directory=wheels[0].parent,
        wheels=tuple(wheels),
        pip_wheel=_pip_wheel_file(tmp_path / "cache"),
        digest=digest,
        cached=False,
        seconds=0.0,
    )


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "proj"
    (project / "src" / "bolts").mkdir(parents=True)
    (project / "src" / "bolts" / "__init__.py").write_text("")
    (project / "src" / "bolts" / "probe.py").write_text(PROBE_BOLT)
    return project


def _resources(tmp_path: Path, **kwargs: Any) -> Path:
    write_resources_dir(tmp_path / "worker", _project(tmp_path), class_paths=[CLASS], **kwargs)
    return tmp_path / "worker" / "resources"


def _start(resources: Path, tmp_path: Path, venv_root: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [_system_python(), boot_script_path(CLASS)],
        cwd=resources,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "STORMBRIDGE_VENV_ROOT": str(venv_root)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _handshake(tmp_path: Path) -> bytes:
    (tmp_path / "pids").mkdir(exist_ok=True)
    (tmp_path / "probe").mkdir(exist_ok=True)
    message = {
        "pidDir": str(tmp_path / "pids"),
        "conf": {"topology.name": "ship", "probe.dir": str(tmp_path / "probe")},
        "context": {"taskid": 3, "componentid": "probe", "task->component": {"3": "probe"}},
    }
    return (json.dumps(message) + "\nend\n").encode()


def _talk(proc: subprocess.Popen[bytes], tmp_path: Path) -> tuple[list[Any], str]:
    """Handshake, then EOF; the frames the process wrote and its stderr."""
    try:
        out, err = proc.communicate(_handshake(tmp_path), timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    frames = [json.loads(f) for f in out.split(b"\nend\n") if f.strip()]
    return frames, err.decode(errors="replace")


def test_first_start_builds_the_venv_offline_and_the_second_reuses_it(tmp_path: Path) -> None:
    wheelhouse = _wheelhouse([_wheel(tmp_path / "wh", "shipdemo")], tmp_path)
    resources = _resources(tmp_path, wheelhouse=wheelhouse)
    assert (resources / WORKERENV_PATH).is_file()
    assert (resources / WHEELS_DIR / "shipdemo-1.0-py3-none-any.whl").is_file()
    assert (resources / PIP_DIR / wheelhouse.pip_wheel.name).is_file()
    venvs = tmp_path / "venvs"

    started = time.monotonic()
    frames, err = _talk(_start(resources, tmp_path, venvs), tmp_path)
    first = time.monotonic() - started
    assert frames and "pid" in frames[0], err
    assert "building the virtualenv" in err and "built the virtualenv" in err, err
    venv = venvs / wheelhouse.digest
    assert json.loads((venv / workerenv.COMPLETE_MARKER).read_text())["hash"] == wheelhouse.digest
    (probe,) = [json.loads(p.read_text()) for p in (tmp_path / "probe").glob("*.json")]
    assert probe == {"prefix": str(venv), "value": 42}  # ran in the venv, with the wheel's module
    assert not (venv / "bin" / "pip").exists()  # pip ran from its wheel, not installed

    for p in (tmp_path / "probe").glob("*.json"):
        p.unlink()
    started = time.monotonic()
    frames, err = _talk(_start(resources, tmp_path, venvs), tmp_path)
    second = time.monotonic() - started
    assert frames and "pid" in frames[0], err
    assert "building" not in err, err
    (probe,) = [json.loads(p.read_text()) for p in (tmp_path / "probe").glob("*.json")]
    assert probe["prefix"] == str(venv)
    assert second < first, (first, second)


def test_two_concurrent_first_starts_build_once(tmp_path: Path) -> None:
    wheelhouse = _wheelhouse([_wheel(tmp_path / "wh", "shipdemo")], tmp_path)
    resources = _resources(tmp_path, wheelhouse=wheelhouse)
    venvs = tmp_path / "venvs"
    procs = [_start(resources, tmp_path, venvs) for _ in range(3)]
    results = [_talk(proc, tmp_path) for proc in procs]
    for frames, err in results:
        assert frames and "pid" in frames[0], err
    builds = [err for _, err in results if "building the virtualenv" in err]
    assert len(builds) == 1, [err for _, err in results]
    others = [err for _, err in results if "building the virtualenv" not in err]
    assert all("building" not in e or "another task is building" in e for e in others), others
    assert len(list((tmp_path / "probe").glob("*.json"))) == 3
    assert sorted(p.name for p in venvs.iterdir()) == [
        f".{wheelhouse.digest}.lock",
        wheelhouse.digest,
    ]


def test_a_failing_build_reports_to_storm_and_exits_non_zero(tmp_path: Path) -> None:
    # shipdemo needs a package that was not shipped: pip --no-index cannot install it
    wheel = _wheel(tmp_path / "wh", "shipdemo", requires=("notshipped>=1",))
    resources = _resources(tmp_path, wheelhouse=_wheelhouse([wheel], tmp_path))
    venvs = tmp_path / "venvs"
    proc = _start(resources, tmp_path, venvs)
    frames, err = _talk(proc, tmp_path)
    assert proc.returncode == 1
    assert "installing the shipped wheels" in err and "failed" in err, err
    assert "notshipped" in err, err
    # the multilang side: a handshake reply, then an error the UI shows as lastError
    assert frames[0] == {"pid": proc.pid}
    assert frames[1]["command"] == "error"
    assert "notshipped" in frames[1]["msg"]
    assert (tmp_path / "pids" / str(proc.pid)).exists()
    assert not list(venvs.glob(f"*/{workerenv.COMPLETE_MARKER}"))


def test_a_missing_configured_virtualenv_is_an_error_not_a_fallback(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "wc" / "bin" / "python"
    resources = _resources(tmp_path, virtualenv_python=str(missing))
    proc = _start(resources, tmp_path, tmp_path / "venvs")
    frames, err = _talk(proc, tmp_path)
    assert proc.returncode == 1
    assert f"the virtualenv interpreter {missing}" in err and "does not exist" in err, err
    assert frames[0] == {"pid": proc.pid}
    assert frames[1]["command"] == "error" and str(missing) in frames[1]["msg"]
    assert not list((tmp_path / "probe").glob("*.json"))  # the component never ran


def test_a_failure_without_storm_on_stdin_only_says_it_on_stderr(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "bin" / "python"
    resources = _resources(tmp_path, virtualenv_python=str(missing))
    done = subprocess.run(
        [_system_python(), boot_script_path(CLASS)],
        cwd=resources,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stdout == b""
    assert b"does not exist" in done.stderr


def test_the_default_root_follows_storm_local_dir(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv(workerenv.ROOT_ENV_VAR, raising=False)
    code_dir = tmp_path / "storm-local" / "supervisor" / "stormdist" / "t-1-2" / "resources"
    code_dir.mkdir(parents=True)
    assert workerenv.default_venv_root(str(code_dir)) == str(
        (tmp_path / "storm-local" / "stormbridge-venvs").resolve()
    )
    elsewhere = tmp_path / "resources"
    elsewhere.mkdir()
    assert workerenv.default_venv_root(str(elsewhere)).endswith("stormbridge-venvs")
    monkeypatch.setenv(workerenv.ROOT_ENV_VAR, "/data/venvs")
    assert workerenv.default_venv_root(str(code_dir)) == "/data/venvs"


def test_a_carried_site_is_used_only_where_it_loads() -> None:
    import importlib.machinery

    ext = importlib.machinery.EXTENSION_SUFFIXES[0]
    assert workerenv.site_matches({"ext": ext, "glibc": [2, 5]}) is (workerenv._glibc() is not None)
    assert not workerenv.site_matches({"ext": ".cpython-299-x86_64-linux-gnu.so", "glibc": []})
    assert not workerenv.site_matches({"ext": ext, "glibc": [99, 0]})


def test_the_carried_orjson_gives_a_bare_python_the_fast_codec(tmp_path: Path) -> None:
    site = orjson_site()
    if site is None:
        pytest.skip("orjson is not installed here as a manylinux wheel")
    python = _system_python()
    resources = _resources(tmp_path, sites=[site])
    # the boot script's first part, then: is orjson importable, and from where?
    script = (resources / boot_script_path(CLASS)).read_text()
    head = script.split("_here = ", 1)[0]
    check = head + "import orjson, json; print(json.dumps(orjson.__file__))\n"
    (resources / "_stormbridge" / "boot" / "check.py").write_text(check)
    done = subprocess.run(
        [python, "-I", "_stormbridge/boot/check.py"],
        cwd=resources,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        timeout=60,
    )
    matches = workerenv.site_matches(site.boot_site())  # this test runs on the same platform
    plain = subprocess.run([python, "-I", "-c", "import orjson"], capture_output=True, timeout=60)
    if plain.returncode == 0:
        pytest.skip(f"{python} has orjson installed itself")
    if matches and site.ext in _suffixes(python):
        assert done.returncode == 0, done.stderr.decode()
        assert json.loads(done.stdout).startswith(str(resources / site.directory))
    else:
        assert done.returncode != 0


def _suffixes(python: str) -> list[str]:
    out = subprocess.run(
        [
            python,
            "-c",
            "import importlib.machinery as m, json; print(json.dumps(m.EXTENSION_SUFFIXES))",
        ],
        capture_output=True,
        timeout=60,
        check=True,
    )
    return list(json.loads(out.stdout))


def test_the_jar_carries_the_wheels_pip_and_workerenv(tmp_path: Path) -> None:
    wheelhouse = _wheelhouse([_wheel(tmp_path / "wh", "shipdemo")], tmp_path)
    info = build_jar(
        _project(tmp_path),
        tmp_path / "t.jar",
        class_paths=[CLASS],
        wheelhouse=wheelhouse,
        venv_root="/data/venvs",
    )
    with zipfile.ZipFile(info.path) as zf:
        names = zf.namelist()
        boot = zf.read(f"resources/{boot_script_path(CLASS)}").decode()
        carried = zf.read(f"resources/{WHEELS_DIR}/shipdemo-1.0-py3-none-any.whl")
    assert carried == wheelhouse.wheels[0].read_bytes()
    assert f"resources/{PIP_DIR}/{wheelhouse.pip_wheel.name}" in names
    assert f"resources/{WORKERENV_PATH}" in names
    assert f"'hash': '{wheelhouse.digest}'" in boot and "'root': '/data/venvs'" in boot
    without = build_jar(_project(tmp_path / "b"), tmp_path / "b.jar", class_paths=[CLASS])
    assert info.size - without.size > wheelhouse.pip_wheel.stat().st_size * 0.9


def test_requirements_are_rewritten_for_pip_wheel(tmp_path: Path) -> None:
    (tmp_path / "base.txt").write_text("six\n")
    req = tmp_path / "wc.txt"
    req.write_text("# deps\nStormBridge[fast]>=0.1  # ours\ntabulate==0.9.0\n-r base.txt\n\n")
    wheel = tmp_path / "stormbridge-0.1.0-py3-none-any.whl"
    lines, names_it = _rewrite(req, wheel)
    assert names_it
    assert lines == [
        f"{wheel}[fast]",
        "tabulate==0.9.0",
        f"-r {tmp_path / 'base.txt'}",
        "orjson>=3.9",
    ]
    req.write_text("orjson==3.10.0\n")
    assert _rewrite(req, None) == (["orjson==3.10.0"], False)


def test_the_stormbridge_wheel_is_built_from_the_installed_package(tmp_path: Path) -> None:
    wheel = build_stormbridge_wheel(tmp_path / "a")
    with zipfile.ZipFile(wheel) as zf:  # reproducible: no build time or machine in it
        infos = zf.infolist()
        version = importlib.metadata.version("stormbridge")
        record = zf.read(f"stormbridge-{version}.dist-info/RECORD").decode()
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert [line.split(",")[0] for line in record.splitlines()] == [i.filename for i in infos]
    assert "stormbridge/runtime/workerenv.py" in record and "streamparse/__init__.py" in record
    target = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--no-index", "--no-deps", "--quiet"]
    subprocess.run(
        [*pip, "--target", str(target), str(wheel)], check=True, capture_output=True, timeout=120
    )
    code = (
        f"import sys; sys.path.insert(0, {str(target)!r}); "
        "import stormbridge.runtime.run, streamparse, pystorm; print(stormbridge.__file__)"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(target))
