"""``"deploy": "ship"`` on real Storm: a bolt that imports a package the workers' ``python3``
lacks (``tabulate``) runs from a virtualenv the boot script built on the worker at first start,
from wheels the topology jar carried; a second topology with the same requirements reuses it.

The first test uses the session cluster (tests/integration/conftest.py: real ZooKeeper, Nimbus,
one supervisor and the UI on 127.0.0.1); the second `sparse cluster up --hosts 3`, where each
supervisor host has its own /data (storm.local.dir) and so builds its own virtualenv.
``pip wheel`` on the submitting side needs PyPI (tabulate, thriftpy2, orjson), as a user's
first submit does; later runs use the wheel cache.
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
from urllib.parse import urlsplit

import pytest

from stormbridge.cli.main import main
from stormbridge.errors import ClusterError, UIError
from stormbridge.runtime.workerenv import COMPLETE_MARKER
from stormbridge.storm.hosts import load_hosts
from stormbridge.storm.multihost import netns as netns_ops
from stormbridge.storm.multihost import plan_network, stop_multihost
from stormbridge.storm.multihost.plan import conflicts
from stormbridge.thrift.nimbus import NimbusClient
from stormbridge.ui.client import UIClient

pytestmark = [pytest.mark.storm, pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[3]

TABLE_BOLT = '''
import json
import os
import sys

import tabulate  # not in the workers' python3: only the shipped virtualenv has it

from streamparse import Bolt
from stormbridge.runtime.protocol import HAVE_ORJSON


class TableBolt(Bolt):
    """Counts words and renders each count with tabulate."""

    outputs = ["word", "count"]

    def initialize(self, conf, ctx):
        self.counts = {}
        path = os.path.join(conf["it.sink_dir"], "table-%d.json" % os.getpid())
        with open(path, "w") as fh:
            json.dump({"prefix": sys.prefix, "tabulate": tabulate.__version__,
                       "orjson": HAVE_ORJSON, "host": os.uname().nodename}, fh)

    def process(self, tup):
        word = tup.values[0]
        self.counts[word] = self.counts.get(word, 0) + 1
        assert word in tabulate.tabulate([[word, self.counts[word]]])
        self.emit([word, self.counts[word]])
'''

TABLE_TOPOLOGY = """
from streamparse import Grouping, Topology

from bolts.table import TableBolt
from spouts.words import WordSpout


class Tabled(Topology):
    word_spout = WordSpout.spec()
    table_bolt = TableBolt.spec(inputs={word_spout: Grouping.fields("word")}, par=2)
