"""A batched Python bolt whose process dies, on a real Storm cluster: once exiting with a code,
once SIGKILLed; and a batched Python spout SIGKILLed while its tuples are in flight. Each time
the worker exits and Storm restarts it, the tuples the dead process held come again (every id is
acked in the end), the error Storm reports names the component, task, pid and the exit code or
signal, and our UI keeps showing it as the component's ``lastError`` after Storm's recent errors
vanished with the dead worker's ZooKeeper session.

Uses the session fixture ``storm_cluster`` (tests/integration/conftest.py). About 45 s for the
bolts on a 2-core machine once the cluster runs (two runs: 45.2 and 45.5 s); most of it is two
worker restarts and the ~20 s until Storm's recent errors vanish. The spout: about 30 s
(one run: 30.4 s), most of it the worker's restart.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from stormbridge.ui.backend import NimbusBackend
from stormbridge.ui.client import UIClient

from ..submitting import finished_lines, poll, sparse, worker_log_lines, write_project

pytestmark = [pytest.mark.storm, pytest.mark.slow, pytest.mark.timeout(600)]

TOTAL = 300
EXIT_AT = 40
EXIT_CODE = 3

DEATHS = '''
import glob
import os
import time

from streamparse import Bolt, Spout


def _folder(conf):
    folder = os.path.join(conf["it.sink_dir"], conf["it.sink_sub"])
    os.makedirs(folder, exist_ok=True)
    return folder


def _open(folder, kind):
    """<kind>-<pid>.txt, its first line "started" and the markers ("exited", "killed") that
    existed then: which worker generation the process belongs to."""
    out = open(os.path.join(folder, "%s-%d.txt" % (kind, os.getpid())), "a", buffering=1)
    markers = [m for m in ("exited", "killed") if os.path.exists(os.path.join(folder, m))]
    out.write(" ".join(["started"] + markers) + "\\n")
    return out


class NumberSpout(Spout):
    """Emits 1..it.total with message ids, writing "emit n" and "ack n" to spout-<pid>.txt;
    re-emits what fails. A restarted spout skips what an earlier process saw acked."""

    outputs = ["n"]

    def initialize(self, conf, ctx):
        folder = _folder(conf)
        acked = set()
        for name in glob.glob(os.path.join(folder, "spout-*.txt")):
            with open(name) as f:
                acked.update(int(line.split()[1]) for line in f if line.startswith("ack "))
        self.out = _open(folder, "spout")
        total = int(conf["it.total"])
        self.todo = [n for n in range(total, 0, -1) if n not in acked]

    def next_tuple(self):
        if not self.todo:
            time.sleep(0.01)
            return
        n = self.todo.pop()
        self.out.write("emit %d\\n" % n)
        self.emit([n], tup_id=n)

    def ack(self, n):
        self.out.write("ack %d\\n" % n)

    def fail(self, n):
        self.todo.append(n)


class ExitBolt(Bolt):
    """Writes every n to exit-<pid>.txt. The first process to get n >= it.exit_at writes its
    pid to the file "exited" and exits with code it.exit_code, without a word to Storm."""

    def initialize(self, conf, ctx):
        folder = _folder(conf)
        self.out = _open(folder, "exit")
        self.marker = os.path.join(folder, "exited")
        self.exit_at = int(conf["it.exit_at"])
        self.code = int(conf["it.exit_code"])

    def process(self, tup):
        n = tup.values[0]
        self.out.write("%d\\n" % n)
        if n >= self.exit_at and not os.path.exists(self.marker):
            with open(self.marker, "w") as f:
                f.write("%d\\n" % os.getpid())
            os._exit(self.code)


class VictimBolt(Bolt):
    """Writes every n to victim-<pid>.txt; slow (20 ms a tuple), so tuples queue up for it."""

    def initialize(self, conf, ctx):
        self.out = _open(_folder(conf), "victim")

    def process(self, tup):
        time.sleep(0.02)
        self.out.write("%d\\n" % tup.values[0])
'''

SPOUT_DEATH_TOPOLOGY = """
from streamparse import Grouping, Topology

