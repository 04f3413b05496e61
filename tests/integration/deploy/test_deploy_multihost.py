"""Deploy over SSH to `sparse cluster up --hosts 3` for real (issue 8 §2).

A topology whose bolt imports ``tabulate`` (which the system Python lacks) is submitted with
``use_virtualenv``: the virtualenv is built over SSH on h1 and h2 (each its own, in its private
``/data``), the bolt's executors on both supervisor hosts execute tuples (UI REST API),
``use_ssh_for_nimbus`` reaches Nimbus through an sshd on h0 (the Nimbus host), and `sparse tail`
shows a line the bolt logged on each host. Needs root, iproute2, util-linux, openssh-server.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import shutil
import signal
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
from stormbridge.storm.hosts import host_command, load_hosts, run_in_host
from stormbridge.storm.multihost import netns as netns_ops
from stormbridge.storm.multihost import plan_network, stop_multihost
from stormbridge.storm.multihost.plan import conflicts
from stormbridge.storm.multihost.sshd import SSHD, generate_key, render_sshd_config
from stormbridge.ui.client import UIClient

REPO = Path(__file__).resolve().parents[3]

BOLT = """
import socket

from stormbridge import Bolt


class TableBolt(Bolt):
    outputs = ["word", "table"]

    def initialize(self, conf, context):
        # imported here: the submitting machine loads this module too, and lacks tabulate
        from tabulate import tabulate

        self.tabulate = tabulate
        self.log(f"TABLE-BOLT on {socket.gethostname()} with {tabulate.__module__}")

    def process(self, tup):
        word = tup.values[0]
        self.emit([word, self.tabulate([[word, len(word)]])])
"""
TOPOLOGY = """
from stormbridge import Grouping, Topology

from bolts.table import TableBolt
from spouts.words import WordSpout


class Tabled(Topology):
    word_spout = WordSpout.spec()
    table_bolt = TableBolt.spec(inputs={word_spout: Grouping.SHUFFLE}, par=2)
"""


def _why_not() -> str | None:
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        return "needs root on Linux (network namespaces)"
    missing = [t for t in ("ip", "unshare", "nsenter", "ssh-keygen") if not shutil.which(t)]
    if not os.access(SSHD, os.X_OK):
        missing.append(SSHD)
    return f"missing {', '.join(missing)} (make system-deps-test)" if missing else None


pytestmark = [
    pytest.mark.storm,
    pytest.mark.slow,
    pytest.mark.timeout(480),
    pytest.mark.skipif(_why_not() is not None, reason=_why_not() or ""),
]


@pytest.fixture(scope="module")
def home() -> StormHome:
    try:
        return resolve_home()
    except StormHomeError:
        return provision()


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[Path]:
    state = tmp_path / "state"
    yield state
    with contextlib.suppress(ClusterError):
        stop_multihost(state, grace=10.0)


def _free_subnet() -> str:
    networks = netns_ops.machine_networks()
    links, spaces = netns_ops.existing_links(), netns_ops.existing_netns()
    for third in range(63, 250, 7):
        subnet = f"10.214.{third}.0/24"
        if not conflicts(plan_network(3, subnet), networks, links, spaces):
            return subnet
    pytest.fail("no free /24 in 10.214.0.0/16 for the test cluster")


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


def _executing_hosts(ui: UIClient, topology_id: str, component: str) -> set[str]:
    stats = ui.component(topology_id, component).get("executorStats", [])
    return {ex["host"] for ex in stats if int(ex.get("executed") or 0) > 0}


def _default_sigint() -> None:
    """In the child: SIGINT as a terminal would deliver it (a background test run inherits it
    ignored, and Python then never raises KeyboardInterrupt)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextlib.contextmanager
