"""Run a whole topology in this process, without a JVM: ``run_topology`` and ``TopologyRunner``.

::

    from stormbridge.testing import run_topology

    result = run_topology(WordCount, spouts={"word_spout": [["dog"], ["cat"]]})
    assert result.emitted("count_bolt") == [["dog", 10], ["cat", 1]]

Every task of every Python component is an instance of the user's class, started as a
worker starts it (handshake with a realistic ``conf`` and ``context``, ``initialize``) and
fed real multilang frames over in-memory streams (:mod:`stormbridge.testing.memory_task`);
its own ``_run`` reads them and its emits, acks, fails and logs come back as bytes, parsed
with Storm's rules. The runner plays Storm: it routes emits by grouping
(:mod:`stormbridge.testing.plan`), tracks tuple trees as Storm's acker does, and calls the
spout's ``ack``/``fail`` when a tree completes or fails, so a reliable spout's replays run.
JVM and non-Python shell components run only as stubs the test supplies. See
``docs/testing.md``.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

from ..runtime.tuple import HEARTBEAT_STREAM, TICK_COMPONENT, TICK_STREAM, Tuple
from .acker import Acker, Tree
from .memory_task import MemoryTask
from .plan import ComponentPlan, Router, TopologyRunError, plan_topology, task_context
from .result import Emit, TopologyResult

__all__ = [
    "ComponentError",
    "Emit",
    "TopologyResult",
    "TopologyRunError",
    "TopologyRunner",
    "run_topology",
]

#: A stub for a JVM (or any) bolt: the input tuple in, what the bolt emits out.
Stub = Callable[[Tuple], Iterable[Any]]


class ComponentError(TopologyRunError):
    """A user's hook raised; ``component``, ``task_id`` and ``__cause__`` say where and what."""

    def __init__(self, message: str, component: str, task_id: int) -> None:
        super().__init__(message)
        self.component = component
        self.task_id = task_id


