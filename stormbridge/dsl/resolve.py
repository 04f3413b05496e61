"""Checking a topology's specs together and naming their inputs (pure).

A :class:`~stormbridge.dsl.Topology` class hands its component attributes (its own
and inherited ones) to :func:`resolve_specs`, which returns one resolved copy per
component: named after its attribute unless ``name=`` was given, with inputs keyed by
component *names*. The specs the user created are never modified, so one spec can be
reused by several topologies, and subclasses can inherit, replace (same attribute
name) or drop (``attr = None``) components.

Everything Nimbus's ``validateBasic``/``validateStructure`` would reject later is
rejected here, at class definition: duplicate ids, ids starting with ``__``, inputs
from unknown components or streams, fields missing from the source stream, spouts
with no outputs, bolts with no inputs.
"""

from __future__ import annotations

from ..errors import TopologyError, TopologyTypeError
from .boot import validate_class_path
from .specs import ComponentSpec, ShellComponentSpec
from .stream import GlobalStreamId, Grouping, StreamGrouping

__all__ = ["resolve_specs"]


def _cls_name(spec: ComponentSpec) -> str:
    return getattr(spec.component_cls, "__name__", repr(spec.component_cls))


def _check_system_id(kind: str, value: str, where: str) -> None:
    if value.startswith("__"):
        raise TopologyError(
            f"{kind} id {value!r} ({where}) starts with '__', which Storm reserves for its "
            "own components and streams (__acker, __system, __tick, …); rename it"
        )


def _assign_names(
    topology: str, attr_specs: dict[str, ComponentSpec]
) -> tuple[dict[str, str], dict[int, str]]:
    """Final component names → attribute names, and spec identity → final name."""
    names: dict[str, str] = {}
    by_identity: dict[int, str] = {}
    origin_attr: dict[int, str] = {}
    for attr, spec in attr_specs.items():
        if spec.role not in ("spout", "bolt"):
            raise TopologyTypeError(
                f"Specifications should either be bolts or spouts. Given: {spec!r} "
                f"(attribute {attr!r} of {topology})"
            )
        origin = id(spec._origin)
        if origin in origin_attr:
            raise TopologyError(
                f"{topology}: the same spec is assigned to both {origin_attr[origin]!r} and "
                f"{attr!r}; call .spec() once per component"
            )
        origin_attr[origin] = attr
        final = spec.name or attr
        if final in names:
            raise TopologyError(
                f"Duplicate component name: {final!r} (attributes {names[final]!r} and "
                f"{attr!r} of {topology}); component names must be unique across spouts "
                "and bolts"
            )
        names[final] = attr
        by_identity[id(spec)] = final
        by_identity[origin] = final
    return names, by_identity


def _source_name(
    component_id: object,
    reader: str,
    topology: str,
    names: dict[str, str],
    by_identity: dict[int, str],
) -> str:
    if isinstance(component_id, ComponentSpec):
        found = by_identity.get(id(component_id)) or by_identity.get(id(component_id._origin))
        if found is not None:
            return found
        if component_id.name in names:
            return component_id.name
        raise TopologyError(
            f"Component {reader!r} reads from {component_id!r}, which is not a component of "
            f"{topology}; assign that spec to an attribute of the topology class"
        )
    if isinstance(component_id, str) and component_id in names:
        return component_id
    raise TopologyError(
        f"Component {reader!r} reads from unknown component {component_id!r}; the components "
        f"of {topology} are {sorted(names)}"
    )


def _resolve_inputs(
    spec: ComponentSpec,
    reader: str,
    topology: str,
    attr_specs: dict[str, ComponentSpec],
    names: dict[str, str],
    by_identity: dict[int, str],
) -> dict[GlobalStreamId, StreamGrouping]:
    resolved: dict[GlobalStreamId, StreamGrouping] = {}
    for stream_id, grouping in spec.inputs.items():
        source_name = _source_name(stream_id.componentId, reader, topology, names, by_identity)
        source = attr_specs[names[source_name]]
        stream = source.outputs.get(stream_id.streamId)
        if stream is None:
            raise TopologyError(
                f"Component {reader!r} reads stream {stream_id.streamId!r} of {source_name!r}, "
                f"which declares only {list(source.outputs)}; declare the stream in its outputs "
                "or read one of those"
            )
        if stream_id in spec._defaulted_inputs:
            grouping = Grouping.DIRECT if stream.direct else Grouping.SHUFFLE
        for field in grouping.field_names:
            if field not in stream.fields:
                raise TopologyError(
                    f"Field {field!r} specified in grouping is not a valid output field for "
                    f"the {source_name!r} {stream_id.streamId!r} stream (component "
                    f"{reader!r}); valid fields are {stream.fields}"
                )
        key = GlobalStreamId(source_name, stream_id.streamId)
        if key in resolved:
            raise TopologyError(
                f"Component {reader!r} lists input stream {stream_id.streamId!r} of "
                f"{source_name!r} twice"
            )
        resolved[key] = grouping
    return resolved


def resolve_specs(topology: str, attr_specs: dict[str, ComponentSpec]) -> dict[str, ComponentSpec]:
    """Validate the specs of topology class ``topology``; return resolved copies by attribute."""
    names, by_identity = _assign_names(topology, attr_specs)
    result: dict[str, ComponentSpec] = {}
    for attr, spec in attr_specs.items():
        final = by_identity[id(spec)]
        if spec.is_bolt and not spec.inputs:
            raise TopologyError(
                f'{_cls_name(spec)} "{final}" requires at least one input, because it is a '
                "Bolt. Give inputs= (e.g. inputs=[my_spout])"
            )
        if spec.is_spout and not spec.outputs:
            raise TopologyError(
                f'{_cls_name(spec)} "{final}" requires at least one output, because it is a '
                "Spout. Declare outputs (field names or Streams)"
            )
        if spec.is_spout and spec.inputs:
            raise TopologyError(f"Spout {final!r} cannot have inputs")
        _check_system_id("Component", final, f"in {topology}")
        for stream_name in spec.outputs:
            _check_system_id("Stream", stream_name, f"output of {final!r}")
        inputs = _resolve_inputs(spec, final, topology, attr_specs, names, by_identity)
        result[attr] = spec._resolved(final, inputs)
    if not any(spec.is_spout for spec in result.values()):
        raise TopologyError(
            f"A Topology requires at least one Spout; {topology} has none "
            "(specs are collected from its class attributes, inherited ones included)"
        )
    for spec in result.values():
        if isinstance(spec, ShellComponentSpec) and spec.class_path is not None:
            _check_python_class(spec)
    return result


def _check_python_class(spec: ShellComponentSpec) -> None:
    class_path = spec.class_path or ""
    try:
        validate_class_path(class_path)
    except TopologyError as exc:
        raise TopologyError(f"Component {spec.name!r}: {exc}") from exc
    if class_path.startswith("__main__."):
        raise TopologyError(
            f"Component {spec.name!r}: {class_path!r} is defined in __main__, which Storm's "
            "workers cannot import; move the class into a module under src/"
        )
