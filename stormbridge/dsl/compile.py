"""Compiling a :class:`~stormbridge.dsl.Topology` to Storm's Thrift ``StormTopology``.

What each spec becomes:

* Python spout/bolt → ``ComponentObject(shell=ShellComponent(execution_command=python,
  script="_stormbridge/boot/<module.Class>.py"))``: Storm runs exactly those two argv
  entries in the jar's unpacked ``resources/``, and the boot script (written by the jar
  builder, :mod:`stormbridge.dsl.boot`) switches to a configured virtualenv when it exists.
* Other shell components → ``ShellComponent(command, script)`` exactly as declared.
* Java components → ``ComponentObject(java_object=JavaObject(...))`` or
  ``ComponentObject(serialized_java=...)``.
* Every component → ``ComponentCommon(inputs={GlobalStreamId: Grouping},
  streams={name: StreamInfo}, parallelism_hint, json_conf="<component config as JSON>")``.

``storm_version`` is left unset (Nimbus then uses its own). Compiling never changes
the topology class: every call builds new Thrift objects.
"""

from __future__ import annotations

import copy
import json
import struct
from typing import Any

from ..errors import TopologyError, TopologyTypeError
from ..thrift import storm_thrift
from .boot import BOOT_DIR, boot_script_path
from .java import JavaObjectSpec
from .specs import ComponentSpec, JavaComponentSpec, ShellComponentSpec, resolve_par
from .stream import StreamGrouping
from .topology import _READ_ATTR, TopologyType

__all__ = [
    "compile_topology",
    "compile_unresolved",
    "grouping_to_thrift",
    "python_class_paths",
    "spec_common",
    "spec_component_object",
    "topology_from_bytes",
    "topology_to_bytes",
]


def _check_topology(topology_cls: object) -> TopologyType:
    if not isinstance(topology_cls, TopologyType):
        raise TopologyTypeError(
            f"Expected a Topology subclass, got {topology_cls!r}; pass the class itself "
            "(e.g. compile_topology(WordCount))"
        )
    return topology_cls


def _check_python(python: object) -> str:
    if not isinstance(python, str) or not python or python != python.strip():
        raise TopologyTypeError(
            f"python must be an interpreter command such as 'python3' or an absolute path, "
            f"not {python!r} (Storm runs it as one argv entry, without a shell)"
        )
    return python


def java_object_to_thrift(java: JavaObjectSpec) -> Any:
    t = storm_thrift()
    args = [t.JavaObjectArg(**{arg.kind: arg.value}) for arg in java.args]
    return t.JavaObject(full_class_name=java.full_class_name, args_list=args)


def grouping_to_thrift(grouping: StreamGrouping) -> Any:
    """The Thrift ``Grouping`` union for a DSL grouping."""
    t = storm_thrift()
    if grouping.kind == "fields":
        return t.Grouping(fields=list(grouping.field_names))
    if grouping.kind == "custom_object":
        assert grouping.java_object is not None
        return t.Grouping(custom_object=java_object_to_thrift(grouping.java_object))
    if grouping.kind == "custom_serialized":
        return t.Grouping(custom_serialized=grouping.serialized)
    return t.Grouping(**{grouping.kind: t.NullStruct()})


def spec_common(spec: ComponentSpec, *, env_name: str | None, strict_par: bool = True) -> Any:
    """The Thrift ``ComponentCommon`` of a spec (its inputs must be resolved).

    With ``strict_par=False`` a ``par`` dict is copied as is (streamparse's behaviour,
    not encodable); otherwise it is resolved for ``env_name``.
    """
    t = storm_thrift()
    inputs = {}
    for stream_id, grouping in spec.inputs.items():
        source = stream_id.componentId
        component_id = source if isinstance(source, str) else source.name
        if component_id is None:
            raise TopologyError(
                f"{spec!r} reads from a component that has no name yet; compile the "
                "Topology class, not a loose spec"
            )
        key = t.GlobalStreamId(componentId=component_id, streamId=stream_id.streamId)
        inputs[key] = grouping_to_thrift(grouping)
    streams = {
        name: t.StreamInfo(output_fields=list(stream.fields), direct=stream.direct)
        for name, stream in spec.outputs.items()
    }
    if strict_par:
        par: Any = resolve_par(spec.par, env_name, spec.name or repr(spec))
    else:
        par = copy.deepcopy(spec.par)
    return t.ComponentCommon(
        inputs=inputs, streams=streams, parallelism_hint=par, json_conf=spec.json_conf
    )