class TopologyRunner:
    """Storm's side of a topology whose tasks all live in this process.

    ``spouts`` maps spout names to the tuples they produce (values or :class:`Emit`); those
    spouts are not instantiated. Other Python spouts run for real: :meth:`next_tuple` calls
    their ``next_tuple``. ``stubs`` maps bolt names to functions standing in for them (required
    for JVM and non-Python shell bolts). ``conf`` is merged over the topology's ``config``.
    ``raise_errors=False`` records a hook's exception (the tuple is failed) and carries on,
    as a component with ``exit_on_exception = False`` does; by default it is raised as a
    :class:`ComponentError`.
    """

    def __init__(
        self,
        topology: type,
        *,
        spouts: Mapping[str, Iterable[Any]] | None = None,
        stubs: Mapping[str, Stub] | None = None,
        conf: Mapping[str, Any] | None = None,
        env_name: str | None = None,
        name: str | None = None,
        serializer: str = "json",
        raise_errors: bool = True,
        max_deliveries: int = 100_000,
    ) -> None:
        self.plans = plan_topology(topology, env_name)
        self.name = name or getattr(topology, "__name__", "topology")
        self.result = TopologyResult()
        self.raise_errors = raise_errors
        self.max_deliveries = max_deliveries
        self._supplied = {k: list(v) for k, v in (spouts or {}).items()}
        self._stubs = dict(stubs or {})
        for label, names in (("spouts", self._supplied), ("stubs", self._stubs)):
            unknown = sorted(set(names) - set(self.plans))
            if unknown:
                raise TopologyRunError(
                    f"{label}= names {unknown}, which are not components of {self.name} "
                    f"(its components: {sorted(self.plans)})"
                )
        self._router = Router(self.plans)
        self._work: deque[Callable[[], None]] = deque()
        self._ids = itertools.count(1)
        self._acker = Acker(self._tree_closed)
        self._task_of: dict[int, ComponentPlan] = {
            t: p for p in self.plans.values() for t in p.tasks
        }
        self._hosts: dict[int, MemoryTask] = {}
        self._running: MemoryTask | None = None
        self._problems: list[TopologyRunError] = []
        self._delivered = 0
        self._pid_dir = tempfile.mkdtemp(prefix="stormbridge-runner-pids-")
        base_conf: dict[str, Any] = {
            "topology.name": self.name,
            "storm.id": f"{self.name}-1-1",
            "topology.debug": False,
            "topology.workers": 1,
            "topology.message.timeout.secs": 30,
            "topology.acker.executors": None,
            "topology.max.spout.pending": None,
        }
        base_conf.update(getattr(topology, "config", None) or {})
        base_conf.update(conf or {})
        self.conf = base_conf
        try:
            self._start(serializer)
        except BaseException:
            self.close()
            raise

    # -- setup ---------------------------------------------------------------------
    def _start(self, serializer: str) -> None:
        for plan in self.plans.values():
            cls = plan.python_class
            if plan.is_spout:
                if cls is None or plan.name in self._supplied:
                    continue  # its tuples come from spouts= or emit()
            elif plan.name in self._stubs:
                continue
            elif cls is None:
                raise TopologyRunError(
                    f"{plan.name!r} is a {plan.kind}: the in-process runner cannot run it; "
                    f"pass stubs={{{plan.name!r}: function(tup) -> list of emitted values}}"
                )
            for task_id in plan.tasks:
                host = MemoryTask(
                    cls, plan.name, task_id, serializer=serializer, deliver=self._on_message
                )
                self._hosts[task_id] = host
        for task_id, host in self._hosts.items():
            plan = self._task_of[task_id]
            task_conf = dict(self.conf)
            task_conf.update(plan.spec.config)
            context = task_context(self.plans, plan.name, task_id)
            host.start(task_conf, context, self._pid_dir, lambda: self._running)
            self._call(host, partial(host.component.initialize, task_conf, context), "initialize")

    # -- driving -------------------------------------------------------------------
    def emit(
        self,
        spout: str,
        values: Any,
        *,
        stream: str = "default",
        id: Any = None,
        task: int | None = None,
    ) -> None:
        """Emit one tuple as ``spout`` would (its instance, if any, is not involved), then run."""
        plan = self._plan(spout, spout=True)
        item = values if isinstance(values, Emit) else Emit(values, stream, id)
        task_id = plan.tasks[0] if task is None else task
        if task_id not in plan.tasks:
            raise TopologyRunError(f"task {task_id} is not a task of {spout!r} ({plan.tasks})")
        self._route_spout_emit(plan, task_id, item.values, item.stream, item.id, None)
        self.drain()

    def next_tuple(self, spout: str | None = None, times: int = 1) -> TopologyResult:
        """Call ``next_tuple`` ``times`` times on every task of ``spout`` (all Python spouts)."""
        names = (
            [spout] if spout is not None else [p.name for p in self.plans.values() if p.is_spout]
        )
        hosts: list[MemoryTask] = []
        for name in names:
            plan = self._plan(name, spout=True)
            running = [self._hosts[t] for t in plan.tasks if t in self._hosts]
            if not running and spout is not None:
                raise TopologyRunError(
                    f"{name!r} is a {plan.kind} that is not running here "
                    f"({'its tuples are supplied' if name in self._supplied else 'JVM code'}): "
                    f"use emit({name!r}, values) or spouts={{{name!r}: [...]}} for its tuples"
                )
            hosts.extend(running)
        if not hosts and times:
            raise TopologyRunError(
                f"no spout of {self.name} runs here (their tuples are supplied, or they are JVM "
                "code), so next_tuple has nothing to call: supply tuples with spouts= or emit()"
            )
        for _ in range(times):
            for host in hosts:
                self._spout_command(host, {"command": "next"})
                self.drain()
        return self.result

    def tick(self, bolt: str | None = None) -> TopologyResult:
        """Send one tick tuple to every task of ``bolt`` (every bolt when None), then run."""
        names = (
            [bolt] if bolt is not None else [p.name for p in self.plans.values() if not p.is_spout]
        )
        for name in names:
            plan = self._plan(name, spout=False)
            freq = (
                (plan.spec.config or {}).get("topology.tick.tuple.freq.secs")
                or self.conf.get("topology.tick.tuple.freq.secs")
                or 1
            )
            for task_id in plan.tasks:
                self._deliver(plan, task_id, TICK_COMPONENT, -1, TICK_STREAM, [freq], [])
        self.drain()
        return self.result

    def heartbeat(self, bolt: str | None = None) -> TopologyResult:
        """Send ShellBolt's heartbeat tuple to every running task of ``bolt`` (every bolt) and
        check that each answers ``sync``, as Storm does (a silent one gets its worker killed)."""
        names = (
            [bolt] if bolt is not None else [p.name for p in self.plans.values() if not p.is_spout]
        )
        for name in names:
            plan = self._plan(name, spout=False)
            for task_id in plan.tasks:
                host = self._hosts.get(task_id)
                if host is None:
                    continue  # a stub
                before = host.syncs
                host.send(
                    {"id": str(next(self._ids)), "comp": None, "stream": HEARTBEAT_STREAM,
                     "task": -1, "tuple": []}
                )  # fmt: skip
                self._call(host, host.step, "heartbeat")
                if host.syncs != before + 1:
                    raise TopologyRunError(
                        f"{name} (task {task_id}) answered a heartbeat with {host.syncs - before} "
                        "sync messages instead of one: Storm kills a bolt whose heartbeats go "
                        "unanswered"
                    )
        self.drain()
        return self.result

    def activate(self, spout: str | None = None) -> TopologyResult:
        """Send ``activate`` to every running task of ``spout`` (every spout)."""
        return self._spout_broadcast("activate", spout)

    def deactivate(self, spout: str | None = None) -> TopologyResult:
        """Send ``deactivate`` to every running task of ``spout`` (every spout)."""
        return self._spout_broadcast("deactivate", spout)

    def _spout_broadcast(self, command: str, spout: str | None) -> TopologyResult:
        names = (
            [spout] if spout is not None else [p.name for p in self.plans.values() if p.is_spout]
        )
        for name in names:
            for task_id in self._plan(name, spout=True).tasks:
                host = self._hosts.get(task_id)
                if host is not None:
                    self._spout_command(host, {"command": command})
                    self.drain()
        return self.result

    def timeout_pending(self) -> TopologyResult:
        """Fail every tree still open, as Storm does after ``topology.message.timeout.secs``."""
        for tree in self._acker.open_trees():
            self._acker.close(tree, failed=True)
        self.drain()
        return self.result

    def run(self, next_tuple_calls: int = 0) -> TopologyResult:
        """Emit the supplied spout tuples, then call ``next_tuple`` ``next_tuple_calls`` times."""
        for name, items in self._supplied.items():
            plan = self.plans[name]
            self._supplied[name] = []
            for number, raw in enumerate(items):
                item = raw if isinstance(raw, Emit) else Emit(raw)
                task_id = plan.tasks[number % len(plan.tasks)]
                self._route_spout_emit(plan, task_id, item.values, item.stream, item.id, None)
                self.drain()
        if next_tuple_calls:
            self.next_tuple(times=next_tuple_calls)
        return self.result

    def drain(self) -> None:
        """Deliver queued tuples, acks and fails until the topology is quiet."""
        work = self._work
        while work:
            work.popleft()()
        self.result.pending = {}
        for tree in self._acker.open_trees():
            spout = self._task_of[tree.spout_task].name
            self.result.pending.setdefault(spout, []).append(tree.msg_id)

    def close(self) -> None:
        """Remove the components' log handlers and the temporary pid folder."""
        for host in self._hosts.values():
            host.stop()
        shutil.rmtree(self._pid_dir, ignore_errors=True)

    def __enter__(self) -> TopologyRunner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals -----------------------------------------------------------------
    def _plan(self, name: str, *, spout: bool) -> ComponentPlan:
        plan = self.plans.get(name)
        role = "spout" if spout else "bolt"
        if plan is None or plan.is_spout != spout:
            choices = sorted(p.name for p in self.plans.values() if p.is_spout == spout)
            raise TopologyRunError(f"{self.name} has no {role} {name!r} (its {role}s: {choices})")
        return plan

    def _call(self, host: MemoryTask, action: Callable[[], None], what: str) -> None:
        """Run one hook of ``host`` as the running task; report what it raised."""
        self._running = host
        try:
            action()
            host.component._flush()
        except TopologyRunError:
            raise
        except Exception as exc:  # noqa: BLE001 - user code: report it as Storm would
            self._failed_hook(host, exc, what)
        finally:
            self._running = None
        self._raise_problems()

    def _failed_hook(self, host: MemoryTask, exc: Exception, what: str) -> None:
        component = host.component
        component._handle_run_exception(exc)  # error (+ fail of the current tuple) on the wire
        component._flush()
        if self.raise_errors or what == "initialize":
            raise ComponentError(
                f"{host.name} (task {host.task_id}) raised {type(exc).__name__} in {what}: {exc}",
                host.name,
                host.task_id,
            ) from exc

    def _raise_problems(self) -> None:
        if self._problems:
            problem = self._problems[0]
            self._problems.clear()
            raise problem

    def _spout_command(self, host: MemoryTask, command: dict[str, Any]) -> None:
        host.send(command)
        self._call(host, host.step, command["command"])

    def _count_delivery(self) -> None:
        self._delivered += 1
        if self._delivered > self.max_deliveries:
            raise TopologyRunError(
                f"more than {self.max_deliveries} deliveries without the topology going quiet: "
                "a spout replaying a tuple that always fails, or a cycle? Raise max_deliveries= "
                "if the run is meant to be this long"
            )

    def _deliver(
        self,
        plan: ComponentPlan,
        task_id: int,
        source: str,
        source_task: int,
        stream: str,
        values: list[Any],
        trees: list[Tree],
    ) -> None:
        """Create one tuple for ``task_id`` (joining ``trees``) and queue its processing."""
        tup_id = str(next(self._ids))
        self._acker.add(tup_id, trees)
        message = {
            "id": tup_id,
            "comp": source,
            "stream": stream,
            "task": source_task,
            "tuple": values,
        }
        self._work.append(lambda: self._process(plan, task_id, message))

    def _process(self, plan: ComponentPlan, task_id: int, message: dict[str, Any]) -> None:
        self._count_delivery()
        is_tick = message["stream"] == TICK_STREAM and message["comp"] == TICK_COMPONENT
        if not is_tick:
            received = self.result.received.setdefault(plan.name, {}).setdefault(task_id, [])
            received.append(list(message["tuple"]))
        stub = self._stubs.get(plan.name)
        if stub is not None:
            self._run_stub(plan, task_id, message, stub)
            return
        host = self._hosts[task_id]
        host.open_tuples.add(message["id"])
        host.send(message)
        self._call(host, host.step, "process_tick()" if is_tick else "process()")

    def _run_stub(
        self, plan: ComponentPlan, task_id: int, message: dict[str, Any], stub: Stub
    ) -> None:
        if message["stream"] == TICK_STREAM and message["comp"] == TICK_COMPONENT:
            self._acker.done(message["id"], failed=False)
            return
        tup = Tuple(
            message["id"],
            message["comp"],
            message["stream"],
            message["task"],
            tuple(message["tuple"]),
        )
        try:
            outputs = list(stub(tup))
        except Exception as exc:
            self._acker.done(message["id"], failed=True)
            if self.raise_errors:
                raise ComponentError(
                    f"the stub of {plan.name} raised {type(exc).__name__}: {exc}",
                    plan.name,
                    task_id,
                ) from exc
            self.result.errors.setdefault(plan.name, []).append(f"{type(exc).__name__}: {exc}")
            return
        for raw in outputs:
            item = raw if isinstance(raw, Emit) else Emit(raw)
            self._route_bolt_emit(
                plan, task_id, list(item.values), item.stream, [message["id"]], None
            )
        self._acker.done(message["id"], failed=False)

    # -- messages from components --------------------------------------------------
    def _on_message(self, host: MemoryTask, message: Any) -> None:
        """One message a component wrote (called while it flushes)."""
        try:
            self._handle(host, message)
        except TopologyRunError as exc:
            self._problems.append(exc)
            if message.get("command") == "emit" and message.get("need_task_ids", True):
                host.send([])  # the component is waiting for an answer; the run stops after

    def _handle(self, host: MemoryTask, message: dict[str, Any]) -> None:
        command = message.get("command")
        plan = self._task_of[host.task_id]
        if command == "emit":
            values = message.get("tuple")
            stream = message.get("stream") or "default"
            direct = message.get("task")
            if plan.is_spout:
                tasks = self._route_spout_emit(
                    plan, host.task_id, values, stream, message.get("id"), direct
                )
            else:
                tasks = self._route_bolt_emit(
                    plan, host.task_id, values, stream, message.get("anchors") or [], direct, host
                )
            if message.get("need_task_ids", True):
                host.send(tasks)
        elif command in ("ack", "fail"):
            tup_id = message.get("id")
            if tup_id not in host.open_tuples:
                raise TopologyRunError(
                    f"{host.name} (task {host.task_id}) {command}ed tuple id {tup_id!r}, which it "
                    "did not receive or already acked/failed: Storm's ShellBolt kills the worker "
                    "for that"
                )
            host.open_tuples.discard(tup_id)
            self._acker.done(tup_id, failed=command == "fail")
        elif command == "log":
            self.result.logs.setdefault(host.name, []).append(str(message.get("msg")))
        elif command == "error":
            self.result.errors.setdefault(host.name, []).append(str(message.get("msg")))
        elif command == "sync":
            host.syncs += 1
        elif command is None:  # the handshake's {"pid": N}
            return
        else:
            raise TopologyRunError(
                f"{host.name} (task {host.task_id}) sent command {command!r}, which Storm's "
                f"shell components do not accept (the worker would die): {message!r}"
            )

    def _route_spout_emit(
        self, plan: ComponentPlan, task_id: int, values: Any, stream: str, msg_id: Any, direct: Any
    ) -> list[int]:
        values = list(values)
        targets = self._router.targets(plan, task_id, stream, values, direct)
        self.result.emits.setdefault(plan.name, {}).setdefault(stream, []).append(values)
        tree = None if msg_id is None else self._acker.start(task_id, msg_id)
        trees = [] if tree is None else [tree]
        for target, target_task in targets:
            self._deliver(
                self.plans[target], target_task, plan.name, task_id, stream, values, trees
            )
        if tree is not None and (not targets or self.conf.get("topology.acker.executors") == 0):
            self._acker.close(tree, failed=False)  # Storm acks a tuple that went nowhere at once
        return [t for _, t in targets]

    def _route_bolt_emit(
        self,
        plan: ComponentPlan,
        task_id: int,
        values: Any,
        stream: str,
        anchors: list[Any],
        direct: Any,
        host: MemoryTask | None = None,
    ) -> list[int]:
        for anchor in anchors:
            if host is not None and anchor not in host.open_tuples:
                raise TopologyRunError(
                    f"{plan.name} (task {task_id}) anchored an emit to tuple id {anchor!r}, which "
                    "it did not receive or already acked/failed: Storm's ShellBolt kills the "
                    "worker ('Anchored onto ... after ack/fail')"
                )
        trees = self._acker.trees_of(anchors)
        values = list(values)
        targets = self._router.targets(plan, task_id, stream, values, direct)
        self.result.emits.setdefault(plan.name, {}).setdefault(stream, []).append(values)
        for target, target_task in targets:
            self._deliver(
                self.plans[target], target_task, plan.name, task_id, stream, values, trees
            )
        return [t for _, t in targets]

    def _tree_closed(self, spout_task: int, msg_id: Any, failed: bool) -> None:
        """A tree completed or failed: record it, and queue ack/fail for a running spout."""
        spout = self._task_of[spout_task]
        (self.result.failed if failed else self.result.acked).setdefault(spout.name, []).append(
            msg_id
        )
        host = self._hosts.get(spout_task)
        if host is not None:
            command = {"command": "fail" if failed else "ack", "id": msg_id}
            self._work.append(lambda: self._spout_command(host, command))


def run_topology(
    topology: type,
    spouts: Mapping[str, Iterable[Any]] | None = None,
    *,
    next_tuple_calls: int = 0,
    **options: Any,
) -> TopologyResult:
    """Run ``topology`` in this process: supplied spout tuples, then ``next_tuple`` calls.

    ``options`` are those of :class:`TopologyRunner` (``stubs``, ``conf``, ``env_name``, …).
    """
    with TopologyRunner(topology, spouts=spouts, **options) as runner:
        return runner.run(next_tuple_calls=next_tuple_calls)
