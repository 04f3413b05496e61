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

import shutil
import tempfile
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from ..runtime.tuple import HEARTBEAT_STREAM, TICK_COMPONENT, TICK_STREAM
from .executor import ComponentError, StormSide, Stub
from .memory_task import MemoryTask
from .plan import ComponentPlan, TopologyRunError, plan_topology, task_context
from .result import Emit, TopologyResult

__all__ = [
    "ComponentError",
    "Emit",
    "TopologyResult",
    "TopologyRunError",
    "TopologyRunner",
    "run_topology",
]


class TopologyRunner(StormSide):
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
        plans = plan_topology(topology, env_name)
        self.name = name or getattr(topology, "__name__", "topology")
        self._supplied = {k: list(v) for k, v in (spouts or {}).items()}
        for label, names in (("spouts", self._supplied), ("stubs", stubs or {})):
            unknown = sorted(set(names) - set(plans))
            if unknown:
                raise TopologyRunError(
                    f"{label}= names {unknown}, which are not components of {self.name} "
                    f"(its components: {sorted(plans)})"
                )
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
        super().__init__(
            plans,
            base_conf,
            stubs=stubs or {},
            raise_errors=raise_errors,
            max_deliveries=max_deliveries,
        )
        self._pid_dir = tempfile.mkdtemp(prefix="stormbridge-runner-pids-")
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

    def close(self) -> None:
        """Remove the components' log handlers and the temporary pid folder."""
        for host in self._hosts.values():
            host.stop()
        shutil.rmtree(self._pid_dir, ignore_errors=True)

    def __enter__(self) -> TopologyRunner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _plan(self, name: str, *, spout: bool) -> ComponentPlan:
        plan = self.plans.get(name)
        role = "spout" if spout else "bolt"
        if plan is None or plan.is_spout != spout:
            choices = sorted(p.name for p in self.plans.values() if p.is_spout == spout)
            raise TopologyRunError(f"{self.name} has no {role} {name!r} (its {role}s: {choices})")
        return plan


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
