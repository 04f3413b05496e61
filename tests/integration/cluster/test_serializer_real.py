"""stormbridge's multilang serializer (``stormbridge.multilang.FastJsonSerializer``) and batched
transport (``BatchShellBolt``/``BatchShellSpout``) on a real Storm cluster: both the default of
``sparse submit``, exact word counts through them, direct emits from a Python spout and a Python
bolt that reach exactly the chosen task (Storm 2.8.3's own serializer kills the worker on them),
a bolt's exception shown in the UI, failed and timed-out tuples replayed, ticks, a SIGKILLed
Python process restarting the worker with its pending tuples replayed, and Storm's stock
serializer and shell classes (the plain protocol) still working when asked for.

Uses the session fixture ``storm_cluster`` (tests/integration/conftest.py). Workers run on this
host, so sink bolts write what they receive to folders here and the tests count exactly.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from stormbridge.storm.multilang import SERIALIZER_CLASS, STOCK_SERIALIZER
from stormbridge.ui.client import UIClient

from ..submitting import finished_lines, poll, sparse, worker_log_lines, write_project

pytestmark = [pytest.mark.storm, pytest.mark.slow, pytest.mark.timeout(900)]


SINK_BOLT = '''
import os

from streamparse import Bolt


class SinkBolt(Bolt):
    """Appends every (word, count) it receives to <it.sink_dir>/<sub>/sink-<pid>.txt."""

    def initialize(self, conf, ctx):
        folder = os.path.join(conf["it.sink_dir"], conf["it.sink_sub"])
        os.makedirs(folder, exist_ok=True)
        self.out = open(os.path.join(folder, "sink-%d.txt" % os.getpid()), "a", buffering=1)

    def process(self, tup):
        word, count = tup.values
        self.out.write("%s %d\\n" % (word, count))
'''

DIRECT = '''
import os
import time

from streamparse import Bolt, Spout, Stream


def sink_tasks(ctx):
    """The task ids of direct_sink but the highest one (which must receive nothing)."""
    tasks = sorted(int(t) for t, c in ctx["task->component"].items() if c == "direct_sink")
    return tasks[:-1]


class DirectSpout(Spout):
    outputs = [Stream(["n"]), Stream(["n", "target"], name="direct", direct=True)]

    def initialize(self, conf, ctx):
        self.targets = sink_tasks(ctx)
        self.n = 0

    def next_tuple(self):
        if self.n >= 300:
            time.sleep(0.05)
            return
        self.n += 1
        self.emit([self.n], tup_id="plain-%d" % self.n)
        target = self.targets[self.n % len(self.targets)]
        sent = self.emit([self.n, target], tup_id="direct-%d" % self.n, stream="direct",
                         direct_task=target)
        assert sent is None


class RelayBolt(Bolt):
    """Sends every number on to one chosen task of direct_sink (a direct emit from a bolt)."""

    outputs = [Stream(["n", "target"], direct=True)]

    def initialize(self, conf, ctx):
        self.targets = sink_tasks(ctx)

    def process(self, tup):
        n = tup.values[0]
        target = self.targets[(n + 1) % len(self.targets)]
        tasks = self.emit([n, target], direct_task=target, need_task_ids=True)
        assert tasks == [target], tasks


class DirectSink(Bolt):
    """Writes "<source> <own task> <n> <target>" for every tuple to <it.sink_dir>/direct/,
    and counts them in the Storm metric direct.received (declared, so it is registered)."""

    config = {"stormbridge.metrics": {"direct.received": "count"},
              "stormbridge.metrics.bucket.secs": 5}

    def initialize(self, conf, ctx):
        folder = os.path.join(conf["it.sink_dir"], "direct")
        os.makedirs(folder, exist_ok=True)
        self.me = ctx["taskid"]
        self.out = open(os.path.join(folder, "task-%d.txt" % self.me), "a", buffering=1)

    def process(self, tup):
        n, target = tup.values
        self.out.write("%s %d %d %d\\n" % (tup.component, self.me, n, target))
        self.report_metric("direct.received", 1)
'''

BOOM_BOLT = """
from streamparse import Bolt


