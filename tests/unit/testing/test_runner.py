"""The in-process topology runner: groupings, streams, anchoring, acker, replays, ticks, stubs.

Components here are ordinary stormbridge spouts and bolts; the runner drives them with real
multilang frames, so each assertion is on what came back over the wire.
"""

from __future__ import annotations

from typing import Any

import pytest

from stormbridge import Bolt, Grouping, ReliableSpout, Spout, Stream, Topology
from stormbridge.dsl import JavaBolt
from stormbridge.testing import (
    ComponentError,
    Emit,
    TopologyRunError,
    TopologyRunner,
    run_topology,
)


class Echo(Bolt):
    outputs = ["word"]

    def process(self, tup: Any) -> None:
        self.emit([tup.values.word])


class Sink(Bolt):
    outputs: list[str] = []

    def process(self, tup: Any) -> None:
        pass


class Splitter(Bolt):
    outputs = [Stream(["word"], "words"), Stream(["n"], "lengths")]

    def process(self, tup: Any) -> None:
        for word in tup.values.line.split():
            self.emit([word], stream="words")
        self.emit([len(tup.values.line)], stream="lengths")


class Unanchored(Bolt):
    outputs = ["n"]
    auto_anchor = False

    def process(self, tup: Any) -> None:
        self.emit([1])


class TaskIds(Bolt):
    outputs = ["word"]

    def process(self, tup: Any) -> None:
        tasks = self.emit([tup.values[0]], need_task_ids=True)
        self.logger.info("sent to %s", tasks)


class Bad(Bolt):
    outputs = ["n"]
    action: Any = None

    def process(self, tup: Any) -> None:
        type(self).action(self)


SEEN: dict[str, Any] = {}


class Look(Bolt):
    outputs = ["n"]
    config = {"my.key": 3}

    def initialize(self, conf: dict[str, Any], context: dict[str, Any]) -> None:
        SEEN.update(conf=conf, context=context)

    def process(self, tup: Any) -> None:
        SEEN["values"] = tup.values


def test_groupings_choose_tasks() -> None:
    class Groupings(Topology):
        words = JavaSpoutStub.spec()
        shuffled = Sink.spec(inputs={words: Grouping.SHUFFLE}, par=2)
        nothing = Sink.spec(inputs={words: Grouping.NONE}, par=2)
        local = Sink.spec(inputs={words: Grouping.LOCAL_OR_SHUFFLE}, par=3)
        everyone = Sink.spec(inputs={words: Grouping.ALL}, par=3)
        one = Sink.spec(inputs={words: Grouping.GLOBAL}, par=3)
        by_word = Sink.spec(inputs={words: Grouping.fields("word")}, par=3)

    words = [[w] for w in ["a", "b", "c", "d", "e", "f", "a", "b", "c", "d", "e", "f"]]
    result = run_topology(Groupings, spouts={"words": words})
    got = result.received

    def sizes(name: str) -> list[int]:
        return [len(v) for _, v in sorted(got[name].items())]

    assert sizes("shuffled") == [6, 6]
    assert sizes("nothing") == [6, 6]
    assert sizes("local") == [4, 4, 4]
    assert sizes("everyone") == [12, 12, 12]
    assert list(got["one"]) == [min(got["one"])] and sizes("one") == [12]
    owners: dict[str, set[int]] = {}
    for task, values in got["by_word"].items():
        for (word,) in values:
            owners.setdefault(word, set()).add(task)
    assert all(len(t) == 1 for t in owners.values()) and len(owners) == 6


class JavaSpoutStub(Spout):
    """A Python spout whose tuples the tests supply (it is never instantiated)."""

    outputs = ["word"]

    def next_tuple(self) -> None:  # pragma: no cover - supplied spouts do not run
        raise AssertionError("a supplied spout must not run")


class Lines(Spout):
    outputs = ["line"]

    def initialize(self, conf: dict[str, Any], context: dict[str, Any]) -> None:
        self.lines = iter(["a bb ccc", "dd e"])

    def next_tuple(self) -> None:
        line = next(self.lines, None)
        if line is not None:
            self.emit([line])


