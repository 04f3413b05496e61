"""submit, kill, list, activate, deactivate, rebalance and jar, in process, against a real
Thrift server (stormbridge.testing.nimbus.FakeNimbus) on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
import socket
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from stormbridge.cli.main import main
from stormbridge.storm.multilang import shell_command
from stormbridge.testing.nimbus import FakeNimbus
from stormbridge.thrift import storm_thrift

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def nimbus() -> Iterator[FakeNimbus]:
    with FakeNimbus() as fake:
        yield fake


def make_wordcount(root: Path, nimbus: str, **env: object) -> Path:
    """A copy of the repository's word-count project whose only env points at ``nimbus``."""
    shutil.copytree(REPO / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "topologies", root / "topologies")
    config = {
        "serializer": "json",
        "topology_specs": "topologies/",
        "envs": {
            "local": {
                "nimbus": nimbus,
                "options": {"topology.workers": 1, "topology.max.spout.pending": 10},
                "log": {"level": "info"},
                **env,
            }
        },
    }
    (root / "config.json").write_text(json.dumps(config))
    return root / "config.json"


@pytest.fixture
def config(tmp_path: Path, nimbus: FakeNimbus) -> Path:
    host, port = nimbus.address
    return make_wordcount(tmp_path / "wc", f"{host}:{port}")


def sparse(*argv: str) -> int:
    return main(list(argv))


