"""`sparse submit` / `kill` / `list` / `stats` against a real Storm cluster.

Uses the session fixture ``storm_cluster`` (tests/integration/conftest.py: a real ZooKeeper,
Nimbus, supervisor and UI on 127.0.0.1). Every test submits under its own name and kills what it
submitted. Workers run on this host, so a sink bolt can write what it receives to a folder here
and the test can check the counts exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stormbridge.thrift.nimbus import NimbusClient
from stormbridge.ui.client import UIClient

from ..submitting import poll, sparse, write_project

pytestmark = [pytest.mark.storm, pytest.mark.slow, pytest.mark.timeout(900)]


SINK_BOLT = '''
import os

from streamparse import Bolt


class SinkBolt(Bolt):
    """Appends every (word, count) it receives to <it.sink_dir>/sink-<pid>.txt."""

    def initialize(self, conf, ctx):
        path = os.path.join(conf["it.sink_dir"], "sink-%d.txt" % os.getpid())
        self.out = open(path, "a", buffering=1)

    def process(self, tup):
        word, count = tup.values
        self.out.write("%s %d\\n" % (word, count))
'''

BOOM_BOLT = """
from streamparse import Bolt


class BoomBolt(Bolt):
    def process(self, tup):
        raise ZeroDivisionError("boom from python: " + tup.values[0])
"""

CHECKED_TOPOLOGY = """
from streamparse import Grouping, Topology

from bolts.sink import SinkBolt
from bolts.wordcount import WordCountBolt
from spouts.words import WordSpout


class CheckedWordCount(Topology):
    word_spout = WordSpout.spec()
    count_bolt = WordCountBolt.spec(inputs={word_spout: Grouping.fields("word")}, par=2)
    sink_bolt = SinkBolt.spec(inputs={count_bolt: Grouping.fields("word")}, par=1)
"""

BOOM_TOPOLOGY = """
from streamparse import Topology

from bolts.boom import BoomBolt
from spouts.words import WordSpout


class Boom(Topology):
    word_spout = WordSpout.spec()
    boom_bolt = BoomBolt.spec(inputs=[word_spout])