def test_streams_and_a_real_spout() -> None:
    class Split(Topology):
        lines = Lines.spec()
        split = Splitter.spec(inputs=[lines])
        echo = Echo.spec(inputs={split["words"]: Grouping.SHUFFLE})
        lengths = Sink.spec(inputs={split["lengths"]: Grouping.GLOBAL})

    result = run_topology(Split, next_tuple_calls=3)
    assert result.emitted("split", "words") == [["a"], ["bb"], ["ccc"], ["dd"], ["e"]]
    assert result.emitted("split", "lengths") == [[8], [4]]
    assert result.emitted("echo") == [["a"], ["bb"], ["ccc"], ["dd"], ["e"]]
    assert result.received["lengths"] == {2: [[8], [4]]}  # echo 1, lengths 2, lines 3, ...


class NumbersBase(ReliableSpout):
    outputs = ["n"]

    def initialize(self, conf: dict[str, Any], context: dict[str, Any]) -> None:
        self.n = 0
        self.acks: list[Any] = []
        self.fails: list[Any] = []

    def next_tuple(self) -> None:
        self.n += 1
        self.emit([self.n], tup_id=f"id-{self.n}")

    def ack(self, tup_id: Any) -> None:
        self.acks.append(tup_id)
        super().ack(tup_id)

    def fail(self, tup_id: Any) -> None:
        self.fails.append(tup_id)
        super().fail(tup_id)


class Forever(NumbersBase):
    max_fails = 10**9


class AlwaysFail(Bolt):
    outputs: list[str] = []
    auto_ack = False

    def process(self, tup: Any) -> None:
        self.fail(tup)


class FailOdd(Bolt):
    outputs = ["n"]

    def process(self, tup: Any) -> None:
        if tup.values[0] % 2:
            self.fail(tup)
            self.auto_ack = False
        else:
            self.auto_ack = True
            self.emit([tup.values[0]])


class Double(Bolt):
    outputs = ["n"]

    def process(self, tup: Any) -> None:
        self.emit([tup.values[0] * 2])


def test_acks_and_fails_reach_the_spout_and_replay() -> None:
    class Reliable(Topology):
        numbers = NumbersBase.spec()
        check = FailOdd.spec(inputs=[numbers])
        double = Double.spec(inputs=[check])

    with TopologyRunner(Reliable) as runner:
        result = runner.next_tuple(times=2)
        spout = runner._hosts[runner.plans["numbers"].tasks[0]].component
    # id-2 went through two bolts and was acked when its whole tree was;
    # id-1 failed and was replayed max_fails (3) times, then acked by ReliableSpout itself.
    assert result.acked == {"numbers": ["id-2"]}
    assert result.failed == {"numbers": ["id-1"] * 4}
    assert spout.fails == ["id-1"] * 4
    assert spout.acks == ["id-1", "id-2"]  # ReliableSpout.fail acks id-1 after the limit
    assert result.emitted("numbers") == [[1], [1], [1], [1], [2]]  # replays before next_tuple
    assert result.emitted("double") == [[4]]
    assert result.pending == {}


class Hold(Bolt):
    """Anchors an emit, acks nothing: the tree stays open until the message timeout."""

    outputs = ["n"]
    auto_ack = False

    def process(self, tup: Any) -> None:
        self.emit([tup.values[0]], anchors=[tup])


def test_open_trees_are_pending_until_timed_out() -> None:
    class Held(Topology):
        numbers = JavaSpoutStub.spec()
        hold = Hold.spec(inputs=[numbers])
        sink = Sink.spec(inputs=[hold])

    with TopologyRunner(Held) as runner:
        runner.emit("numbers", ["x"], id=7)
        assert runner.result.pending == {"numbers": [7]}
        assert runner.result.acked == {}
        result = runner.timeout_pending()
    assert result.failed == {"numbers": [7]} and result.pending == {}


def test_unanchored_emits_do_not_hold_the_tree() -> None:
    class T(Topology):
        src = JavaSpoutStub.spec()
        free = Unanchored.spec(inputs=[src])
        hold = Hold.spec(inputs=[free])

    result = run_topology(T, spouts={"src": [Emit(["a"], id="m")]})
    assert result.acked == {"src": ["m"]}  # hold never acks, but its tuple is not in m's tree


