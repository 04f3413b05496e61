"""A topology laid out as Storm would lay it out in one worker: tasks, contexts, groupings.

:func:`plan_topology` turns a :class:`~stormbridge.dsl.Topology` class into
:class:`ComponentPlan`\\ s: task ids assigned as Storm assigns them (components sorted by id,
``par`` tasks each, numbered from 1), every component's output streams and subscribers, and
the ``context`` each task receives in its handshake (the keys of Storm's
``TopologyContext.toJSONString()``). :class:`Router` picks the target tasks of one emit
following the subscriber's grouping. Pure data, no I/O.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..dsl.specs import ComponentSpec, ShellComponentSpec, resolve_par
from ..dsl.stream import StreamGrouping
from ..errors import StormBridgeError

__all__ = ["ComponentPlan", "Router", "Subscription", "TopologyRunError", "plan_topology"]

SYSTEM_COMPONENT = "__system"


class TopologyRunError(StormBridgeError):
    """The in-process topology run cannot go on: the message says what and how to fix it."""


@dataclass(frozen=True)
class Subscription:
    """Bolt ``target`` reads stream ``stream`` of ``source`` with ``grouping``."""

    source: str
    stream: str
    target: str
    grouping: StreamGrouping


@dataclass
class ComponentPlan:
    """One component: its spec, role, task ids, output streams and who reads them."""

    name: str
    spec: ComponentSpec
    tasks: list[int]
    #: ``{stream: field names}`` of the streams it declares.
    outputs: dict[str, list[str]]
    direct_streams: frozenset[str]
    #: ``{stream: [subscriptions of bolts reading it]}``.
    subscribers: dict[str, list[Subscription]] = field(default_factory=dict)

    @property
    def is_spout(self) -> bool:
        return self.spec.is_spout

    @property
    def python_class(self) -> type | None:
        """The user's class for a Python component of the project, else None (JVM, shell)."""
        spec = self.spec
        if isinstance(spec, ShellComponentSpec) and spec.is_python:
            return spec.component_cls
        return None

    @property
    def kind(self) -> str:
        """A short description for messages: "Python spout", "Java bolt", "shell bolt"."""
        role = "spout" if self.is_spout else "bolt"
        if self.python_class is not None:
            return f"Python {role}"
        if isinstance(self.spec, ShellComponentSpec):
            return f"shell {role} ({self.spec.command} {self.spec.script})"
        return f"Java {role}"


def _grouping_json(grouping: StreamGrouping) -> dict[str, Any]:
    """A grouping as ``TopologyContext.toJSONString()`` writes it."""
    result: dict[str, Any] = {"type": grouping.kind.upper()}
    if grouping.kind == "fields":
        result["fields"] = list(grouping.field_names)
    return result


def plan_topology(topology: type, env_name: str | None = None) -> dict[str, ComponentPlan]:
    """``{component name: ComponentPlan}`` for a Topology class (its specs, resolved)."""
    specs: list[ComponentSpec] = list(getattr(topology, "specs", None) or [])
    if not specs:
        raise TopologyRunError(
            f"{topology!r} has no component specs: pass a Topology subclass whose class body "
            "assigns Spout.spec()/Bolt.spec() attributes"
        )
    plans: dict[str, ComponentPlan] = {}
    next_task = 1
    for spec in sorted(specs, key=lambda s: str(s.name)):
        name = str(spec.name)
        count = resolve_par(spec.par, env_name, name)
        if count < 1:
            raise TopologyRunError(f"component {name!r} has par={count}: it needs at least 1 task")
        plans[name] = ComponentPlan(
            name=name,
            spec=spec,
            tasks=list(range(next_task, next_task + count)),
            outputs={stream: list(s.fields) for stream, s in spec.outputs.items()},
            direct_streams=frozenset(s for s, info in spec.outputs.items() if info.direct),
        )
        next_task += count
    for plan in plans.values():
        for stream_id, grouping in plan.spec.inputs.items():
            ref = stream_id.componentId
            source = ref if isinstance(ref, str) else str(ref.name)
            if grouping.kind in ("custom_object", "custom_serialized"):
                raise TopologyRunError(
                    f"{plan.name!r} reads {source!r} with a custom Java grouping ({grouping!r}), "
                    "which only a JVM can run: test it on Storm (sparse run), or give the bolt a "
                    "Python-side grouping for this test"
                )
            sub = Subscription(source, stream_id.streamId, plan.name, grouping)
            plans[source].subscribers.setdefault(stream_id.streamId, []).append(sub)
    return plans