from bolts.deaths import NumberSpout, VictimBolt


class SpoutDeath(Topology):
    number_spout = NumberSpout.spec()
    victim_bolt = VictimBolt.spec(inputs={number_spout: Grouping.SHUFFLE})
"""

DEATHS_TOPOLOGY = """
from streamparse import Grouping, Topology

from bolts.deaths import ExitBolt, NumberSpout, VictimBolt


class Deaths(Topology):
    number_spout = NumberSpout.spec()
    exit_bolt = ExitBolt.spec(inputs={number_spout: Grouping.SHUFFLE})
    victim_bolt = VictimBolt.spec(inputs={number_spout: Grouping.SHUFFLE})
"""


@pytest.fixture
def project(storm_cluster: Any, tmp_path: Path) -> Path:
    files = {
        "src/bolts/deaths.py": DEATHS,
        "topologies/deaths.py": DEATHS_TOPOLOGY,
        "topologies/spout_death.py": SPOUT_DEATH_TOPOLOGY,
    }
    options = {
        "it.sink_sub": "deaths",
        "it.total": TOTAL,
        "it.exit_at": EXIT_AT,
        "it.exit_code": EXIT_CODE,
    }
    return write_project(tmp_path / "deaths", storm_cluster, files, options)


def lines_by_pid(folder: Path, kind: str) -> dict[int, list[str]]:
    """The whole lines of each ``<kind>-<pid>.txt`` in ``folder``, by pid."""
    return {
        int(f.stem.split("-")[1]): finished_lines(f) for f in sorted(folder.glob(f"{kind}-*.txt"))
    }


def numbers(lines: list[str], what: str = "") -> set[int]:
    """The n of the lines "<what> n" (or of the lines "n")."""
    found: set[int] = set()
    for line in lines:
        parts = line.split()
        if what and len(parts) == 2 and parts[0] == what:
            found.add(int(parts[1]))
        elif not what and len(parts) == 1 and parts[0].isdigit():
            found.add(int(parts[0]))
    return found


def generation(lines: list[str]) -> int:
    """1: started before the exit, 2: after the exit, 3: after the kill."""
    return len(lines[0].split()) if lines else 0


def by_generation(found: dict[int, list[str]]) -> dict[int, set[int]]:
    """The pids of each generation."""
    gens: dict[int, set[int]] = {1: set(), 2: set(), 3: set()}
    for pid, lines in found.items():
        if lines:
            gens[generation(lines)].add(pid)
    return gens


def launched_pids(cluster: Any, name: str) -> set[int]:
    """Pids from "Launched subprocess with pid N" in topology ``name``'s worker logs."""
    mark = "Launched subprocess with pid "
    return {
        int(line.split(mark, 1)[1].split()[0])
        for line in worker_log_lines(cluster, name)
        if mark in line
    }


def sigkill(cluster: Any, name: str, folder: Path, pid: int) -> None:
    """SIGKILL ``pid``, a Python process Storm logged it launched for topology ``name``, after
    writing the "killed" marker (so processes started later are of the next generation)."""
    assert pid in launched_pids(cluster, name)
    (folder / "killed").write_text(f"{pid}\n")
    os.kill(pid, signal.SIGKILL)


def acked_ids(spouts: dict[int, list[str]]) -> set[int]:
    """The ids that any of the spout processes saw acked."""
    return set().union(*(numbers(lines, "ack") for lines in spouts.values()))


