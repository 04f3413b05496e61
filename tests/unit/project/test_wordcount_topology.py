"""The repository's word-count project tested in process with stormbridge.testing's runner.

``topologies/wordcount.py`` with the bolts and spouts of ``src/`` unchanged: no JVM, real
multilang bytes between the runner and each component.
"""

from __future__ import annotations

import time
from pathlib import Path

from stormbridge.project.loader import load_topology_file
from stormbridge.testing import TopologyRunner, run_topology

REPO = Path(__file__).resolve().parents[3]
WORDCOUNT = REPO / "topologies" / "wordcount.py"


def test_dog_counts_ten(topology_runner) -> None:
    runner = topology_runner(WORDCOUNT, spouts={"word_spout": [["dog"], ["cat"], ["dog"]]})
    result = runner.run()
    assert result.emitted("count_bolt") == [["dog", 10], ["cat", 1], ["dog", 20]]
    assert result.emitted("word_spout") == [["dog"], ["cat"], ["dog"]]


def test_real_spout_and_fields_grouping_over_two_tasks() -> None:
    topology = load_topology_file(WORDCOUNT)
    started = time.perf_counter()  # the run itself: ~0.02 s on an idle machine
    with TopologyRunner(topology) as runner:
        assert runner.plans["count_bolt"].tasks == [1, 2]  # par=2, ids as Storm assigns them
        result = runner.next_tuple(times=8)  # WordSpout cycles dog, cat, zebra, elephant
    counts = result.emitted("count_bolt")
    assert counts[:4] == [["dog", 10], ["cat", 1], ["zebra", 1], ["elephant", 1]]
    assert counts[4:] == [["dog", 20], ["cat", 2], ["zebra", 2], ["elephant", 2]]
    # A fields grouping sends one word to one task, whatever the order.
    owners: dict[str, set[int]] = {}
    for task, values in result.received["count_bolt"].items():
        for (word,) in values:
            owners.setdefault(word, set()).add(task)
    assert all(len(tasks) == 1 for tasks in owners.values()), owners
    assert time.perf_counter() - started < 1.0


def test_reliable_ids_are_acked_when_the_count_is_done() -> None:
    from stormbridge.testing import Emit

    result = run_topology(
        load_topology_file(WORDCOUNT),
        spouts={"word_spout": [Emit(["dog"], id="m1"), Emit(["cat"], id="m2")]},
    )
    assert result.acked == {"word_spout": ["m1", "m2"]}
    assert result.failed == {} and result.pending == {}
