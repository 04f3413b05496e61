"""`sparse cluster up --hosts 3` for real: three hosts made of namespaces on this machine.

h0 runs ZooKeeper, Nimbus and the UI; h1 and h2 a supervisor and an sshd each. Checked: own
hostname and private /data per host, Nimbus sees both supervisors under their addresses, SSH
with the generated key (and only with it), `cluster env`, word count on 2 workers spread over
both supervisor hosts (UI REST), then `down` leaves no namespace, link, bridge or process.
Needs root, iproute2, util-linux and openssh-server (`make system-deps-test`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stormbridge.cli.main import main
from stormbridge.errors import ClusterError, StormHomeError, UIError
from stormbridge.storm.home import StormHome, provision, resolve_home
from stormbridge.storm.hosts import ClusterHosts, find_hosts, load_hosts, run_in_host
from stormbridge.storm.multihost import netns as netns_ops
from stormbridge.storm.multihost import plan_network, stop_multihost
from stormbridge.storm.multihost.plan import conflicts
from stormbridge.storm.state import load_record, pid_alive, processes_mentioning
from stormbridge.thrift.nimbus import NimbusClient
from stormbridge.ui.client import UIClient

REPO = Path(__file__).resolve().parents[3]
TOOLS = ("ip", "unshare", "nsenter", "ssh", "ssh-keygen")


def _why_not() -> str | None:
    if not sys.platform.startswith("linux"):
        return "multi-host clusters are made of Linux namespaces"
    if os.geteuid() != 0:
        return "needs root (network namespaces, a bridge, mounts)"
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if not os.access("/usr/sbin/sshd", os.X_OK):
        missing.append("/usr/sbin/sshd")
    if missing:
        return f"missing {', '.join(missing)} (`make system-deps-test` installs openssh-server)"
    return None


pytestmark = [
    pytest.mark.storm,
    pytest.mark.slow,
    pytest.mark.timeout(420),
    pytest.mark.skipif(_why_not() is not None, reason=_why_not() or ""),
]


@pytest.fixture(scope="module")
def home() -> StormHome:
    try:
        return resolve_home()
    except StormHomeError:
        return provision()


def _free_subnet() -> str:
    """A /24 that nothing on this machine uses (not the default: a user's cluster may run)."""
    networks = netns_ops.machine_networks()
    links, spaces = netns_ops.existing_links(), netns_ops.existing_netns()
    for third in range(60, 250, 7):
        subnet = f"10.213.{third}.0/24"
        if not conflicts(plan_network(3, subnet), networks, links, spaces):
            return subnet
    pytest.fail("no free /24 in 10.213.0.0/16 for the test cluster")


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[Path]:
    state = tmp_path / "state"
    yield state
    with contextlib.suppress(ClusterError):  # whatever happened, leave nothing behind
        stop_multihost(state, grace=10.0)


def _poll(what: str, check: Callable[[], Any], deadline: float, interval: float = 2.0) -> Any:
    end = time.monotonic() + deadline
    last: Any = None
    while time.monotonic() < end:
        try:
            last = check()
        except (UIError, ClusterError) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    pytest.fail(f"{what}: not reached within {deadline:g} s (last: {last!r})")


def _ssh(
    hosts: ClusterHosts, address: str, command: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "ssh", "-i", hosts.ssh.key, "-p", "22", "-o", "IdentitiesOnly=yes",
            "-o", "BatchMode=yes", "-o", f"UserKnownHostsFile={hosts.ssh.known_hosts}",
            "-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=10", *extra,
            f"{hosts.ssh.user}@{address}", command,
        ],
        capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def _executor_hosts(ui: UIClient, topology_id: str) -> set[str]:
    """Hosts whose executors have processed tuples (emitted or executed > 0)."""
    page = ui.topology(topology_id)
    components = [s["spoutId"] for s in page.get("spouts", [])]
    components += [b["boltId"] for b in page.get("bolts", [])]
    busy: set[str] = set()
    for component in components:
        for ex in ui.component(topology_id, component).get("executorStats", []):
            if int(ex.get("emitted") or 0) > 0 or int(ex.get("executed") or 0) > 0:
                busy.add(ex["host"])
    return busy


def test_three_hosts_up_ssh_submit_down(
    home: StormHome, state_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before_netns, before_links = netns_ops.existing_netns(), netns_ops.existing_links()
    data_existed = os.path.lexists("/data")
    subnet = _free_subnet()
    up = ["cluster", "up", "--hosts", "3", "--subnet", subnet, "--state-dir", str(state_dir)]
    t0 = time.monotonic()
    assert main([*up, "--metrics-interval", "5", "--timeout", "150"]) == 0, capsys.readouterr()
    up_secs = time.monotonic() - t0
    out = capsys.readouterr().out
    hosts = load_hosts(state_dir)
    h0, h1, h2 = hosts.hosts
    assert f"on 3 hosts ({subnet}" in out
    assert hosts.subnet == subnet and h0.address == subnet.replace(".0/24", ".10")
    assert all(h.holder_alive() for h in hosts.hosts)
    inodes = {h.name: netns_ops.netns_inode(h.netns) for h in hosts.hosts}
    record = load_record(state_dir)
    assert record is not None
    pids = [d.pid for d in record.daemons] + [h.holder_pid for h in hosts.hosts]

    # Own hostname and private /data on every host.
    for h in hosts.hosts:
        assert run_in_host(h, ["hostname"]).stdout.strip() == h.name
        assert run_in_host(h, ["cat", "/proc/self/mountinfo"]).stdout.count(" /data ") == 1
    run_in_host(h1, ["sh", "-c", "echo only-h1 > /data/marker"])
    assert run_in_host(h1, ["cat", "/data/marker"]).stdout == "only-h1\n"
    assert run_in_host(h2, ["test", "-e", "/data/marker"], check=False).returncode == 1
    assert run_in_host(h0, ["test", "-e", "/data/marker"], check=False).returncode == 1
    assert (Path(h1.data_source) / "marker").is_file()

    # Nimbus sees the two supervisors under the hosts' addresses.
    with NimbusClient(h0.address, hosts.nimbus_port, timeout=10) as nimbus:
        supervisors = nimbus.cluster_summary().supervisors
    assert sorted(s.host for s in supervisors) == [h1.address, h2.address]

    # status: every host and daemon healthy
    assert main(["cluster", "status", "--state-dir", str(state_dir), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["healthy"] is True
    assert [(h["name"], h["address"]) for h in status["hosts"]] == [
        (h.name, h.address) for h in hosts.hosts
    ]
    assert {d["name"] for h in status["hosts"] for d in h["daemons"]} == {
        "h0/zookeeper", "h0/nimbus", "h0/ui", "h1/sshd", "h1/supervisor-0", "h2/sshd",
        "h2/supervisor-0",
    }  # fmt: skip

    # SSH with the generated key runs commands on the supervisor hosts; no key, no login.
    for h in hosts.supervisors:
        done = _ssh(hosts, h.address, "hostname; cat /data/marker 2>/dev/null || echo none")
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == [h.name, "only-h1" if h is h1 else "none"]
    denied = _ssh(hosts, h1.address, "true", "-o", "PubkeyAuthentication=no")
    assert denied.returncode == 255 and "Permission denied" in denied.stderr

    # `cluster env`: the config.json env for this cluster.
    assert main(["cluster", "env", "--state-dir", str(state_dir)]) == 0
    env = json.loads(capsys.readouterr().out)
    assert env == {
        "nimbus": f"{h0.address}:6627",
        "ui.host": h0.address,
        "ui.port": 8080,
        "workers": [h1.address, h2.address],
        "user": "root",
        "ssh_key": hosts.ssh.key,
        "ssh_port": 22,
        "use_ssh_for_nimbus": False,
    }

    # Word count with 2 workers: executors on both supervisor hosts.
    project = tmp_path / "wc"
    shutil.copytree(REPO / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "topologies", project / "topologies")
    env["options"] = {
        "topology.workers": 2,
        "topology.acker.executors": 2,
        "topology.max.spout.pending": 500,
    }
    config = {"serializer": "json", "topology_specs": "topologies/", "envs": {"hosts": env}}
    (project / "config.json").write_text(json.dumps(config))
    argv = ["submit", "-e", "hosts", "-n", "wordcount", "--timeout", "30"]
    assert main([*argv, "--config", str(project / "config.json")]) == 0, capsys.readouterr().err
    ui = UIClient(str(hosts.ui_url), timeout=10)
    topology_id = _poll("the topology in the UI", lambda: ui.topology_id("wordcount"), 60)
    workers = _poll(
        "2 workers on h1 and h2",
        lambda: (
            {w["host"] for w in ui.topology(topology_id).get("workers", [])}
            == {h1.address, h2.address}
        ),
        120,
    )
    assert workers
    _poll(
        "executors processing tuples on both supervisor hosts",
        lambda: _executor_hosts(ui, topology_id) == {h1.address, h2.address},
        120,
        3.0,
    )

    # down: no namespace, link, bridge, mount point or process of the cluster is left.
    assert main(["cluster", "down", "--state-dir", str(state_dir)]) == 0
    assert find_hosts(state_dir) is None and load_record(state_dir) is None
    assert not [p for p in pids if pid_alive(p)]
    assert processes_mentioning(str(state_dir)) == []
    for inode in inodes.values():
        assert inode is not None and netns_ops.pids_in_netns(inode) == []
    ours = {hosts.bridge, *(h.veth for h in hosts.hosts), *(h.netns for h in hosts.hosts)}
    assert not ours & (netns_ops.existing_netns() | netns_ops.existing_links())
    assert netns_ops.existing_netns() - before_netns == set()
    assert netns_ops.existing_links() - before_links == set()
    assert os.path.lexists("/data") == data_existed
    # and again: nothing to do
    assert main(["cluster", "down", "--state-dir", str(state_dir)]) == 0
    print(f"\n`up --hosts 3` took {up_secs:.1f} s", file=sys.__stderr__)


def test_failed_up_removes_what_it_created(
    home: StormHome, state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nimbus rejects a setting and exits: `up` reports it and removes hosts, bridge, all."""
    before_netns, before_links = netns_ops.existing_netns(), netns_ops.existing_links()
    subnet = _free_subnet()
    argv = ["cluster", "up", "--hosts", "2", "--subnet", subnet, "--state-dir", str(state_dir),
            "--no-ui", "--conf", 'nimbus.monitor.freq.secs="often"', "--timeout", "90"]  # fmt: skip
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "exited during start-up" in err  # Nimbus or a supervisor: both read the setting
    assert "removing what was created" in err
    assert find_hosts(state_dir) is None and load_record(state_dir) is None
    assert netns_ops.existing_netns() - before_netns == set()
    assert netns_ops.existing_links() - before_links == set()
    assert processes_mentioning(str(state_dir)) == []