def _sshd_on(host: Any, state: Path, authorized: Path) -> Iterator[None]:
    """An sshd on the Nimbus host (h0 has none): the use_ssh_for_nimbus test's way in."""
    folder = state / "h0-sshd"
    folder.mkdir(parents=True)
    generate_key(folder / "host_key", "h0")
    config = folder / "sshd_config"
    config.write_text(
        render_sshd_config(
            address=host.address,
            port=22,
            host_key=folder / "host_key",
            authorized_keys=authorized,
            log_level="DEBUG1",
        )
    )
    log = folder / "sshd.log"
    proc = subprocess.Popen(
        host_command(host, [SSHD, "-D", "-f", str(config), "-E", str(log)]),
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_submit_deploys_the_virtualenv_over_ssh_to_both_supervisor_hosts(
    home: StormHome, state_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    up = ["cluster", "up", "--hosts", "3", "--subnet", _free_subnet(), "--state-dir"]
    argv = [*up, str(state_dir), "--metrics-interval", "5", "--timeout", "150"]
    assert main(argv) == 0, capsys.readouterr()
    capsys.readouterr()
    hosts = load_hosts(state_dir)
    h0, h1, h2 = hosts.hosts
    assert main(["cluster", "env", "--state-dir", str(state_dir)]) == 0
    env = json.loads(capsys.readouterr().out)

    project = tmp_path / "tabled"
    shutil.copytree(REPO / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__"))
    (project / "src" / "bolts" / "table.py").write_text(BOLT)
    (project / "topologies").mkdir()
    (project / "topologies" / "tabled.py").write_text(TOPOLOGY)
    (project / "virtualenvs").mkdir()
    (project / "virtualenvs" / "tabled.txt").write_text("stormbridge\ntabulate\n")
    env.update(
        {
            "use_virtualenv": True,
            "virtualenv_root": "/data/venvs",
            "use_ssh_for_nimbus": True,
            "options": {"topology.workers": 2, "topology.acker.executors": 2},
        }
    )
    config = {
        "serializer": "json",
        "topology_specs": "topologies/",
        "virtualenv_specs": "virtualenvs/",
        "envs": {"hosts": env},
    }
    (project / "config.json").write_text(json.dumps(config))
    cfg = ["--config", str(project / "config.json"), "-e", "hosts", "-n", "tabled"]

    authorized = Path(hosts.ssh.key).with_name(Path(hosts.ssh.key).name + ".pub")
    with _sshd_on(h0, state_dir, authorized):
        t0 = time.monotonic()
        assert main(["submit", *cfg, "--timeout", "30"]) == 0, capsys.readouterr().err
        submit_secs = time.monotonic() - t0
        sshd_log = state_dir / "h0-sshd" / "sshd.log"
        forwards = sshd_log.read_text().count(f"target {h0.address} port 6627")
        # list (and kill, at the end) reach Nimbus through the tunnel too
        assert main(["list", *cfg[:-2], "--timeout", "30"]) == 0, capsys.readouterr().err
        out = capsys.readouterr().out
        assert re.search(r"^tabled\s", out, re.M), out
        assert sshd_log.read_text().count(f"target {h0.address} port 6627") > forwards
        for h in (h1, h2):
            assert f"[{h.address}] virtualenv created" in out
        assert re.search(r"Uploading tabled\.jar to Nimbus 127\.0\.0\.1:\d+", out), out

        # each supervisor host has its own virtualenv (private /data), none on h0
        probe = "import tabulate, orjson, stormbridge; print('ok')"
        for h in (h1, h2):
            assert run_in_host(h, ["/data/venvs/tabled/bin/python", "-c", probe]).stdout == "ok\n"
        assert run_in_host(h0, ["test", "-e", "/data/venvs"], check=False).returncode == 1

        ui = UIClient(str(hosts.ui_url), timeout=10)
        topology_id = _poll("the topology in the UI", lambda: ui.topology_id("tabled"), 60)
        _poll(
            "table_bolt executing tuples on h1 and h2",
            lambda: _executing_hosts(ui, topology_id, "table_bolt") == {h1.address, h2.address},
            150,
            3.0,
        )

        def tailed() -> bool:
            main(["tail", *cfg, "--pattern", "worker", "-l", "2000"])
            text = capsys.readouterr().out
            return (
                "TABLE-BOLT on h1 with tabulate" in text
                and "TABLE-BOLT on h2 with tabulate" in text
            )

        _poll("sparse tail shows the bolt's line from each host", tailed, 60, 3.0)

        # tail -f follows both hosts until Ctrl-C, which ends it promptly
        follow = subprocess.Popen(
            [sys.executable, "-m", "stormbridge.cli.main", "tail", *cfg, "-f", "-l", "2000",
             "--pattern", "worker"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
            preexec_fn=_default_sigint,
        )  # fmt: skip
        try:
            seen: set[str] = set()
            end = time.monotonic() + 60
            assert follow.stdout is not None
            while len(seen) < 2 and time.monotonic() < end:
                ready, _, _ = select.select([follow.stdout], [], [], 1.0)
                if ready:
                    text = follow.stdout.readline()
                    match = re.match(r"^(\S+) \| .*TABLE-BOLT on (h\d)", text)
                    if match:
                        seen.add(f"{match.group(1)}={match.group(2)}")
            assert seen == {f"{h1.address}=h1", f"{h2.address}=h2"}
            follow.send_signal(signal.SIGINT)
            follow.communicate(timeout=30)  # drains the pipes while it stops
            assert follow.returncode == 130
        finally:
            if follow.poll() is None:
                follow.kill()
                follow.wait()

        assert main(["kill", *cfg, "--wait", "0"]) == 0
    print(
        f"\ndeploy + submit over SSH (2 hosts): {submit_secs:.1f} s; "
        f"whole test {time.monotonic() - started:.1f} s",
        file=sys.__stderr__,
    )