def test_a_dying_python_bolt_is_restarted_replayed_and_reported(
    project: Path, storm_cluster: Any, submitted: list[str]
) -> None:
    name = "it-shell-deaths"
    submitted.append(name)
    assert sparse(project, "submit", "-n", "deaths", "-N", name, "--timeout", "30") == 0
    folder = project.parent / "sink" / "deaths"
    marker = folder / "exited"

    # 1. The exit bolt exits with code 3 at n >= 40; the worker comes back.
    def victim_after_exit() -> int | None:
        """The pid of a victim process started after the exit, once it has 20 tuples."""
        for pid, lines in lines_by_pid(folder, "victim").items():
            if generation(lines) == 2 and len(numbers(lines)) >= 20:
                return pid
        return None

    victim = poll("the worker restarted after the exit", victim_after_exit, 120, interval=0.5)
    exited = int(marker.read_text())

    # 2. SIGKILL that victim (Storm logged it launched that pid).
    sigkill(storm_cluster, name, folder, victim)

    # 3. Every id is acked in the end, and what was pending at each death came again.
    def all_acked() -> dict[int, list[str]] | None:
        spouts = lines_by_pid(folder, "spout")
        done = acked_ids(spouts) == set(range(1, TOTAL + 1)) and all(by_generation(spouts).values())
        return spouts if done else None

    spouts = poll("every id acked after two worker restarts", all_acked, 120, interval=1)
    gens = by_generation(spouts)
    assert len(gens[1]) == len(gens[2]) == 1, gens  # one spout process per worker
    acks = {g: set().union(*(numbers(spouts[p], "ack") for p in gens[g])) for g in gens}
    emits = {g: set().union(*(numbers(spouts[p], "emit") for p in gens[g])) for g in gens}
    pending_at_exit = emits[1] - acks[1]
    pending_at_kill = emits[2] - acks[2]
    assert pending_at_exit and pending_at_kill, (pending_at_exit, pending_at_kill)
    assert not acks[1] & acks[2] and not (acks[1] | acks[2]) & acks[3]  # none acked twice
    assert pending_at_exit <= acks[2] | acks[3]
    assert pending_at_kill <= acks[3]

    exits = lines_by_pid(folder, "exit")
    died_on = int(exits[exited][-1])  # its last line: the n it exited on
    assert died_on >= EXIT_AT and died_on in pending_at_exit
    later_exit_seen = set().union(*(numbers(v) for p, v in exits.items() if p != exited))
    assert pending_at_exit <= later_exit_seen  # the exit bolt's tuples reached it again
    victims = lines_by_pid(folder, "victim")
    assert generation(victims[victim]) == 2
    last_victims = by_generation(victims)[3]
    assert last_victims, "the victim's process was not restarted"
    seen_after_kill = set().union(*(numbers(victims[p]) for p in last_victims))
    assert pending_at_kill <= seen_after_kill  # the killed bolt's tuples reached its successor
    deaths = [
        line.split(" - Halting process: ", 1)[1]
        for line in worker_log_lines(storm_cluster, name)
        if " - Halting process: BatchShellBolt died." in line
    ]
    # one report per death: the bolts that the exiting worker stopped on purpose say nothing
    assert len(deaths) == 2, deaths

    # 4. Storm's error says what happened, with the pid and the exit code / signal.
    exit_says = "Python subprocess of component 'exit_bolt' task "
    exit_fact = f"(pid {exited}) exited with code {EXIT_CODE}"
    kill_fact = f"(pid {victim}) was killed by signal 9 (SIGKILL) (exit status 137)"
    ui = UIClient(storm_cluster.ui_url, timeout=30)
    topology_id = ui.topology_id(name)

    def reported() -> dict[str, str] | None:
        page = ui.topology(topology_id)
        last = {b["boltId"]: str(b.get("lastError") or "") for b in page.get("bolts", [])}
        errors = {
            c: [str(e["error"]) for e in ui.component(topology_id, c)["componentErrors"]]
            for c in ("exit_bolt", "victim_bolt")
        }
        if any(exit_fact in e for e in errors["exit_bolt"]) and any(
            kill_fact in e for e in errors["victim_bolt"]
        ):
            return last
        return None

    last = poll("both deaths reported in the UI", reported, 60, interval=1)
    assert exit_says in last["exit_bolt"] and exit_fact in last["exit_bolt"]
    assert kill_fact in last["victim_bolt"]
    assert len(last["victim_bolt"]) <= 200  # Storm's UI cut: the facts fit in it

    # 5. Storm's recent errors vanish with the dead workers' ZooKeeper sessions; Nimbus's
    # kept last error, and so our UI's lastError, stay.
    backend = NimbusBackend([(storm_cluster.nimbus_host, storm_cluster.nimbus_port)], timeout=30)

    def recent_errors_gone() -> Any:
        with backend.session() as nimbus:
            recent = nimbus.topology_info(topology_id, "ALL").errors or {}
            if recent.get("exit_bolt") or recent.get("victim_bolt"):
                return None
            return nimbus.topology_info(topology_id, "ONE").errors

    kept = poll("Storm's recent errors gone", recent_errors_gone, 90, interval=2)
    assert exit_fact in kept["exit_bolt"][0].error
    assert kill_fact in kept["victim_bolt"][0].error
    page = ui.topology(topology_id)
    last = {b["boltId"]: str(b.get("lastError") or "") for b in page["bolts"]}
    assert exit_fact in last["exit_bolt"]
    assert kill_fact in last["victim_bolt"]
    assert "worker.log" in "".join(
        e["error"] for e in ui.component(topology_id, "victim_bolt")["componentErrors"]
    )