"""


def _skip_if_workers_have_tabulate() -> None:
    lacks = subprocess.run(["python3", "-c", "import tabulate"], capture_output=True, timeout=60)
    if lacks.returncode == 0:
        pytest.skip("the workers' python3 has tabulate: it cannot show that shipping works")


def submitter_has_tabulate(monkeypatch: pytest.MonkeyPatch, project: Path) -> None:
    """The topology file imports the bolt on the submitting machine, as with streamparse: give
    this process tabulate from the wheels `sparse submit` will ship (built here, cached)."""
    from stormbridge.build.wheels import build_wheelhouse
    from stormbridge.storm.home import default_cache_root

    requirements = project.parent / "virtualenvs" / "tabled.txt"
    wheelhouse = build_wheelhouse(requirements, default_cache_root())
    (wheel,) = [w for w in wheelhouse.wheels if w.name.startswith("tabulate-")]
    monkeypatch.syspath_prepend(str(wheel))


def write_project(root: Path, env: dict[str, Any], workers: int = 1) -> Path:
    """The tabled project under ``root`` with ``env`` (plus deploy: ship) as env "it"."""
    shutil.copytree(REPO / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "src" / "bolts" / "table.py").write_text(TABLE_BOLT)
    (root / "topologies").mkdir()
    (root / "topologies" / "tabled.py").write_text(TABLE_TOPOLOGY)
    (root / "virtualenvs").mkdir()
    (root / "virtualenvs" / "tabled.txt").write_text("stormbridge\ntabulate\n")
    (root / "sink").mkdir()
    env = {
        **env,
        "deploy": "ship",
        "virtualenv_name": "tabled",
        "options": {
            "topology.workers": workers,
            "topology.acker.executors": workers,
            "topology.max.spout.pending": 500,
            "it.sink_dir": str(root / "sink"),
        },
    }
    config = {
        "topology_specs": "topologies/",
        "virtualenv_specs": "virtualenvs/",
        "envs": {"it": env},
    }
    (root / "config.json").write_text(json.dumps(config))
    return root / "config.json"


@pytest.fixture
def project(storm_cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    _skip_if_workers_have_tabulate()
    ui = urlsplit(storm_cluster.ui_url)
    env = {"nimbus": storm_cluster.nimbus, "ui.host": ui.hostname, "ui.port": ui.port}
    config = write_project(tmp_path / "tabled", env)
    submitter_has_tabulate(monkeypatch, config)
    return config


@pytest.fixture
def submitted(storm_cluster: Any) -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    with NimbusClient(storm_cluster.nimbus_host, storm_cluster.nimbus_port, timeout=30) as nimbus:
        alive = {t.name for t in nimbus.topologies()}
        for name in names:
            if name in alive:
                nimbus.kill(name, wait_secs=0, wait=True, deadline=120)


def poll(what: str, check: Callable[[], Any], deadline: float) -> Any:
    end = time.monotonic() + deadline
    last: Any = None
    while time.monotonic() < end:
        try:
            last = check()
        except UIError as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(3.0)
    pytest.fail(f"{what}: not reached within {deadline:g} s (last: {last!r})")


def _acked(ui: UIClient, name: str, at_least: int) -> Any:
    def check() -> Any:
        page = ui.topology_by_name(name)
        bolts = {b["boltId"]: b for b in page.get("bolts", [])}
        if "table_bolt" not in bolts:
            return None
        assert not bolts["table_bolt"].get("lastError"), bolts["table_bolt"]
        acked = int(bolts["table_bolt"]["acked"] or 0)
        return page if acked >= at_least else None

    return check


def test_a_shipped_dependency_runs_and_counts(
    project: Path, storm_cluster: Any, submitted: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    sink = project.parent / "sink"
    venvs = storm_cluster.state_dir / "data" / "supervisor-0" / "stormbridge-venvs"
    ui = UIClient(storm_cluster.ui_url, timeout=30)

    submitted.append("it-tabled")
    assert main(["submit", "-N", "it-tabled", "--config", str(project), "--timeout", "60"]) == 0
    out = capsys.readouterr().out
    assert "Shipping the wheels of" in out and "wheels + pip" in out, out
    print(out, file=sys.__stderr__)  # jar size and upload time, for docs/benchmarks.md
    started = time.monotonic()
    poll("the shipped bolt acks > 2000 tuples", _acked(ui, "it-tabled", 2000), deadline=420)
    first_seconds = time.monotonic() - started

    # every task ran in the one virtualenv built on this host, with tabulate and orjson
    probes = [json.loads(p.read_text()) for p in sink.glob("table-*.json")]
    assert len(probes) == 2, probes
    (venv,) = [p.parent for p in venvs.glob(f"*/{COMPLETE_MARKER}")]
    assert {p["prefix"] for p in probes} == {str(venv)}
    assert all(p["orjson"] and p["tabulate"] for p in probes)
    built = (venv / COMPLETE_MARKER).stat().st_mtime

    # a second topology with the same requirements reuses it: no pip run, no new build
    for p in sink.glob("table-*.json"):
        p.unlink()
    submitted.append("it-tabled-again")
    assert main(["submit", "-N", "it-tabled-again", "--config", str(project)]) == 0
    out = capsys.readouterr().out
    assert "(cached)" in out, out
    started = time.monotonic()
    poll("the second topology acks", _acked(ui, "it-tabled-again", 500), deadline=420)
    second_seconds = time.monotonic() - started
    probes = [json.loads(p.read_text()) for p in sink.glob("table-*.json")]
    assert probes and {p["prefix"] for p in probes} == {str(venv)}
    assert [p.parent for p in venvs.glob(f"*/{COMPLETE_MARKER}")] == [venv]
    assert (venv / COMPLETE_MARKER).stat().st_mtime == built
    print(f"first start to 2000 acked: {first_seconds:.0f} s; again to 500: {second_seconds:.0f} s")


# --------------------------------------------------------------------------- on 3 hosts


def _multihost_missing() -> str | None:
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        return "a multi-host cluster needs Linux and root"
    tools = [t for t in ("ip", "unshare", "nsenter", "ssh-keygen") if shutil.which(t) is None]
    if not os.access("/usr/sbin/sshd", os.X_OK):
        tools.append("/usr/sbin/sshd")
    return f"missing {', '.join(tools)} (`make system-deps`)" if tools else None


@pytest.fixture
def hosts_state(tmp_path: Path) -> Iterator[Path]:
    state = tmp_path / "state"
    yield state
    with contextlib.suppress(ClusterError):  # whatever happened, leave nothing behind
        stop_multihost(state, grace=10.0)


def _free_subnet() -> str:
    networks = netns_ops.machine_networks()
    links, spaces = netns_ops.existing_links(), netns_ops.existing_netns()
    for third in range(61, 250, 7):
        subnet = f"10.214.{third}.0/24"
        if not conflicts(plan_network(3, subnet), networks, links, spaces):
            return subnet
    pytest.fail("no free /24 in 10.214.0.0/16 for the test cluster")


@pytest.mark.skipif(_multihost_missing() is not None, reason=_multihost_missing() or "")
def test_each_host_builds_its_own_virtualenv(
    hosts_state: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _skip_if_workers_have_tabulate()
    up = ["cluster", "up", "--hosts", "3", "--subnet", _free_subnet(), "--state-dir"]
    assert main([*up, str(hosts_state), "--metrics-interval", "5", "--timeout", "150"]) == 0
    capsys.readouterr()
    assert main(["cluster", "env", "--state-dir", str(hosts_state)]) == 0
    env = json.loads(capsys.readouterr().out)
    hosts = load_hosts(hosts_state)
    _, h1, h2 = hosts.hosts
    project = write_project(tmp_path / "tabled", env, workers=2)
    submitter_has_tabulate(monkeypatch, project)
    started = time.monotonic()
    assert main(["submit", "-e", "it", "-N", "it-tabled", "--config", str(project)]) == 0
    ui = UIClient(str(hosts.ui_url), timeout=30)
    poll("the shipped bolt acks > 1000 tuples", _acked(ui, "it-tabled", 1000), deadline=420)
    seconds = time.monotonic() - started

    # both supervisor hosts ran table_bolt tasks, each from a virtualenv it built in its own /data
    probes = [json.loads(p.read_text()) for p in (tmp_path / "tabled" / "sink").glob("*.json")]
    assert {p["host"] for p in probes} == {h1.name, h2.name}, probes
    (prefix,) = {p["prefix"] for p in probes}
    # under storm.local.dir, which is in the host's private /data
    assert prefix.startswith("/data/") and "/stormbridge-venvs/" in prefix, prefix
    digest = prefix.rsplit("/", 1)[1]
    markers = [
        Path(h.data_source) / Path(prefix).relative_to("/data") / COMPLETE_MARKER for h in (h1, h2)
    ]
    assert all(json.loads(m.read_text())["hash"] == digest for m in markers)
    built = [m.stat().st_mtime for m in markers]

    # an unchanged redeploy (another name, same requirements): both hosts reuse their venv
    for p in (tmp_path / "tabled" / "sink").glob("*.json"):
        p.unlink()
    started = time.monotonic()
    assert main(["submit", "-e", "it", "-N", "it-tabled-2", "--config", str(project)]) == 0
    poll("the redeployed topology acks", _acked(ui, "it-tabled-2", 1000), deadline=420)
    again = time.monotonic() - started
    probes = [json.loads(p.read_text()) for p in (tmp_path / "tabled" / "sink").glob("*.json")]
    assert {p["prefix"] for p in probes} == {prefix}
    assert [m.stat().st_mtime for m in markers] == built
    print(
        f"\nsubmit to 1000 acked on 2 hosts: first deploy (each host builds its venv) "
        f"{seconds:.0f} s, unchanged redeploy {again:.0f} s"
    )
    assert main(["cluster", "down", "--state-dir", str(hosts_state)]) == 0