def task_context(plans: dict[str, ComponentPlan], name: str, task_id: int) -> dict[str, Any]:
    """The handshake ``context`` of one task, with the keys and shapes Storm sends."""
    plan = plans[name]
    task_to_component = {str(t): p.name for p in plans.values() for t in p.tasks}
    task_to_component["-1"] = SYSTEM_COMPONENT
    sources: dict[str, dict[str, Any]] = {}
    fields: dict[str, dict[str, list[str]]] = {}
    for stream_id, grouping in plan.spec.inputs.items():
        ref = stream_id.componentId
        source = ref if isinstance(ref, str) else str(ref.name)
        sources.setdefault(source, {})[stream_id.streamId] = _grouping_json(grouping)
        fields.setdefault(source, {})[stream_id.streamId] = list(
            plans[source].outputs.get(stream_id.streamId, [])
        )
    return {
        "task->component": task_to_component,
        "taskid": task_id,
        "componentid": name,
        "streams": list(plan.outputs),
        "stream->outputfields": {s: list(f) for s, f in plan.outputs.items()},
        "stream->target->grouping": {
            stream: {sub.target: _grouping_json(sub.grouping) for sub in subs}
            for stream, subs in plan.subscribers.items()
        },
        "source->stream->grouping": sources,
        "source->stream->fields": fields,
    }


def _stable_hash(values: Sequence[Any]) -> int:
    """The same number for the same values in every run (``hash()`` of str is salted)."""
    text = json.dumps(list(values), sort_keys=True, default=repr, separators=(",", ":"))
    return zlib.crc32(text.encode("utf-8"))


class Router:
    """Chooses the target tasks of emits, as each subscriber's grouping says.

    Shuffle, none and local-or-shuffle go round-robin per (source task, stream, target):
    even and deterministic (Storm shuffles randomly but evenly; in one worker "local" is every
    task). Fields grouping hashes the grouped values (stable across runs); global picks the
    lowest task id; all sends to every task; direct sends to the task the emit names.
    """

    def __init__(self, plans: dict[str, ComponentPlan]) -> None:
        self._plans = plans
        self._turns: dict[tuple[int, str, str], int] = {}

    def targets(
        self,
        source: ComponentPlan,
        source_task: int,
        stream: str,
        values: Sequence[Any],
        direct_task: int | None,
    ) -> list[tuple[str, int]]:
        """``[(bolt name, task id)]`` for one emit; a TopologyRunError if Storm would refuse."""
        fields = source.outputs.get(stream)
        if fields is None:
            raise TopologyRunError(
                f"{source.name!r} emitted on stream {stream!r}, which it does not declare "
                f"(it declares {sorted(source.outputs)}): add Stream(fields=[...], "
                f"name={stream!r}) to its outputs"
            )
        if len(values) != len(fields):
            raise TopologyRunError(
                f"{source.name!r} emitted {len(values)} value(s) {list(values)!r} on stream "
                f"{stream!r}, which declares {len(fields)} field(s) {fields!r}: Storm refuses "
                "a tuple with the wrong number of fields"
            )
        direct = stream in source.direct_streams
        if direct_task is not None and not direct:
            raise TopologyRunError(
                f"{source.name!r} emitted to task {direct_task} on stream {stream!r}, which is "
                "not declared direct: declare it Stream(..., direct=True)"
            )
        if direct_task is None and direct:
            raise TopologyRunError(
                f"{source.name!r} emitted on direct stream {stream!r} without a direct_task: "
                "name the receiving task with emit(..., direct_task=TASK_ID)"
            )
        result: list[tuple[str, int]] = []
        for sub in source.subscribers.get(stream, []):
            tasks = self._plans[sub.target].tasks
            kind = sub.grouping.kind
            if kind == "direct":
                if direct_task in tasks:
                    result.append((sub.target, direct_task))
            elif direct_task is not None:
                continue
            elif kind == "all":
                result.extend((sub.target, t) for t in tasks)
            elif kind == "fields" and not sub.grouping.field_names:  # global
                result.append((sub.target, tasks[0]))
            elif kind == "fields":
                try:
                    key = [values[fields.index(f)] for f in sub.grouping.field_names]
                except ValueError:
                    raise TopologyRunError(
                        f"{sub.target!r} groups {source.name!r} stream {stream!r} by "
                        f"{list(sub.grouping.field_names)!r}, but that stream's fields are "
                        f"{fields!r}"
                    ) from None
                result.append((sub.target, tasks[_stable_hash(key) % len(tasks)]))
            else:  # shuffle, none, local_or_shuffle
                turn_key = (source_task, stream, sub.target)
                turn = self._turns.get(turn_key, 0)
                self._turns[turn_key] = turn + 1
                result.append((sub.target, tasks[turn % len(tasks)]))
        if direct_task is not None and not result:
            raise TopologyRunError(
                f"{source.name!r} emitted to task {direct_task} on stream {stream!r}, but no "
                "bolt reading that stream with a direct grouping has that task id (task ids: "
                + ", ".join(
                    f"{s.target} {self._plans[s.target].tasks}"
                    for s in source.subscribers.get(stream, [])
                )
                + ")"
            )
        return result