def spec_component_object(spec: ComponentSpec, *, python: str = "python3") -> Any:
    """The Thrift ``ComponentObject`` of a spec."""
    t = storm_thrift()
    if isinstance(spec, ShellComponentSpec):
        if spec.class_path is not None:
            shell = t.ShellComponent(
                execution_command=_check_python(python), script=boot_script_path(spec.class_path)
            )
        else:
            shell = t.ShellComponent(execution_command=spec.command, script=spec.script)
        return t.ComponentObject(shell=shell)
    if isinstance(spec, JavaComponentSpec):
        if spec.serialized_java is not None:
            return t.ComponentObject(serialized_java=spec.serialized_java)
        assert spec.java_object is not None
        return t.ComponentObject(java_object=java_object_to_thrift(spec.java_object))
    raise TopologyTypeError(f"Specifications should either be bolts or spouts. Given: {spec!r}")


def _compile(topology_cls: TopologyType, env_name: str | None, python: str, strict: bool) -> Any:
    t = storm_thrift()
    read = topology_cls.__dict__.get(_READ_ATTR)
    if read is not None:
        return copy.deepcopy(read)
    _check_python(python)
    spouts, bolts = {}, {}
    for spec in topology_cls.__dict__.get("specs", []):
        obj = spec_component_object(spec, python=python)
        common = spec_common(spec, env_name=env_name, strict_par=strict)
        if spec.is_spout:
            spouts[spec.name] = t.SpoutSpec(spout_object=obj, common=common)
        else:
            bolts[spec.name] = t.Bolt(bolt_object=obj, common=common)
    return t.StormTopology(spouts=spouts, bolts=bolts, state_spouts={})


def compile_topology(
    topology_cls: object, *, env_name: str | None = None, python: str = "python3"
) -> Any:
    """Compile ``topology_cls`` to a new Thrift ``StormTopology`` ready for Nimbus.

    :param env_name: the environment whose entry of every ``par`` dict is used; a
        ``par`` dict without it (or with ``env_name=None``) is an error.
    :param python: ``execution_command`` of Python components: an interpreter name on
        the workers' PATH or an absolute path (one argv entry, no arguments).
    """
    return _compile(_check_topology(topology_cls), env_name, python, strict=True)


def compile_unresolved(topology_cls: object) -> Any:
    """Like :func:`compile_topology`, but a ``par`` dict is copied as is (``thrift_*``)."""
    return _compile(_check_topology(topology_cls), None, "python3", strict=False)


def python_class_paths(topology_cls: object) -> list[str]:
    """Sorted, unique class paths of the topology's Python components (for boot scripts)."""
    cls = _check_topology(topology_cls)
    read = cls.__dict__.get(_READ_ATTR)
    paths: set[str] = set()
    if read is not None:
        prefix, suffix = f"{BOOT_DIR}/", ".py"
        for holder in [*read.spouts.values(), *read.bolts.values()]:
            obj = getattr(holder, "spout_object", None) or getattr(holder, "bolt_object", None)
            script = obj.shell.script if obj is not None and obj.shell is not None else None
            if script and script.startswith(prefix) and script.endswith(suffix):
                paths.add(script[len(prefix) : -len(suffix)])
        return sorted(paths)
    for spec in cls.__dict__.get("specs", []):
        if isinstance(spec, ShellComponentSpec) and spec.class_path is not None:
            paths.add(spec.class_path)
    return sorted(paths)


def topology_to_bytes(topology: Any) -> bytes:
    """Encode a Thrift ``StormTopology`` with the binary protocol."""
    from thriftpy2.protocol import TBinaryProtocolFactory
    from thriftpy2.thrift import TException
    from thriftpy2.utils import serialize

    try:
        return bytes(serialize(topology, TBinaryProtocolFactory()))
    except (TException, TypeError, ValueError, AttributeError, struct.error) as exc:
        raise TopologyError(
            f"Cannot encode the topology as Thrift ({exc}); a per-environment par dict must "
            "be resolved first: compile_topology(cls, env_name=...)"
        ) from exc


def topology_from_bytes(data: bytes) -> Any:
    """Decode a Thrift ``StormTopology`` written with the binary protocol."""
    from thriftpy2.protocol import TBinaryProtocolFactory
    from thriftpy2.thrift import TException
    from thriftpy2.utils import deserialize

    t = storm_thrift()
    try:
        topology = deserialize(t.StormTopology(), bytes(data), TBinaryProtocolFactory())
    except (TException, TypeError, ValueError, EOFError, struct.error, UnicodeDecodeError) as e:
        raise TopologyError(f"Not a Thrift StormTopology (binary protocol): {e}") from e
    if topology.spouts is None or topology.bolts is None:
        raise TopologyError("Not a Thrift StormTopology: the spouts or bolts map is missing")
    return topology


def json_conf(config: dict[str, Any]) -> str:
    """A configuration dict as the JSON object string Storm expects."""
    return json.dumps(config, sort_keys=True)