"""


def _endpoints(cluster: Any) -> tuple[str, str]:
    """``("host:port" of Nimbus, UI base url)`` from the cluster fixture."""
    host = getattr(cluster, "nimbus_host", None) or "127.0.0.1"
    port = getattr(cluster, "nimbus_port", None)
    if port is None:
        nimbus = cluster.nimbus
        if isinstance(nimbus, str):
            host, _, port = nimbus.rpartition(":")
        else:
            host, port = nimbus
    ui = getattr(cluster, "ui_url", None) or cluster.ui
    return f"{host}:{port}", str(ui).rstrip("/")


@pytest.fixture
def project(storm_cluster: Any, tmp_path: Path) -> Path:
    files = {
        "src/bolts/sink.py": SINK_BOLT,
        "src/bolts/boom.py": BOOM_BOLT,
        "topologies/checked.py": CHECKED_TOPOLOGY,
        "topologies/boom.py": BOOM_TOPOLOGY,
    }
    return write_project(tmp_path / "wc", storm_cluster, files, repo_topologies=True)


@pytest.fixture
def submitted(project: Path, storm_cluster: Any) -> Iterator[list[str]]:
    """Names the test submitted; killed (wait 0) afterwards whatever happened."""
    names: list[str] = []
    yield names
    nimbus, _ = _endpoints(storm_cluster)
    host, _, port = nimbus.rpartition(":")
    with NimbusClient(host, int(port), timeout=30) as client:
        alive = {t.name for t in client.topologies()}
        for name in names:
            if name in alive:
                client.kill(name, wait_secs=0, wait=True, deadline=120)


def test_submit_counts_and_kill(
    project: Path,
    storm_cluster: Any,
    submitted: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    name = "it-checked"
    submitted.append(name)
    assert sparse(project, "submit", "-n", "checked", "-N", name, "--timeout", "30") == 0
    out = capsys.readouterr().out
    assert f"Submitted topology {name} as {name}-" in out

    _, ui_url = _endpoints(storm_cluster)
    ui = UIClient(ui_url, timeout=30)

    def counted() -> Any:
        page = ui.topology_by_name(name)
        spouts = {s["spoutId"]: s for s in page.get("spouts", [])}
        bolts = {b["boltId"]: b for b in page.get("bolts", [])}
        if "word_spout" not in spouts or not {"count_bolt", "sink_bolt"} <= set(bolts):
            return None  # no executor stats yet
        emitted = int(spouts["word_spout"]["emitted"] or 0)
        acked = int(bolts["count_bolt"]["acked"] or 0)
        failed = int(bolts["count_bolt"]["failed"] or 0) + int(bolts["sink_bolt"]["failed"] or 0)
        assert failed == 0, page
        return page if emitted > 3000 and acked > 3000 else None

    poll("UI shows > 3000 emitted and acked", counted, deadline=420)

    # the counts are right: per word, the sink saw count = step, 2*step, ... (dog weighs 10)
    lines = []
    for f in sorted((project.parent / "sink").glob("sink-*.txt")):
        text = f.read_text()
        text = text[: text.rfind("\n") + 1]  # the sink is still writing: whole lines only
        lines.extend(line.split() for line in text.splitlines() if line.strip())
    seen: dict[str, list[int]] = {}
    for word, count in lines:
        seen.setdefault(word, []).append(int(count))
    assert set(seen) == {"dog", "cat", "zebra", "elephant"}
    for word, counts in seen.items():
        step = 10 if word == "dog" else 1
        assert counts == [step * (i + 1) for i in range(len(counts))], word
    assert len(seen["dog"]) > 100

    assert sparse(project, "stats", "-n", name, "--timeout", "30") == 0
    stats = capsys.readouterr().out
    assert "count_bolt" in stats and "word_spout" in stats

    assert sparse(project, "list") == 0
    assert name in capsys.readouterr().out
    assert sparse(project, "kill", "-N", name, "--wait", "0", "--block") == 0
    assert f"Killed topology {name} on " in capsys.readouterr().out
    assert sparse(project, "list") == 0
    assert name not in capsys.readouterr().out


def test_second_submit_is_already_alive_unless_forced(
    project: Path, submitted: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    name = "it-twice"
    submitted.append(name)
    assert sparse(project, "submit", "-n", "wordcount", "-N", name, "--timeout", "30") == 0
    capsys.readouterr()
    assert sparse(project, "submit", "-n", "wordcount", "-N", name, "--timeout", "30") == 1
    err = capsys.readouterr().err
    assert f"topology '{name}' is already running" in err and "--force" in err
    assert (
        sparse(
            project, "submit", "-n", "wordcount", "-N", name, "-f", "--wait", "0", "--timeout", "30"
        )
        == 0
    )
    assert "Killing the running topology" in capsys.readouterr().out


def test_nimbus_rejection_is_shown(
    project: Path, submitted: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    name = "it-rejected"
    submitted.append(name)
    code = sparse(project, "submit", "-n", "wordcount", "-N", name, "-o", "topology.workers=many")
    assert code == 1
    err = capsys.readouterr().err
    assert "Nimbus rejected the topology" in err, err
    assert "topology.workers" in err.lower() or "topology_workers" in err.lower(), err


def test_bolt_traceback_is_the_last_error(
    project: Path,
    storm_cluster: Any,
    submitted: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    name = "it-boom"
    submitted.append(name)
    assert sparse(project, "submit", "-n", "boom", "-N", name, "--timeout", "30") == 0
    _, ui_url = _endpoints(storm_cluster)
    ui = UIClient(ui_url, timeout=30)

    def python_error() -> str | None:
        """The first error of boom_bolt that carries the Python traceback (Storm records the
        runtime's ``error`` command as "Shell Process Exception: <traceback>"; the subprocess's
        death is reported after it and is usually the lastError)."""
        page = ui.component(ui.topology_id(name), "boom_bolt")
        for err in page.get("componentErrors") or []:
            if "ZeroDivisionError" in str(err.get("error")):
                return str(err["error"])
        return None

    error = poll("the boom bolt's Python traceback in the UI", python_error, deadline=300)
    assert "Traceback (most recent call last)" in error
    assert "ZeroDivisionError: boom from python" in error

    def last_error() -> str | None:
        """The bolt's lastError once it names the Python exception: the runtime writes the
        exception and its traceback to stderr before exiting, which Storm puts in the
        "ShellBolt died" error it reports after the ``error`` command."""
        topology = ui.topology_by_name(name)
        bolt = next(b for b in topology["bolts"] if b["boltId"] == "boom_bolt")
        text = str(bolt.get("lastError") or "")
        return text if "ZeroDivisionError" in text else None

    assert "boom from python" in poll("the Python exception as lastError", last_error, 120)
    assert sparse(project, "stats", "-n", name, "-c", "boom_bolt", "--timeout", "30") == 0
    assert "ZeroDivisionError: boom from python" in capsys.readouterr().out


def test_inactive_activate_deactivate_rebalance(
    project: Path,
    storm_cluster: Any,
    submitted: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    name = "it-lifecycle"
    submitted.append(name)
    nimbus, _ = _endpoints(storm_cluster)
    host, _, port = nimbus.rpartition(":")

    def status() -> str:
        with NimbusClient(host, int(port), timeout=30) as client:
            return client.topology_summary(name).status

    assert sparse(project, "submit", "-n", "wordcount", "-N", name, "-i") == 0
    assert "(INACTIVE)" in capsys.readouterr().out
    assert status() == "INACTIVE"
    assert sparse(project, "activate", "-N", name) == 0
    poll("ACTIVE after activate", lambda: status() == "ACTIVE", deadline=60, interval=1)
    assert sparse(project, "deactivate", "-N", name) == 0
    poll("INACTIVE after deactivate", lambda: status() == "INACTIVE", deadline=60, interval=1)
    assert sparse(project, "rebalance", "-N", name, "-w", "2", "--wait", "0") == 0
    assert "Rebalancing topology it-lifecycle" in capsys.readouterr().out

    def two_workers() -> bool:
        with NimbusClient(host, int(port), timeout=30) as client:
            return client.topology_summary(name).num_workers == 2

    poll("2 workers after rebalance -w 2", two_workers, deadline=180)