class Ticker(Bolt):
    outputs = ["ticks"]
    config = {"topology.tick.tuple.freq.secs": 5}

    def process(self, tup: Any) -> None:
        pass

    def process_tick(self, tup: Any) -> None:
        self.logger.info("tick %s", tup.values[0])
        self.emit([tup.values[0]])


def test_ticks_on_demand_and_logs() -> None:
    class T(Topology):
        src = JavaSpoutStub.spec()
        ticker = Ticker.spec(inputs=[src], par=2)

    with TopologyRunner(T) as runner:
        result = runner.tick("ticker")
    assert result.emitted("ticker", "default") == [[5], [5]]
    assert "ticker" not in result.received  # ticks are not counted as received tuples
    assert [m.endswith("tick 5") for m in result.logs["ticker"]] == [True, True]


class Router(Bolt):
    outputs = [Stream(["n"], "direct", direct=True)]
    allow_direct_emit = True

    def process(self, tup: Any) -> None:
        targets = self.context["task->component"]
        tasks = sorted(int(t) for t, c in targets.items() if c == "sink")
        self.emit([tup.values[0]], stream="direct", direct_task=tasks[-1])


def test_direct_grouping_delivers_to_the_named_task() -> None:
    class T(Topology):
        src = JavaSpoutStub.spec()
        router = Router.spec(inputs=[src])
        sink = Sink.spec(inputs={router["direct"]: Grouping.DIRECT}, par=3)

    result = run_topology(T, spouts={"src": [["a"], ["b"]]})
    assert result.received["sink"] == {4: [["a"], ["b"]]}  # router 1, sink 2-4, src 5


def test_need_task_ids_is_answered() -> None:
    class T(Topology):
        src = JavaSpoutStub.spec()
        ids = TaskIds.spec(inputs=[src])
        sink = Sink.spec(inputs=[ids], par=2)

    result = run_topology(T, spouts={"src": [["a"], ["b"]]})
    assert [m.rsplit(" ", 2)[-1] for m in result.logs["ids"]] == [
        "[2]",
        "[3]",
    ]  # ids 1, sink 2-3, src 4


class Doubler(JavaBolt):
    outputs = ["n"]


def test_jvm_bolts_run_as_stubs_only() -> None:
    class T(Topology):
        src = JavaSpoutStub.spec()
        java = Doubler.spec(full_class_name="com.example.Doubler", args_list=[], inputs=[src])
        echo = Double.spec(inputs=[java])

    with pytest.raises(TopologyRunError, match=r"'java' is a Java bolt.*stubs="):
        TopologyRunner(T)
    result = run_topology(
        T,
        spouts={"src": [Emit([1], id="a")]},
        stubs={"java": lambda tup: [[tup.values[0] * 10], Emit([7])]},
    )
    assert result.emitted("java") == [[10], [7]]
    assert result.emitted("echo") == [[20], [14]]
    assert result.acked == {"src": ["a"]}


class Boom(Bolt):
    outputs = ["n"]

    def process(self, tup: Any) -> None:
        raise ValueError(f"cannot handle {tup.values[0]}")


def test_a_hook_that_raises() -> None:
    class T(Topology):
        src = JavaSpoutStub.spec()
        boom = Boom.spec(inputs=[src])

    with pytest.raises(
        ComponentError, match=r"boom \(task 1\) raised ValueError.*cannot handle 1"
    ) as info:
        run_topology(T, spouts={"src": [[1]]})
    assert isinstance(info.value.__cause__, ValueError)
    result = run_topology(
        T, spouts={"src": [Emit([1], id="x"), Emit([2], id="y")]}, raise_errors=False
    )
    assert result.failed == {"src": ["x", "y"]}  # auto_fail, reported to Storm, carried on
    assert len(result.errors["boom"]) == 2 and "cannot handle 2" in result.errors["boom"][1]


