"""The hosts of a multi-host cluster as deploy code reads them (stormbridge.storm.hosts):
hosts.json round trip, lookups, the config.json env, errors, the nsenter helper; and the
`sparse cluster` paths for --hosts that need no namespaces."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from stormbridge.cli.main import main
from stormbridge.errors import ClusterError
from stormbridge.project.config import parse_config
from stormbridge.storm.hosts import (
    HOSTS_FILE,
    ClusterHosts,
    HostInfo,
    SSHAccess,
    find_hosts,
    host_command,
    load_hosts,
    remove_hosts,
    run_in_host,
    save_hosts,
)


def _hosts(state: Path) -> ClusterHosts:
    def host(i: int, roles: tuple[str, ...], ssh: bool) -> HostInfo:
        return HostInfo(
            name=f"h{i}", address=f"10.231.0.{10 + i}", roles=roles, netns=f"sbabc-h{i}",
            veth=f"sbabcv{i}", data_dir="/data", data_source=str(state / f"hosts/h{i}/data"),
            log_dir=str(state / f"logs/h{i}"), ssh_port=22 if ssh else None,
            ssh_host_key=str(state / f"hosts/h{i}/ssh/k.pub") if ssh else None,
            holder_pid=100 + i,
        )  # fmt: skip

    return ClusterHosts(
        state_dir=str(state), subnet="10.231.0.0/24", bridge="sbabc", bridge_address="10.231.0.1",
        nimbus_port=6627, ui_port=8080,
        ssh=SSHAccess(user="root", key=str(state / "ssh/id_ed25519"),
                      public_key=str(state / "ssh/id_ed25519.pub"),
                      known_hosts=str(state / "ssh/known_hosts")),
        hosts=(host(0, ("zookeeper", "nimbus", "ui"), False),
               host(1, ("supervisor", "sshd"), True), host(2, ("supervisor", "sshd"), True)),
        started_at=12.5, created_data_mountpoint=True,
    )  # fmt: skip


def test_round_trip_and_lookups(tmp_path: Path) -> None:
    hosts = _hosts(tmp_path)
    assert find_hosts(tmp_path) is None
    save_hosts(tmp_path, hosts)
    assert (tmp_path / HOSTS_FILE).is_file()
    loaded = load_hosts(tmp_path)
    assert loaded == hosts
    assert loaded.nimbus == "10.231.0.10:6627"
    assert loaded.ui_url == "http://10.231.0.10:8080"
    assert loaded.nimbus_host.name == "h0"
    assert [h.name for h in loaded.supervisors] == ["h1", "h2"]
    assert loaded.host("h2") == loaded.host("10.231.0.12") == hosts.hosts[2]
    assert loaded.hosts[1].is_supervisor and not loaded.hosts[0].is_supervisor
    with pytest.raises(ClusterError, match=r"no host 'h9'.*h0 \(10\.231\.0\.10\)"):
        loaded.host("h9")
    moved = loaded.with_host(HostInfo(**{**loaded.hosts[1].__dict__, "holder_pid": 7}))
    assert moved.hosts[1].holder_pid == 7 and moved.hosts[2] == loaded.hosts[2]
    remove_hosts(tmp_path)
    remove_hosts(tmp_path)  # twice is fine
    assert find_hosts(tmp_path) is None


def test_config_env_targets_the_cluster(tmp_path: Path) -> None:
    env = _hosts(tmp_path).config_env()
    assert env == {
        "nimbus": "10.231.0.10:6627",
        "ui.host": "10.231.0.10",
        "ui.port": 8080,
        "workers": ["10.231.0.11", "10.231.0.12"],
        "user": "root",
        "ssh_key": str(tmp_path / "ssh/id_ed25519"),
        "ssh_port": 22,
        "use_ssh_for_nimbus": False,
    }
    # It is a valid config.json env: nimbus, UI and workers come out as given.
    (tmp_path / "topologies").mkdir()
    config = parse_config(
        {"topology_specs": "topologies/", "envs": {"cluster": env}}, path=tmp_path / "config.json"
    )
    parsed = config.envs["cluster"]
    assert [str(n) for n in parsed.nimbus] == ["10.231.0.10:6627"]
    assert parsed.ui_url == "http://10.231.0.10:8080"
    assert parsed.workers == ("10.231.0.11", "10.231.0.12")
    assert (parsed.user, parsed.ssh_port) == ("root", 22)


def test_no_ui_no_ui_keys(tmp_path: Path) -> None:
    import dataclasses

    env = dataclasses.replace(_hosts(tmp_path), ui_port=None).config_env()
    assert "ui.host" not in env and "ui.port" not in env


def test_missing_and_corrupt_files_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match="sparse cluster up --hosts 3 --state-dir"):
        load_hosts(tmp_path)
    (tmp_path / HOSTS_FILE).write_text("{broken")
    with pytest.raises(ClusterError, match=r"unreadable.*ip netns list"):
        find_hosts(tmp_path)
    (tmp_path / HOSTS_FILE).write_text(json.dumps({"version": 99}))
    with pytest.raises(ClusterError, match="format version 99"):
        find_hosts(tmp_path)


def test_host_command_enters_the_holders_namespaces(tmp_path: Path) -> None:
    h1 = _hosts(tmp_path).hosts[1]
    assert host_command(h1, ["ls", "/data"]) == [
        "nsenter", "-t", "101", "-m", "-u", "-n", "--wd=/", "--", "ls", "/data",
    ]  # fmt: skip
    assert host_command(h1, ["pwd"], wd="/data")[6] == "--wd=/data"
    with pytest.raises(ClusterError, match="no holder process"):
        host_command(HostInfo(**{**h1.__dict__, "holder_pid": 0}), ["true"])


def test_run_in_a_host_that_is_down_fails_clearly(tmp_path: Path) -> None:
    h1 = _hosts(tmp_path).hosts[1]
    gone = HostInfo(**{**h1.__dict__, "holder_pid": 2**22 + 17})
    assert not gone.holder_alive()
    with pytest.raises(ClusterError, match="host h1 is not running"):
        run_in_host(gone, ["true"])
    # This very process is alive but is no holder of h1's (nonexistent) namespace.
    assert not HostInfo(**{**h1.__dict__, "holder_pid": os.getpid()}).holder_alive()


def test_cli_env_status_down_with_a_recorded_cluster_and_without(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cluster", "env", "--state-dir", str(tmp_path)]) == 1
    assert "no multi-host cluster is recorded" in capsys.readouterr().err
    save_hosts(tmp_path, _hosts(tmp_path))
    assert main(["cluster", "env", "--state-dir", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out) == _hosts(tmp_path).config_env()
    # A single-host `up` refuses to start over a recorded multi-host cluster.
    assert main(["cluster", "up", "--state-dir", str(tmp_path)]) == 1
    assert "a multi-host cluster is recorded" in capsys.readouterr().err


def test_cli_logs_of_a_host(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    logs = tmp_path / "logs" / "h1"
    logs.mkdir(parents=True)
    (logs / "supervisor-0.log").write_text("a\nb\n")
    (logs / "sshd.log").write_text("Server listening on 10.231.0.11 port 22.\n")
    assert (
        main(["cluster", "logs", "h1/supervisor-0", "-n", "1", "--state-dir", str(tmp_path)]) == 0
    )
    assert capsys.readouterr().out.splitlines() == [f"==> {logs / 'supervisor-0.log'} <==", "b"]
    assert main(["cluster", "logs", "h1/sshd", "--state-dir", str(tmp_path)]) == 0
    assert "port 22" in capsys.readouterr().out


def test_cli_usage_errors_for_hosts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = ["--state-dir", str(tmp_path)]
    assert main(["cluster", "up", "--hosts", "1", *state]) == 1
    assert "--hosts must be 2..20" in capsys.readouterr().err
    assert main(["cluster", "up", "--hosts", "3", "--supervisors", "2", *state]) == 1
    assert "--supervisors does not go with --hosts" in capsys.readouterr().err
    assert main(["cluster", "up", "--hosts", "3", "--port-offset", "5", *state]) == 1
    assert "--port-offset does not go with --hosts" in capsys.readouterr().err
    assert main(["cluster", "up", "--subnet", "10.1.0.0/24", *state]) == 1
    assert "--subnet goes with --hosts" in capsys.readouterr().err
    assert main(["cluster", "up", "--hosts", "3", "--subnet", "8.8.8.0/24", *state]) == 1
    assert "use a private network" in capsys.readouterr().err


def test_not_root_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert main(["cluster", "up", "--hosts", "3", "--state-dir", str(tmp_path)]) == 1
    assert "run it as root" in capsys.readouterr().err