class BoomBolt(Bolt):
    def process(self, tup):
        raise ZeroDivisionError("boom from python: " + tup.values[0])
"""

REPLAY = '''
import glob
import os
import time

from streamparse import Bolt, Spout


def _open(conf, kind):
    folder = os.path.join(conf["it.sink_dir"], conf["it.sink_sub"])
    os.makedirs(folder, exist_ok=True)
    return folder, open(os.path.join(folder, "%s-%d.txt" % (kind, os.getpid())), "a", buffering=1)


class ReplaySpout(Spout):
    """Emits 1..it.replay_n with message ids, re-emits what fails, and writes "ack n"/"fail n"
    to spout-<pid>.txt. A restarted spout skips what an earlier process saw acked."""

    outputs = ["n"]

    def initialize(self, conf, ctx):
        folder, self.out = _open(conf, "spout")
        acked = set()
        for name in glob.glob(os.path.join(folder, "spout-*.txt")):
            with open(name) as f:
                acked.update(int(line.split()[1]) for line in f if line.startswith("ack "))
        total = int(conf["it.replay_n"])
        self.todo = [n for n in range(total, 0, -1) if n not in acked]

    def next_tuple(self):
        if not self.todo:
            time.sleep(0.01)
            return
        n = self.todo.pop()
        self.emit([n], tup_id=n)

    def ack(self, n):
        self.out.write("ack %d\\n" % n)

    def fail(self, n):
        self.out.write("fail %d\\n" % n)
        self.todo.append(n)


class FlakyBolt(Bolt):
    """Writes every n it gets to bolt-<pid>.txt. The first time it sees n: fails it when
    n % 7 == 0, holds it (never acked: the tuple times out) when n % 7 == 1, else acks it."""

    auto_ack = False

    def initialize(self, conf, ctx):
        _, self.out = _open(conf, "bolt")
        self.seen = set()

    def process(self, tup):
        n = tup.values[0]
        self.out.write("%d\\n" % n)
        first = n not in self.seen
        self.seen.add(n)
        if first and n % 7 == 0:
            self.fail(tup)
        elif not (first and n % 7 == 1):
            self.ack(tup)


class TickBolt(Bolt):
    """Writes "tick" to tick-<pid>.txt for every tick tuple (once a second), and passes every
    n on with need_task_ids, writing "task n <the task Storm says it went to>"."""

    outputs = ["n"]
    config = {"topology.tick.tuple.freq.secs": 1}

    def initialize(self, conf, ctx):
        _, self.out = _open(conf, "tick")

    def process_tick(self, tup):
        self.out.write("tick\\n")

    def process(self, tup):
        n = tup.values[0]
        (task,) = self.emit([n], need_task_ids=True)
        self.out.write("task %d %d\\n" % (n, task))


class IdsBolt(Bolt):
    """Writes "n <own task>" to ids-<pid>.txt for every n it gets."""

    def initialize(self, conf, ctx):
        _, self.out = _open(conf, "ids")
        self.me = ctx["taskid"]

    def process(self, tup):
        self.out.write("%d %d\\n" % (tup.values[0], self.me))
'''

REPLAY_TOPOLOGY = """
from streamparse import Grouping, Topology

from bolts.replay import FlakyBolt, IdsBolt, ReplaySpout, TickBolt


class Replay(Topology):
    replay_spout = ReplaySpout.spec()
    flaky_bolt = FlakyBolt.spec(inputs={replay_spout: Grouping.SHUFFLE})
    tick_bolt = TickBolt.spec(inputs={replay_spout: Grouping.SHUFFLE})
    ids_bolt = IdsBolt.spec(inputs={tick_bolt: Grouping.SHUFFLE}, par=2)
"""

CHECKED_TOPOLOGY = """
from streamparse import Grouping, Topology

from bolts.direct import DirectSink, DirectSpout, RelayBolt
from bolts.sink import SinkBolt
from bolts.wordcount import WordCountBolt
from spouts.words import WordSpout