def test_submit_builds_uploads_and_submits(
    config: Path, nimbus: FakeNimbus, capsys: pytest.CaptureFixture[str]
) -> None:
    code = sparse(
        "submit", "--config", str(config), "-o", "topology.max.spout.pending=500",
        "-o", "x.list=[a, b]", "-a", "2", "--wait", "0",
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    topo = nimbus.topologies["wordcount"]
    assert topo.status == "ACTIVE"
    jar = config.parent / "_build" / "wordcount.jar"
    assert nimbus.jars[topo.jar_location] == jar.read_bytes()
    assert f"Submitted topology wordcount as {topo.id} (ACTIVE)" in out
    assert f"({jar.stat().st_size / 1024:.1f} KiB)" in out
    # precedence: env options < log < Topology.config < -o < -a
    assert topo.conf["topology.max.spout.pending"] == 500
    assert topo.conf["topology.workers"] == 1
    assert topo.conf["topology.acker.executors"] == 2
    assert topo.conf["x.list"] == ["a", "b"]
    assert topo.conf["pystorm.log.level"] == "info"
    shell = shell_command(topo.topology.bolts["count_bolt"].bolt_object)
    assert shell is not None
    assert shell.execution_command == "python3"
    with zipfile.ZipFile(jar) as zf:
        assert f"resources/{shell.script}" in zf.namelist()
        assert "resources/bolts/wordcount.py" in zf.namelist()
    assert topo.topology.bolts["count_bolt"].common.parallelism_hint == 2


def test_submit_inactive_debug_python_and_override_name(
    config: Path, nimbus: FakeNimbus, capsys: pytest.CaptureFixture[str]
) -> None:
    code = sparse(
        "submit", "--config", str(config), "-i", "-d", "-N", "wc2", "--python", "/opt/bin/py3"
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    topo = nimbus.topologies["wc2"]
    assert topo.status == "INACTIVE"
    assert topo.conf["topology.debug"] is True and topo.conf["pystorm.log.level"] == "debug"
    shell = shell_command(topo.topology.spouts["word_spout"].spout_object)
    assert shell is not None
    assert shell.execution_command == "/opt/bin/py3"
    assert (config.parent / "_build" / "wc2.jar").is_file()


def test_submit_twice_is_already_alive_unless_forced(
    config: Path, nimbus: FakeNimbus, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sparse("submit", "--config", str(config)) == 0
    first = nimbus.topologies["wordcount"].id
    capsys.readouterr()
    assert sparse("submit", "--config", str(config)) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "topology 'wordcount' is already running on Nimbus" in err and "--force" in err
    assert nimbus.topologies["wordcount"].id == first
    assert sparse("submit", "--config", str(config), "--force", "--wait", "0") == 0
    out = capsys.readouterr().out
    assert "Killing the running topology wordcount" in out
    assert nimbus.topologies["wordcount"].id != first
    assert "killTopologyWithOpts" in nimbus.calls


def test_submit_shows_nimbus_rejection(
    config: Path, nimbus: FakeNimbus, capsys: pytest.CaptureFixture[str]
) -> None:
    t = storm_thrift()
    nimbus.fail_next(
        "submitTopologyWithOpts",
        t.InvalidTopologyException(msg="Component: [count_bolt] subscribes from non-existent"),
    )
    assert sparse("submit", "--config", str(config)) == 1
    err = capsys.readouterr().err
    last = err.splitlines()[-1]  # after the upload's progress lines
    assert last.startswith("sparse: error: Nimbus rejected the topology: Component: [count_bolt]")


def test_submit_with_prebuilt_jar(
    config: Path, nimbus: FakeNimbus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_jar = tmp_path / "prebuilt.jar"
    assert sparse("jar", "--config", str(config), "--output", str(out_jar)) == 0
    assert str(out_jar) in capsys.readouterr().out
    assert sparse("submit", "--config", str(config), "-j", str(out_jar)) == 0
    topo = nimbus.topologies["wordcount"]
    assert nimbus.jars[topo.jar_location] == out_jar.read_bytes()
    assert sparse("submit", "--config", str(config), "-j", str(tmp_path / "nope.jar")) == 1
    assert "is not a file" in capsys.readouterr().err


def test_unreachable_nimbus_fails_fast(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = make_wordcount(tmp_path / "wc", f"127.0.0.1:{port}")
    for argv in (["submit"], ["list"], ["kill", "-n", "x"]):
        started = time.monotonic()
        assert sparse(*argv, "--config", str(config), "--timeout", "2") == 1
        assert time.monotonic() - started < 30
        err = capsys.readouterr().err
        assert f"cannot reach Nimbus at 127.0.0.1:{port}" in err, err
        assert "is the cluster up?" in err


def test_list_kill_activate_deactivate_rebalance(
    config: Path, nimbus: FakeNimbus, capsys: pytest.CaptureFixture[str]
) -> None:
    c = ["--config", str(config)]
    assert sparse("list", *c) == 0
    assert "No topologies running on Nimbus" in capsys.readouterr().out
    assert sparse("submit", *c, "-N", "alpha") == 0
    assert sparse("submit", *c) == 0
    capsys.readouterr()

    assert sparse("list", *c) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "id", "status", "uptime", "workers", "executors", "tasks"]
    assert [line.split()[0] for line in lines[2:]] == ["alpha", "wordcount"]
    assert lines[2].split()[2] == "ACTIVE"

    assert sparse("deactivate", *c) == 0
    assert nimbus.topologies["wordcount"].status == "INACTIVE"
    assert "Deactivated topology wordcount" in capsys.readouterr().out
    assert sparse("activate", *c, "-n", "wordcount") == 0
    assert nimbus.topologies["wordcount"].status == "ACTIVE"

    assert sparse("rebalance", *c, "-w", "3", "-e", "count_bolt=4", "--wait", "1") == 0
    options = nimbus.topologies["wordcount"].rebalances[-1]
    assert (options.num_workers, options.num_executors, options.wait_secs) == (
        3,
        {"count_bolt": 4},
        1,
    )
    assert "3 workers, count_bolt=4 executors" in capsys.readouterr().out

    assert sparse("kill", *c, "-n", "alpha", "--wait", "0", "--block") == 0
    assert "alpha" not in nimbus.topologies
    assert "Killed topology alpha" in capsys.readouterr().out
    assert sparse("kill", *c, "-n", "alpha") == 1
    assert "no running topology has that name" in capsys.readouterr().err
    assert sparse("activate", *c, "-n", "ghost") == 1


def test_rebalance_executor_usage_errors(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sparse("rebalance", "--config", str(config), "-e", "local") == 2
    assert "on rebalance, -e is --executor" in capsys.readouterr().err
    assert sparse("rebalance", "--config", str(config), "-e", "bolt=0") == 2
    assert sparse("submit", "--config", str(config), "-w", "0") == 2
    assert sparse("submit", "--config", str(config), "--timeout", "-1") == 2


def test_jar_command(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sparse("jar", "--config", str(config)) == 0
    jar = config.parent / "_build" / "wordcount.jar"
    out = capsys.readouterr().out
    assert out.startswith(f"{jar} (") and "entries)" in out
    with zipfile.ZipFile(jar) as zf:
        names = zf.namelist()
    assert "resources/_stormbridge/boot/spouts.words.WordSpout.py" in names
    assert any(n.startswith("resources/stormbridge/") for n in names)
    assert sparse("jar", "--config", str(config), "--no-runtime", "-N", "slim") == 0
    with zipfile.ZipFile(config.parent / "_build" / "slim.jar") as zf:
        assert not any(n.startswith("resources/stormbridge/") for n in zf.namelist())


def test_missing_env_and_bad_name(
    tmp_path: Path, nimbus: FakeNimbus, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_wordcount(tmp_path / "wc", "127.0.0.1:1")
    data = json.loads(config.read_text())
    data["envs"]["prod"] = {"nimbus": ""}
    config.write_text(json.dumps(data))
    assert sparse("list", "--config", str(config)) == 1
    assert "several environments (local, prod): choose one with -e" in capsys.readouterr().err
    assert sparse("list", "--config", str(config), "-e", "prod") == 1
    assert "env 'prod' has no Nimbus" in capsys.readouterr().err
    assert sparse("submit", "--config", str(config), "-e", "local", "-n", "nope") == 1
    assert "no topology 'nope'" in capsys.readouterr().err
    assert sparse("submit", "--config", str(config), "-e", "local", "-N", "a.b") == 2  # usage
    assert "Invalid topology name 'a.b'" in capsys.readouterr().err
    assert not (config.parent / "_build").exists()  # refused before building anything
    assert sparse("stats", "--config", str(config), "-e", "prod", "-n", "x") == 1
    assert "env 'prod' names no Storm UI host: set envs.prod.ui.host" in capsys.readouterr().err


def test_msgpack_needs_a_java_serializer(
    tmp_path: Path, nimbus: FakeNimbus, capsys: pytest.CaptureFixture[str]
) -> None:
    host, port = nimbus.address
    config = make_wordcount(tmp_path / "wc", f"{host}:{port}", serializer="msgpack")
    assert sparse("submit", "--config", str(config)) == 1
    assert 'serializer "msgpack" needs a Java msgpack serializer' in capsys.readouterr().err
    assert nimbus.topologies == {}
    option = "topology.multilang.serializer=com.example.MsgpackSerializer"
    assert sparse("submit", "--config", str(config), "-o", option) == 0
    topo = nimbus.topologies["wordcount"]
    assert topo.conf["topology.multilang.serializer"] == "com.example.MsgpackSerializer"
    script = shell_command(topo.topology.spouts["word_spout"].spout_object).script  # type: ignore[union-attr]
    with zipfile.ZipFile(config.parent / "_build" / "wordcount.jar") as zf:
        assert b"SERIALIZER = 'msgpack'" in zf.read(f"resources/{script}")


def test_jar_merges_extra_jars_and_reads_project_clj(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(REPO / "project.clj", config.parent / "project.clj")  # Storm only: no Maven run
    extra = tmp_path / "extra.jar"
    with zipfile.ZipFile(extra, "w") as zf:
        zf.writestr("com/example/Thing.class", b"\xca\xfe\xba\xbe")
        zf.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
    assert sparse("jar", "--config", str(config), "--extra-jar", str(extra)) == 0
    assert "files merged from JVM jars" in capsys.readouterr().out
    with zipfile.ZipFile(config.parent / "_build" / "wordcount.jar") as zf:
        assert zf.read("com/example/Thing.class") == b"\xca\xfe\xba\xbe"
    assert sparse("jar", "--config", str(config), "--extra-jar", str(tmp_path / "no.jar")) == 1
    assert "--extra-jar" in capsys.readouterr().err


def test_silent_nimbus_times_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A server that accepts connections but never answers: the call gives up after
    --timeout, not later."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        config = make_wordcount(tmp_path / "wc", f"127.0.0.1:{port}")
        started = time.monotonic()
        assert sparse("list", "--config", str(config), "--timeout", "1.5") == 1
        elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert f"Nimbus at 127.0.0.1:{port} did not answer" in err and "is the cluster up?" in err
    assert elapsed < 20


def test_virtualenv_python_goes_into_the_boot_scripts(
    tmp_path: Path, nimbus: FakeNimbus, capsys: pytest.CaptureFixture[str]
) -> None:
    host, port = nimbus.address
    config = make_wordcount(
        tmp_path / "wc", f"{host}:{port}", virtualenv_root="/data/venvs", install_virtualenv=False
    )  # an existing virtualenv: nothing is deployed (tests/unit/deploy deploy one over SSH)
    assert sparse("submit", "--config", str(config), "-N", "wc-venv") == 0
    topo = nimbus.topologies["wc-venv"]
    script = shell_command(topo.topology.bolts["count_bolt"].bolt_object).script  # type: ignore[union-attr]
    with zipfile.ZipFile(config.parent / "_build" / "wc-venv.jar") as zf:
        boot = zf.read(f"resources/{script}")
    assert b"VIRTUALENV_PYTHON = '/data/venvs/wc-venv/bin/python'" in boot
    assert not any(k.startswith(("virtualenv", "use_virtualenv")) for k in topo.conf)
