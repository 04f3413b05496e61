"""`sparse container ROLE` (the Docker image's entrypoint): settings, storm.yaml, claims."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stormbridge.cli.main import main
from stormbridge.errors import ClusterError, ConfigError
from stormbridge.storm.config import ClusterSpec, render_storm_yaml
from stormbridge.storm.container import (
    ContainerSettings,
    claim_supervisor_index,
    plan_container,
)
from stormbridge.storm.home import LOOPBACK_JAR, StormHome


def parse_yaml(text: str) -> dict[str, Any]:
    """Our storm.yaml is `key: <json>` lines (quoted keys for extra settings)."""
    out: dict[str, Any] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, sep, value = line.partition(": ")
        assert sep, line
        key = json.loads(key) if key.startswith('"') else key
        assert key not in out, f"duplicate key {key}"
        out[key] = json.loads(value)
    return out


@pytest.fixture
def home(tmp_path: Path) -> StormHome:
    path = tmp_path / "storm-2.8.3"
    for sub in ("lib", "lib-worker", "extlib", "extlib-daemon", "conf", "log4j2"):
        (path / sub).mkdir(parents=True)
    (path / "extlib" / LOOPBACK_JAR).write_bytes(b"PK")
    return StormHome(path=path, version="2.8.3")


def settings(tmp_path: Path, **env: str) -> ContainerSettings:
    return ContainerSettings.from_env({"STORMBRIDGE_STATE": str(tmp_path / "state"), **env})


def test_supervisors_get_distinct_hostnames_and_the_ports_of_sparse_cluster_up(
    tmp_path: Path, home: StormHome
) -> None:
    s = settings(tmp_path, STORMBRIDGE_PORT_OFFSET="20000", STORMBRIDGE_SLOTS="2")
    confs = []
    for index in range(3):
        plan = plan_container("supervisor", s, home, "/usr/bin/java", supervisor_index=index)
        (path, text), *_ = plan.files.items()
        assert path.name == f"supervisor-{index}.yaml"
        confs.append(parse_yaml(text))
        assert plan.argv[-1] == "org.apache.storm.daemon.supervisor.Supervisor"
        assert f"-Dstorm.conf.file={path}" in plan.argv
    assert [c["storm.local.hostname"] for c in confs] == ["127.0.1.1", "127.0.1.2", "127.0.1.3"]
    assert [c["supervisor.thrift.port"] for c in confs] == [26628, 26641, 26642]
    assert [c["supervisor.slots.ports"] for c in confs] == [
        [26700, 26701],
        [26702, 26703],
        [26704, 26705],
    ]
    for conf in confs:  # every supervisor finds ZooKeeper and Nimbus on the nimbus host
        assert conf["storm.zookeeper.servers"] == ["127.0.0.1"]
        assert conf["nimbus.seeds"] == ["127.0.0.1"]
        assert conf["nimbus.thrift.port"] == 26627
        assert conf["stormbridge.thrift.bind.host"] == conf["storm.local.hostname"]
    # The same settings `sparse cluster up` renders for supervisor 2, apart from where it is.
    local = parse_yaml(
        render_storm_yaml(
            ClusterSpec(state_dir=tmp_path / "state", supervisors=3, port_offset=20000,
                        loopback_thrift=True, log_dir=tmp_path / "state" / "logs"),
            "supervisor-2",
        )
    )  # fmt: skip
    differ = {k for k in local if local[k] != confs[2].get(k)}
    # (ui.host, where the template has it, is this host's address too)
    assert {"storm.local.hostname", "stormbridge.thrift.bind.host"} <= differ
    assert differ <= {"storm.local.hostname", "stormbridge.thrift.bind.host", "ui.host"}
    assert set(confs[2]) == set(local)


def test_nimbus_zookeeper_and_ui_share_the_nimbus_conf(tmp_path: Path, home: StormHome) -> None:
    s = settings(tmp_path, STORMBRIDGE_PORT_OFFSET="100", STORMBRIDGE_METRICS_SECS="5")
    zk = plan_container("zookeeper", s, home, "/usr/bin/java")
    names = {p.name for p in zk.files}
    assert names == {"storm.yaml", "zoo.cfg"}
    zoo = next(t for p, t in zk.files.items() if p.name == "zoo.cfg")
    assert "clientPort=2281" in zoo.splitlines()
    assert "clientPortAddress=127.0.0.1" in zoo.splitlines()
    nimbus = plan_container("nimbus", s, home, "/usr/bin/java")
    conf = parse_yaml(next(iter(nimbus.files.values())))
    assert conf["nimbus.thrift.port"] == 6727
    assert conf["executor.metrics.frequency.secs"] == 5
    assert conf["storm.local.hostname"] == "127.0.0.1"
    ui = plan_container("ui", s, home, "/usr/bin/java", python="/opt/sb/bin/python")
    assert ui.argv[:3] == [sys.executable, "-m", "stormbridge.ui"]
    assert ui.argv[ui.argv.index("--port") + 1] == "8180"
    assert ui.argv[ui.argv.index("--nimbus") + 1] == "127.0.0.1:6727"
    assert ui.env["PATH"].split(os.pathsep)[0] == "/opt/sb/bin"
    assert ui.env["JAVA_HOME"] == str(Path("/usr/bin/java").resolve().parent.parent)


def test_ui_on_another_host_reads_nimbus_where_it_runs(tmp_path: Path, home: StormHome) -> None:
    s = settings(tmp_path, STORMBRIDGE_HOST="0.0.0.0", STORMBRIDGE_NIMBUS_HOST="nimbus")
    ui = plan_container("ui", s, home, "/usr/bin/java")
    assert ui.argv[ui.argv.index("--host") + 1] == "0.0.0.0"
    assert ui.argv[ui.argv.index("--nimbus") + 1] == "nimbus:6627"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"STORMBRIDGE_PORT_OFFSET": "lots"}, "$STORMBRIDGE_PORT_OFFSET must be a whole number"),
        ({"STORMBRIDGE_SLOTS": "0"}, "$STORMBRIDGE_SLOTS must be 1..16, not 0"),
        ({"STORMBRIDGE_HOST": "a b"}, "$STORMBRIDGE_HOST must be a host name or address"),
        ({"STORMBRIDGE_NIMBUS_HOST": '"; rm -rf /'}, "$STORMBRIDGE_NIMBUS_HOST must be a host"),
        ({"STORMBRIDGE_SUPERVISOR_HOST": "sup-{index}"}, "may use only {n}"),
        ({"STORMBRIDGE_SAMPLE_RATE": "often"}, "$STORMBRIDGE_SAMPLE_RATE must be a number"),
    ],
)
def test_bad_settings_name_the_variable(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings(tmp_path, **env)
    assert message in str(info.value)


def test_unknown_role_is_refused(tmp_path: Path, home: StormHome) -> None:
    with pytest.raises(ConfigError, match="unknown container role 'logviewer'"):
        plan_container("logviewer", settings(tmp_path), home, "/usr/bin/java")


def test_supervisor_claims_take_the_first_free_index(tmp_path: Path) -> None:
    claims = tmp_path / "claims"
    i0, fd0 = claim_supervisor_index(claims, 3)
    i1, fd1 = claim_supervisor_index(claims, 3)
    assert (i0, i1) == (0, 1)
    assert os.get_inheritable(fd0)
    os.close(fd0)  # the container holding index 0 stopped
    i2, fd2 = claim_supervisor_index(claims, 3)
    assert i2 == 0
    i3, fd3 = claim_supervisor_index(claims, 3)
    assert i3 == 2
    with pytest.raises(ClusterError, match="all 3 supervisor indexes are taken"):
        claim_supervisor_index(claims, 3)
    for fd in (fd1, fd2, fd3):
        os.close(fd)


def test_a_claim_is_held_by_the_process_that_execs(tmp_path: Path) -> None:
    """The lock survives exec into another program, as the supervisor JVM replaces the
    entrypoint; another process then gets the next index."""
    claims = tmp_path / "claims"
    code = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from stormbridge.storm.container import claim_supervisor_index\n"
        "i, fd = claim_supervisor_index(Path(sys.argv[1]), 4)\n"
        "print(i, flush=True)\n"
        "os.execv('/bin/sleep', ['sleep', '30'])\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(claims)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "0"
        index, fd = claim_supervisor_index(claims, 4)
        assert index == 1
        os.close(fd)
    finally:
        holder.kill()
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()
    index, fd = claim_supervisor_index(claims, 4)
    assert index == 0
    os.close(fd)


def test_dry_run_prints_storm_yaml_and_command(
    tmp_path: Path, home: StormHome, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    import stormbridge.cli.container as cli_container

    monkeypatch.setattr(cli_container, "resolve_home", lambda: home)
    monkeypatch.setattr(cli_container, "find_java", lambda: "/usr/bin/java")
    monkeypatch.setenv("STORMBRIDGE_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("STORMBRIDGE_PORT_OFFSET", "7")
    assert main(["container", "nimbus", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "nimbus.thrift.port: 6634" in out
    assert out.rstrip().endswith("org.apache.storm.daemon.nimbus.Nimbus")
    assert not (tmp_path / "state").exists()  # a dry run writes nothing


def test_bad_environment_is_a_clear_cli_error(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("STORMBRIDGE_SLOTS", "many")
    assert main(["container", "supervisor", "--dry-run"]) == 1
    assert "$STORMBRIDGE_SLOTS must be a whole number, not 'many'" in capsys.readouterr().err
