"""The benchmark driver counts exactly: a correctness check of bench/driver.py, no timings.

It drives stormbridge's ``streamparse_run`` (the project's own word-count bolt and word
spout, unchanged) over real pipes for a few hundred tuples, and a deliberately wrong
stand-alone multilang bolt to show the driver's checks catch miscounts and lost acks.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]
STREAMPARSE_RUN = Path(sys.executable).parent / "streamparse_run"


def _load_driver() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_driver", ROOT / "bench" / "driver.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_driver"] = module  # dataclasses look the module up by name
    spec.loader.exec_module(module)
    return module


driver = _load_driver()


@pytest.fixture
def resources(tmp_path: Path) -> str:
    """A copy of the project's src/, as Storm's resources/ working directory."""
    dest = tmp_path / "resources"
    shutil.copytree(ROOT / "src", dest, ignore=shutil.ignore_patterns("__pycache__"))
    return str(dest)


def _cmd(*args: str) -> list[str]:
    return [str(STREAMPARSE_RUN), *args]


@pytest.mark.parametrize("serializer", ["json", "msgpack"])
def test_word_count_bolt_every_tuple_acked_and_counted(resources: str, serializer: str) -> None:
    n = 1500  # crosses the bolt's "counted [1,000] words" log line
    args = ["bolts.wordcount.WordCountBolt"]
    if serializer != "json":
        args = ["-s", serializer, *args]
    run = driver.run_bolt(_cmd(*args), resources, n, serializer=serializer, timeout=60)

    ids, words = driver._bolt_inputs(n, 1)
    assert sorted(run.acked) == sorted(ids)
    assert run.failed == []
    assert [values for values, _ in run.emits] == driver.expected_word_counts(words)
    assert [anchors for _, anchors in run.emits] == [[i] for i in ids]
    assert any("counted [1,000] words" in line for line in run.logs)
    assert run.errors == []
    driver.check_word_count(run)  # the benchmark's own check agrees
    assert run.cpu_seconds > 0 and run.peak_rss_kib > 0
    assert run.summary()["acked"] == n


@pytest.mark.parametrize(
    ("serializer", "same_cpu"), [("json", False), ("json", True), ("msgpack", False)]
)
def test_word_spout_one_word_per_next(resources: str, serializer: str, same_cpu: bool) -> None:
    args = ["spouts.words.WordSpout"]
    if serializer != "json":
        args = ["-s", serializer, *args]
    before = os.sched_getaffinity(0)
    run = driver.run_spout(
        _cmd(*args), resources, 300, serializer=serializer, timeout=60, same_cpu=same_cpu
    )
    assert os.sched_getaffinity(0) == before  # the driver's CPU mask is restored
    assert [values for values, _ in run.emits] == [[driver.WORDS[i % 4]] for i in range(300)]
    driver.check_word_spout(run)


def test_expected_word_counts() -> None:
    assert driver.expected_word_counts(["dog", "cat", "dog", "cat", "zebra"]) == [
        ["dog", 10],
        ["cat", 1],
        ["dog", 20],
        ["cat", 2],
        ["zebra", 1],
    ]


# A stand-alone multilang bolt (stdlib only) that acks everything but counts every word as
# 1 and skips the ack of its 7th tuple until the end: the checks must notice both.
_WRONG_BOLT = textwrap.dedent(
    """
    import json, os, sys
    def read():
        lines = []
        while True:
            line = sys.stdin.readline()
            if not line:
                sys.exit(0)
            if line == "end\\n":
                return json.loads("".join(lines))
            lines.append(line)
    def send(msg):
        sys.stdout.write(json.dumps(msg) + "\\nend\\n")
        sys.stdout.flush()
    hs = read()
    open(os.path.join(hs["pidDir"], str(os.getpid())), "w").close()
    send({"pid": os.getpid()})
    counts, seen, held = {}, 0, None
    while True:
        t = read()
        if t["stream"] == "__heartbeat":
            send({"command": "sync"})
            continue
        w = t["tuple"][0]
        counts[w] = counts.get(w, 0) + 1
        send({"command": "emit", "anchors": [t["id"]], "tuple": [w, counts[w]],
              "need_task_ids": False})
        seen += 1
        if seen == 7:
            held = t["id"]
            continue
        send({"command": "ack", "id": t["id"]})
        if seen == %(n)d - 1:
            send({"command": "fail", "id": held})
    """
)


def test_checks_catch_a_wrong_bolt(tmp_path: Path) -> None:
    n = 50
    script = tmp_path / "wrong_bolt.py"
    script.write_text(_WRONG_BOLT % {"n": n})
    run = driver.run_bolt([sys.executable, str(script)], str(tmp_path), n, timeout=60)
    assert len(run.acked) == n - 1 and len(run.failed) == 1
    with pytest.raises(driver.DriverError, match="1 tuples failed"):
        driver.check_word_count(run)
    run.failed = []
    run.acked.append(run.acked[0])  # a duplicate ack instead of the missing one
    with pytest.raises(driver.DriverError, match="not exactly"):
        driver.check_word_count(run)
    run.acked = list(driver._bolt_inputs(n, 1)[0])
    with pytest.raises(driver.DriverError, match="emits differ"):
        driver.check_word_count(run)


def test_a_component_that_dies_is_reported_with_its_stderr(tmp_path: Path) -> None:
    script = tmp_path / "dies.py"
    script.write_text("import sys\nsys.stderr.write('boom: no such bolt\\n')\nsys.exit(3)\n")
    with pytest.raises(driver.DriverError, match="boom: no such bolt"):
        driver.run_bolt([sys.executable, str(script)], str(tmp_path), 10, timeout=30)
