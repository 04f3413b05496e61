"""Streams, stream ids and groupings of the topology DSL (pure data, no Thrift).

* :class:`Stream` declares one output stream of a component (its fields, its name,
  whether it is direct).
* :class:`GlobalStreamId` names "stream S of component C"; ``spec["S"]`` returns one.
* :class:`Grouping` is the namespace of groupings (``Grouping.SHUFFLE``,
  ``Grouping.fields("word")``, …); each grouping is a :class:`StreamGrouping`.

``StreamGrouping.to_thrift()`` builds Storm's Thrift ``Grouping`` (loading thriftpy2 then).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from ..errors import TopologyError, TopologyTypeError
from ..thrift import storm_thrift
from .java import JavaObjectSpec, java_object

__all__ = [
    "GROUPING_KINDS",
    "ComponentRef",
    "GlobalStreamId",
    "Grouping",
    "Stream",
    "StreamGrouping",
]

#: Members of Storm's ``Grouping`` union, in field-id order.
GROUPING_KINDS = (
    "fields",
    "shuffle",
    "all",
    "none",
    "direct",
    "custom_object",
    "custom_serialized",
    "local_or_shuffle",
)


def _field_names(fields: object, what: str) -> list[str]:
    if isinstance(fields, (str, bytes)) or not isinstance(fields, (list, tuple)):
        raise TopologyTypeError(f"{what} must be a list or tuple of str; given: {fields!r}")
    for field in fields:
        if not isinstance(field, str):
            raise TopologyTypeError(f"All field names must be strings; given: {field!r}")
    return list(fields)


class Stream:
    """One output stream: ``Stream(fields=["word"], name="default", direct=False)``."""

    __slots__ = ("direct", "fields", "name")

    def __init__(
        self,
        fields: Iterable[str] | None = None,
        name: str = "default",
        direct: bool = False,
    ) -> None:
        self.fields: list[str] = [] if fields is None else _field_names(fields, "Stream fields")
        if not isinstance(name, str) or not name:
            raise TopologyTypeError(f"Stream name must be a non-empty string; given: {name!r}")
        if not isinstance(direct, bool):
            raise TopologyTypeError(f'"direct" must be either True or False; given: {direct!r}')
        duplicates = sorted({f for f in self.fields if self.fields.count(f) > 1})
        if duplicates:
            raise TopologyError(
                f"Stream {name!r} declares the field(s) {duplicates} more than once; "
                "field names must be unique within a stream"
            )
        self.name = name
        self.direct = direct

    @property
    def output_fields(self) -> list[str]:
        """The field names (Storm's ``StreamInfo.output_fields``)."""
        return list(self.fields)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Stream):
            return NotImplemented
        return (self.fields, self.name, self.direct) == (other.fields, other.name, other.direct)

    __hash__ = None  # type: ignore[assignment]  # mutable, like streamparse's Stream

    def __repr__(self) -> str:
        return f"Stream(fields={self.fields!r}, name={self.name!r}, direct={self.direct!r})"


class ComponentRef(Protocol):
    """A :class:`~stormbridge.dsl.ComponentSpec` as ``GlobalStreamId.componentId`` holds it.

    Typed by shape, so this module does not import :mod:`stormbridge.dsl.specs`.
    """

    @property
    def name(self) -> str | None: ...


@dataclass(frozen=True)
class GlobalStreamId:
    """Stream ``streamId`` of component ``componentId``.

    Before a :class:`~stormbridge.dsl.Topology` names its components, ``componentId``
    may be the :class:`~stormbridge.dsl.ComponentSpec` itself; the topology replaces
    it by the component's name. The camel-case names are Storm's.
    """

    componentId: str | ComponentRef
    streamId: str = "default"