@pytest.mark.skip(
    reason="flaky: one fresh-clone CI run found every id acked with no spout process started after "
    "the kill (3 passes before); not diagnosed yet"
)
def test_a_dying_python_spout_is_restarted_replayed_and_reported(
    project: Path, storm_cluster: Any, submitted: list[str]
) -> None:
    name = "it-spout-death"
    submitted.append(name)
    options = ["-o", "it.sink_sub=spout-death", "-o", "topology.message.timeout.secs=10"]
    assert sparse(project, "submit", "-n", "spout_death", "-N", name, *options) == 0
    folder = project.parent / "sink" / "spout-death"

    # 1. SIGKILL the spout's process while tuples it emitted wait for the slow bolt.
    def busy_spout() -> int | None:
        for pid, lines in lines_by_pid(folder, "spout").items():
            if len(numbers(lines, "ack")) >= 20 and len(numbers(lines, "emit")) >= 60:
                return pid
        return None

    spout = poll("the spout has tuples acked and in flight", busy_spout, 120, interval=0.2)
    sigkill(storm_cluster, name, folder, spout)

    # 2. The worker comes back; the new spout replays what was in flight; all acked once.
    def all_acked() -> dict[int, list[str]] | None:
        spouts = lines_by_pid(folder, "spout")
        return spouts if acked_ids(spouts) == set(range(1, TOTAL + 1)) else None

    spouts = poll("every id acked after the spout's death", all_acked, 180, interval=1)
    later = [p for p, lines in spouts.items() if generation(lines) == 2]
    assert later, "no spout process started after the kill"
    acked_before = numbers(spouts[spout], "ack")
    in_flight = numbers(spouts[spout], "emit") - acked_before
    assert in_flight, "nothing was in flight when the spout died"
    acked_after = set().union(*(numbers(spouts[p], "ack") for p in later))
    assert not acked_before & acked_after  # none acked twice
    assert in_flight <= acked_after  # what the dead spout had in flight came again
    deaths = [
        line
        for line in worker_log_lines(storm_cluster, name)
        if " - Halting process: BatchShellSpout died." in line
    ]
    assert len(deaths) == 1, deaths

    # 3. Storm's error, and so the UI, names the spout, its pid and the signal.
    fact = f"(pid {spout}) was killed by signal 9 (SIGKILL) (exit status 137)"
    ui = UIClient(storm_cluster.ui_url, timeout=30)
    topology_id = ui.topology_id(name)

    def reported() -> str | None:
        page = ui.topology(topology_id)
        last = {s["spoutId"]: str(s.get("lastError") or "") for s in page.get("spouts", [])}
        return last["number_spout"] if fact in last.get("number_spout", "") else None

    last = poll("the spout's death reported in the UI", reported, 60, interval=1)
    assert "Python subprocess of component 'number_spout' task " in last