@pytest.mark.parametrize(
    ("emit", "message"),
    [
        (lambda b: b.emit([1, 2]), r"emitted 2 value\(s\).*declares 1 field"),
        (lambda b: b.emit([1], stream="nope"), r"stream 'nope', which it does not declare"),
        (lambda b: b.emit([1], anchors=["999"]), r"anchored an emit to tuple id '999'"),
        (lambda b: b.ack("999"), r"acked tuple id '999'"),
    ],
)
def test_what_storm_would_refuse_is_an_error(emit: Any, message: str) -> None:
    Bad.action = staticmethod(emit)

    class T(Topology):
        src = JavaSpoutStub.spec()
        bad = Bad.spec(inputs=[src])

    with pytest.raises(TopologyRunError, match=message):
        run_topology(T, spouts={"src": [[1]]})


def test_realistic_conf_and_context() -> None:
    class T(Topology):
        config = {"topology.max.spout.pending": 10}
        src = JavaSpoutStub.spec()
        look = Look.spec(inputs={src: Grouping.fields("word")})

    run_topology(T, spouts={"src": [["w"]]}, conf={"extra": True}, name="my-topology")
    conf, context = SEEN["conf"], SEEN["context"]
    assert conf["topology.name"] == "my-topology" and conf["my.key"] == 3
    assert conf["topology.max.spout.pending"] == 10 and conf["extra"] is True
    assert context["taskid"] == 1 and context["componentid"] == "look"
    assert context["task->component"] == {"1": "look", "2": "src", "-1": "__system"}
    assert context["source->stream->grouping"] == {
        "src": {"default": {"type": "FIELDS", "fields": ["word"]}}
    }
    assert context["source->stream->fields"] == {"src": {"default": ["word"]}}
    assert SEEN["values"].word == "w"  # the namedtuple built from the context


def test_unknown_names_are_refused() -> None:
    class T(Topology):
        src = JavaSpoutStub.spec()
        sink = Sink.spec(inputs=[src])

    with pytest.raises(TopologyRunError, match=r"not components of T.*\['sink', 'src'\]"):
        TopologyRunner(T, spouts={"nope": []})
    with TopologyRunner(T, spouts={"src": []}) as runner:
        with pytest.raises(TopologyRunError, match="no spout 'sink'"):
            runner.emit("sink", ["x"])
        with pytest.raises(TopologyRunError, match="use emit"):
            runner.next_tuple("src")
        with pytest.raises(TopologyRunError, match="no spout of T runs here"):
            runner.run(next_tuple_calls=1)


def test_msgpack_components() -> None:
    pytest.importorskip("msgpack")

    class T(Topology):
        src = JavaSpoutStub.spec()
        echo = Echo.spec(inputs=[src])

    result = run_topology(T, spouts={"src": [["a"]]}, serializer="msgpack")
    assert result.emitted("echo") == [["a"]]


def test_endless_replays_are_cut_off() -> None:
    class T(Topology):
        numbers = Forever.spec()
        fail = AlwaysFail.spec(inputs=[numbers])

    with (
        TopologyRunner(T, max_deliveries=50) as runner,
        pytest.raises(TopologyRunError, match="more than 50 deliveries"),
    ):
        runner.next_tuple()


class Switch(Spout):
    outputs = ["state"]

    def initialize(self, conf: dict[str, Any], context: dict[str, Any]) -> None:
        self.state = "new"

    def activate(self) -> None:
        self.state = "active"

    def deactivate(self) -> None:
        self.state = "inactive"

    def next_tuple(self) -> None:
        self.emit([self.state])


class Mute(Bolt):
    """Forgets to answer heartbeats (overrides the loop step wrongly)."""

    outputs: list[str] = []

    def _run(self) -> None:
        self.read_tuple()


def test_activate_deactivate_and_heartbeats() -> None:
    class T(Topology):
        switch = Switch.spec()
        echo = Sink.spec(inputs=[switch])

    with TopologyRunner(T) as runner:
        runner.activate()
        runner.next_tuple()
        runner.deactivate("switch")
        result = runner.next_tuple()
        runner.heartbeat()  # Sink answers with sync
    assert result.emitted("switch") == [["active"], ["inactive"]]

    class Silent(Topology):
        src = JavaSpoutStub.spec()
        mute = Mute.spec(inputs=[src])

    with (
        TopologyRunner(Silent, spouts={"src": []}) as runner,
        pytest.raises(TopologyRunError, match=r"mute \(task 1\) answered a heartbeat with 0 sync"),
    ):
        runner.heartbeat("mute")
