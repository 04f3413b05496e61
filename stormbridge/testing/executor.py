"""Storm's side of the in-process runner: deliveries, the messages components write, errors.

:class:`StormSide` holds what a worker's executors and the acker hold for one topology: the
tasks (:class:`~stormbridge.testing.memory_task.MemoryTask`), the queue of deliveries, the
router and the acker. It turns each message a component writes into what Storm would do
(route an emit by grouping, answer task ids, track acks and fails, record logs and errors) and
refuses what Storm's ShellBolt/ShellSpout would die on. :class:`~stormbridge.testing.runner.
TopologyRunner` drives it.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..runtime.tuple import TICK_COMPONENT, TICK_STREAM, Tuple
from .acker import Acker, Tree
from .memory_task import MemoryTask
from .plan import ComponentPlan, Router, TopologyRunError
from .result import Emit, TopologyResult

__all__ = ["ComponentError", "StormSide", "Stub"]

#: A stub for a JVM (or any) bolt: the input tuple in, what the bolt emits out.
Stub = Callable[[Tuple], Iterable[Any]]


class ComponentError(TopologyRunError):
    """A user's hook raised; ``component``, ``task_id`` and ``__cause__`` say where and what."""

    def __init__(self, message: str, component: str, task_id: int) -> None:
        super().__init__(message)
        self.component = component
        self.task_id = task_id


class StormSide:
    """Deliveries and the handling of every message the tasks write (see the module doc)."""

    def __init__(
        self,
        plans: dict[str, ComponentPlan],
        conf: dict[str, Any],
        *,
        stubs: Mapping[str, Stub],
        raise_errors: bool,
        max_deliveries: int,
    ) -> None:
        self.plans = plans
        self.conf = conf
        self.result = TopologyResult()
        self.raise_errors = raise_errors
        self.max_deliveries = max_deliveries
        self._stubs = dict(stubs)
        self._router = Router(plans)
        self._work: deque[Callable[[], None]] = deque()
        self._ids = itertools.count(1)
        self._acker = Acker(self._tree_closed)
        self._task_of: dict[int, ComponentPlan] = {t: p for p in plans.values() for t in p.tasks}
        self._hosts: dict[int, MemoryTask] = {}
        self._running: MemoryTask | None = None
        self._problems: list[TopologyRunError] = []
        self._delivered = 0

    def drain(self) -> None:
        """Deliver queued tuples, acks and fails until the topology is quiet."""
        work = self._work
        while work:
            work.popleft()()
        self.result.pending = {}
        for tree in self._acker.open_trees():
            spout = self._task_of[tree.spout_task].name
            self.result.pending.setdefault(spout, []).append(tree.msg_id)

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