@dataclass(frozen=True, repr=False)
class StreamGrouping:
    """One grouping: how a bolt's tasks share the tuples of one input stream.

    Build these with :class:`Grouping`, not directly. ``kind`` is a member of Storm's
    ``Grouping`` union; a ``fields`` grouping with no field names is global grouping.
    """

    kind: str
    field_names: tuple[str, ...] = ()
    java_object: JavaObjectSpec | None = None
    serialized: bytes | None = None

    @property
    def fields(self) -> list[str] | None:
        """Field names of a fields (or global) grouping, else ``None`` (as in Thrift)."""
        return list(self.field_names) if self.kind == "fields" else None

    @property
    def is_global(self) -> bool:
        return self.kind == "fields" and not self.field_names

    def to_thrift(self) -> Any:
        """The Thrift ``Grouping`` union (loads thriftpy2)."""
        t = storm_thrift()
        if self.kind == "fields":
            return t.Grouping(fields=list(self.field_names))
        if self.kind == "custom_object":
            assert self.java_object is not None
            return t.Grouping(custom_object=self.java_object.to_thrift())
        if self.kind == "custom_serialized":
            return t.Grouping(custom_serialized=self.serialized)
        return t.Grouping(**{self.kind: t.NullStruct()})

    def __repr__(self) -> str:
        if self.is_global:
            return "GLOBAL"
        if self.kind == "fields":
            return f"fields({list(self.field_names)!r})"
        if self.kind == "custom_object":
            return f"custom_object({self.java_object!r})"
        if self.kind == "custom_serialized":
            return f"custom_serialized({self.serialized!r})"
        return self.kind.upper()


def grouping_from_thrift(value: object) -> StreamGrouping | None:
    """Convert a hand-made Thrift ``Grouping`` (e.g. from ``streamparse.thrift``), else None."""
    if type(value).__name__ != "Grouping" or not hasattr(value, "thrift_spec"):
        return None
    set_kinds = [k for k in GROUPING_KINDS if getattr(value, k, None) is not None]
    if len(set_kinds) != 1:
        raise TopologyError(f"Grouping {value!r} must have exactly one member set")
    kind = set_kinds[0]
    member = getattr(value, kind)
    if kind == "fields":
        return StreamGrouping("fields", tuple(_field_names(member, "Grouping fields")))
    if kind == "custom_object":
        return Grouping.custom_object(member.full_class_name, member.args_list)
    if kind == "custom_serialized":
        return Grouping.custom_serialized(member)
    return StreamGrouping(kind)


class Grouping:
    """The groupings Storm offers (Thrift ``Grouping`` union).

    :cvar SHUFFLE: tuples go to random tasks, evenly.
    :cvar GLOBAL: the whole stream goes to one task (the lowest task id).
    :cvar DIRECT: the emitter picks the task (``emit(..., direct_task=...)``); the source
        stream must be declared ``Stream(..., direct=True)``.
    :cvar ALL: every task gets every tuple.
    :cvar NONE: "don't care"; Storm treats it as shuffle.
    :cvar LOCAL_OR_SHUFFLE: prefer tasks in the same worker process, else shuffle.
    """

    __slots__ = ()

    SHUFFLE: ClassVar[StreamGrouping] = StreamGrouping("shuffle")
    GLOBAL: ClassVar[StreamGrouping] = StreamGrouping("fields")
    DIRECT: ClassVar[StreamGrouping] = StreamGrouping("direct")
    ALL: ClassVar[StreamGrouping] = StreamGrouping("all")
    NONE: ClassVar[StreamGrouping] = StreamGrouping("none")
    LOCAL_OR_SHUFFLE: ClassVar[StreamGrouping] = StreamGrouping("local_or_shuffle")

    @classmethod
    def fields(cls, *fields: str | list[str] | tuple[str, ...]) -> StreamGrouping:
        """Partition the stream by these fields: ``fields("a", "b")`` or ``fields(["a"])``."""
        names: object = (
            fields[0] if len(fields) == 1 and isinstance(fields[0], (list, tuple)) else fields
        )
        checked = _field_names(list(names) if isinstance(names, tuple) else names, "fields")
        if not checked:
            raise TopologyError(
                "List cannot be empty for fields grouping: name at least one field, "
                "or use Grouping.GLOBAL to send the whole stream to one task"
            )
        return StreamGrouping("fields", tuple(checked))

    @classmethod
    def custom_object(cls, java_class_name: str, arg_list: Iterable[object]) -> StreamGrouping:
        """Tuples are assigned to tasks by a ``CustomStreamGrouping`` Java class."""
        return StreamGrouping("custom_object", java_object=java_object(java_class_name, arg_list))

    @classmethod
    def custom_serialized(cls, java_serialized: bytes) -> StreamGrouping:
        """Tuples are assigned to tasks by a Java-serialized ``CustomStreamGrouping``."""
        if not isinstance(java_serialized, (bytes, bytearray)):
            raise TopologyTypeError(
                "Argument to custom_serialized must be a serialized Java class as bytes. "
                f"Given: {java_serialized!r}"
            )
        return StreamGrouping("custom_serialized", serialized=bytes(java_serialized))