class Checked(Topology):
    word_spout = WordSpout.spec()
    count_bolt = WordCountBolt.spec(inputs={word_spout: Grouping.fields("word")}, par=2)
    sink_bolt = SinkBolt.spec(inputs={count_bolt: Grouping.fields("word")}, par=1)
    direct_spout = DirectSpout.spec()
    relay_bolt = RelayBolt.spec(inputs={direct_spout["default"]: Grouping.SHUFFLE})
    direct_sink = DirectSink.spec(
        inputs={direct_spout["direct"]: Grouping.DIRECT, relay_bolt: Grouping.DIRECT}, par=3
    )
"""

PLAIN_TOPOLOGY = """
from streamparse import Grouping, Topology

from bolts.sink import SinkBolt
from bolts.wordcount import WordCountBolt
from spouts.words import WordSpout


class Plain(Topology):
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


@pytest.fixture
def project(storm_cluster: Any, tmp_path: Path) -> Path:
    files = {
        "src/bolts/sink.py": SINK_BOLT,
        "src/bolts/direct.py": DIRECT,
        "src/bolts/boom.py": BOOM_BOLT,
        "src/bolts/replay.py": REPLAY,
        "topologies/replay.py": REPLAY_TOPOLOGY,
        "topologies/checked.py": CHECKED_TOPOLOGY,
        "topologies/plain.py": PLAIN_TOPOLOGY,
        "topologies/boom.py": BOOM_TOPOLOGY,
    }
    return write_project(tmp_path / "wc", storm_cluster, files, {"it.sink_sub": "words"})


def whole_lines(folder: Path, pattern: str) -> list[list[str]]:
    return [line.split() for f in sorted(folder.glob(pattern)) for line in finished_lines(f)]


def check_word_counts(folder: Path, at_least: int) -> None:
    """Per word, the sink saw count = step, 2*step, ... (dog weighs 10), nothing lost."""
    seen: dict[str, list[int]] = {}
    for word, count in whole_lines(folder, "sink-*.txt"):
        seen.setdefault(word, []).append(int(count))
    assert set(seen) == {"dog", "cat", "zebra", "elephant"}
    for word, counts in seen.items():
        step = 10 if word == "dog" else 1
        assert counts == [step * (i + 1) for i in range(len(counts))], word
    assert len(seen["dog"]) > at_least


def serializer_in_worker_log(cluster: Any, name: str) -> set[str]:
    """The serializers the workers of topology ``name`` logged ("Storm multilang serializer")."""
    mark = "Storm multilang serializer: "
    return {
        line.split(mark, 1)[1].strip() for line in worker_log_lines(cluster, name) if mark in line
    }


def launched_by(cluster: Any, name: str) -> set[str]:
    """The classes that started topology ``name``'s subprocesses ("Launched subprocess with
    pid" in the worker logs): ShellBolt/ShellSpout (Storm's) or BatchShellBolt/-Spout."""
    return {
        line.split(" - ", 1)[0].split()[-1].rsplit(".", 1)[-1]
        for line in worker_log_lines(cluster, name)
        if " - Launched subprocess with pid" in line
    }


def replay_lines(folder: Path, kind: str) -> dict[int, list[list[str]]]:
    """The whole lines of each ``<kind>-<pid>.txt`` in ``folder``, by pid."""
    return {
        int(f.stem.split("-")[1]): whole_lines(folder, f.name)
        for f in sorted(folder.glob(f"{kind}-*.txt"))
    }


def test_word_count_and_direct_emits_with_our_serializer(
    project: Path, storm_cluster: Any, submitted: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    name = "it-own-serializer"
    submitted.append(name)
    consumer = (
        '[{"class": "org.apache.storm.metric.LoggingMetricsConsumer", "parallelism.hint": 1}]'
    )
    argv = ["submit", "-n", "checked", "-N", name, "--timeout", "30"]
    assert sparse(project, *argv, "-o", f"topology.metrics.consumer.register={consumer}") == 0
    captured = capsys.readouterr()
    assert f"topology.multilang.serializer: {SERIALIZER_CLASS}" in captured.out
    assert "Storm's stock multilang classes" not in captured.err  # no fallback note
    ui = UIClient(storm_cluster.ui_url, timeout=30)
    sink = project.parent / "sink"

    def counted() -> Any:
        page = ui.topology_by_name(name)
        spouts = {s["spoutId"]: s for s in page.get("spouts", [])}
        bolts = {b["boltId"]: b for b in page.get("bolts", [])}
        if not {"word_spout", "direct_spout"} <= set(spouts):
            return None
        failed = sum(int(b["failed"] or 0) for b in bolts.values())
        failed += sum(int(s["failed"] or 0) for s in spouts.values())
        assert failed == 0, page
        assert not any(b.get("lastError") for b in bolts.values()), page
        # the word spout emits without message ids (nothing to ack at the spout): count the
        # bolt's acks; the direct spout emits with ids, so its 600 tuple trees are acked
        words = int(bolts.get("count_bolt", {}).get("acked") or 0)
        direct = int(spouts["direct_spout"]["acked"] or 0)
        return page if words > 2000 and direct >= 600 else None

    poll("UI shows > 2000 words counted and all 600 direct tuples acked", counted, deadline=480)
    check_word_counts(sink / "words", at_least=60)

    rows = whole_lines(sink / "direct", "task-*.txt")
    by_source: dict[str, list[int]] = {}
    for source, me, n, target in rows:
        assert me == target, f"tuple {n} for task {target} arrived at task {me}"
        by_source.setdefault(source, []).append(int(n))
    assert sorted(by_source["direct_spout"]) == list(range(1, 301))
    assert sorted(by_source["relay_bolt"]) == list(range(1, 301))
    targets = {int(target) for _, _, _, target in rows}
    files = sorted(int(f.stem.split("-")[1]) for f in (sink / "direct").glob("task-*.txt"))
    assert len(files) == 3 and targets == set(files[:2]), (targets, files)
    assert not whole_lines(sink / "direct", f"task-{files[2]}.txt")  # never chosen, got nothing
    assert serializer_in_worker_log(storm_cluster, name) == {SERIALIZER_CLASS}
    assert launched_by(storm_cluster, name) == {"BatchShellSpout", "BatchShellBolt"}

    def metric_total() -> int | None:
        """direct.received summed over the sink's tasks in LoggingMetricsConsumer's log."""
        total = 0
        for log in storm_cluster.log_dir.joinpath("workers-artifacts").rglob("*.metrics"):
            if f"/{name}-" not in str(log):
                continue
            for line in log.read_text(errors="replace").splitlines():
                fields = line.split()
                if "direct.received" in fields and ":direct_sink" in line:
                    total += int(fields[fields.index("direct.received") + 1])
        return total if total >= 600 else None

    # Python's report_metric reached Storm's metrics consumer: all 600 tuples counted
    assert poll("600 direct.received in the metrics log", metric_total, deadline=120) == 600


def test_stock_serializer_still_counts(
    project: Path, storm_cluster: Any, submitted: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    name = "it-stock-serializer"
    submitted.append(name)
    argv = ["submit", "-n", "plain", "-N", name, "--timeout", "30"]
    argv += ["-o", f"topology.multilang.serializer={STOCK_SERIALIZER}", "-o", "it.sink_sub=stock"]
    argv += ["-o", "stormbridge.transport=stock"]  # Storm's ShellBolt/ShellSpout: plain protocol
    assert sparse(project, *argv) == 0
    assert f"topology.multilang.serializer: {STOCK_SERIALIZER}" in capsys.readouterr().out
    ui = UIClient(storm_cluster.ui_url, timeout=30)

    def counted() -> Any:
        page = ui.topology_by_name(name)
        bolts = {b["boltId"]: b for b in page.get("bolts", [])}
        return int(bolts.get("count_bolt", {}).get("acked") or 0) > 2000

    poll("UI shows > 2000 words counted", counted, deadline=480)
    check_word_counts(project.parent / "sink" / "stock", at_least=60)
    assert serializer_in_worker_log(storm_cluster, name) == {STOCK_SERIALIZER}
    assert launched_by(storm_cluster, name) == {"ShellSpout", "ShellBolt"}


def test_bolt_exception_shows_in_the_ui_with_our_serializer(
    project: Path, storm_cluster: Any, submitted: list[str]
) -> None:
    name = "it-own-boom"
    submitted.append(name)
    assert sparse(project, "submit", "-n", "boom", "-N", name, "--timeout", "30") == 0
    ui = UIClient(storm_cluster.ui_url, timeout=30)

    def python_error() -> str | None:
        page = ui.component(ui.topology_id(name), "boom_bolt")
        for err in page.get("componentErrors") or []:
            if "ZeroDivisionError" in str(err.get("error")):
                return str(err["error"])
        return None

    error = poll("the boom bolt's Python traceback in the UI", python_error, deadline=300)
    assert "Traceback (most recent call last)" in error
    assert "ZeroDivisionError: boom from python" in error
    assert serializer_in_worker_log(storm_cluster, name) == {SERIALIZER_CLASS}


def test_batched_replays_fails_timeouts_ticks_and_a_sigkilled_process(
    project: Path, storm_cluster: Any, submitted: list[str]
) -> None:
    name = "it-batched-replay"
    submitted.append(name)
    total = 140
    argv = ["submit", "-n", "replay", "-N", name, "--timeout", "30", "-o", "it.sink_sub=replay"]
    argv += ["-o", f"it.replay_n={total}", "-o", "topology.message.timeout.secs=5"]
    assert sparse(project, *argv) == 0
    folder = project.parent / "sink" / "replay"

    def acked(lines: list[list[str]]) -> set[int]:
        return {int(n) for what, n in lines if what == "ack"}

    def first_process_acking() -> Any:
        spouts = replay_lines(folder, "spout")
        return spouts if len(spouts) == 1 and len(acked(*spouts.values())) >= 60 else None

    before = poll("the first spout process acks 60 tuples", first_process_acking, deadline=300)
    (old_spout,) = before
    (old_bolt,) = replay_lines(folder, "bolt")
    # n % 7 == 1 are held by the bolt until they time out (5-10 s): pending now
    os.kill(old_bolt, signal.SIGKILL)
    acked_before_kill = acked(before[old_spout])

    def all_acked() -> Any:
        spouts = replay_lines(folder, "spout")
        done = set().union(*(acked(lines) for lines in spouts.values()))
        return spouts if len(spouts) >= 2 and done == set(range(1, total + 1)) else None

    spouts = poll("a restarted worker acks every tuple", all_acked, deadline=300)
    bolts = replay_lines(folder, "bolt")
    assert len(bolts) >= 2, "the bolt process was not restarted"
    failed = {int(n) for lines in spouts.values() for what, n in lines if what == "fail"}
    # failed (n % 7 == 0) and timed-out (n % 7 == 1) tuples came back and were acked
    assert {n for n in range(1, total + 1) if n % 7 in (0, 1)} <= failed
    old_seen = {int(n) for (n,) in bolts[old_bolt]}
    new_seen = {int(n) for pid, lines in bolts.items() if pid != old_bolt for (n,) in lines}
    replayed = (old_seen - acked_before_kill) & new_seen
    assert replayed, "no tuple pending at the kill reached the restarted bolt"
    tick_lines = [line for lines in replay_lines(folder, "tick").values() for line in lines]
    assert tick_lines.count(["tick"]) >= 3
    # need_task_ids replies came back in order: every n reached the task its reply named
    told = {(int(line[1]), int(line[2])) for line in tick_lines if line[0] == "task"}
    received = {
        (int(n), int(me)) for lines in replay_lines(folder, "ids").values() for n, me in lines
    }
    assert len({task for _, task in told}) == 2, told  # both tasks were named
    assert received and received <= told, received - told
    assert launched_by(storm_cluster, name) == {"BatchShellSpout", "BatchShellBolt"}
    died = [
        line
        for line in worker_log_lines(storm_cluster, name)
        if "Halting process: BatchShellBolt died" in line
    ]
    assert died, "the worker log does not say the bolt's subprocess died"
