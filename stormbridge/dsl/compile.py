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

Each spec builds its own structs (``ComponentSpec.thrift_object``/``thrift_common``,
``StreamGrouping.to_thrift``); this module assembles a topology and encodes it.
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
from .boot import BOOT_DIR
from .checks import check_python
from .java import JavaObjectSpec
from .kafka import KAFKA_REQUIREMENT, KAFKA_SPOUT_CLASS
from .specs import ComponentSpec, ShellComponentSpec
from .stream import StreamGrouping

__all__ = [
    "compile_topology",
    "compile_unresolved",
    "grouping_to_thrift",
    "jvm_requirements",
    "python_class_paths",
    "spec_common",
    "spec_component_object",
    "topology_from_bytes",
    "topology_to_bytes",
]

#: Class attribute where ``Topology.read`` keeps the Thrift topology it read.
READ_ATTR = "_stormbridge_read_topology"

#: Attribute that :class:`~stormbridge.dsl.TopologyType` (the metaclass of every Topology
#: class) sets to True: how this module recognises a Topology class without importing
#: :mod:`stormbridge.dsl.topology`, which imports this module.
TOPOLOGY_MARK = "_stormbridge_topology_type"


def is_topology_class(value: object) -> bool:
    """True for :class:`~stormbridge.dsl.Topology` and its subclasses."""
    return isinstance(value, type) and getattr(type(value), TOPOLOGY_MARK, False) is True


def _check_topology(topology_cls: object) -> type:
    if not is_topology_class(topology_cls):
        raise TopologyTypeError(
            f"Expected a Topology subclass, got {topology_cls!r}; pass the class itself "
            "(e.g. compile_topology(WordCount))"
        )
    assert isinstance(topology_cls, type)
    return topology_cls


def java_object_to_thrift(java: JavaObjectSpec) -> Any:
    """The Thrift ``JavaObject`` of a DSL Java object."""
    return java.to_thrift()


def grouping_to_thrift(grouping: StreamGrouping) -> Any:
    """The Thrift ``Grouping`` union for a DSL grouping."""
    return grouping.to_thrift()


def spec_common(spec: ComponentSpec, *, env_name: str | None, strict_par: bool = True) -> Any:
    """The Thrift ``ComponentCommon`` of a spec (its inputs must be resolved).

    With ``strict_par=False`` a ``par`` dict is copied as is (streamparse's behaviour,
    not encodable); otherwise it is resolved for ``env_name``.
    """
    return spec.thrift_common(env_name=env_name, strict_par=strict_par)


def spec_component_object(spec: ComponentSpec, *, python: str = "python3") -> Any:
    """The Thrift ``ComponentObject`` of a spec."""
    return spec.thrift_object(python=python)


def _compile(topology_cls: type, env_name: str | None, python: str, strict: bool) -> Any:
    t = storm_thrift()
    read = topology_cls.__dict__.get(READ_ATTR)
    if read is not None:
        return copy.deepcopy(read)
    check_python(python)
    spouts, bolts = {}, {}
    specs: list[ComponentSpec] = topology_cls.__dict__.get("specs", [])
    for spec in specs:
        obj = spec.thrift_object(python=python)
        common = spec.thrift_common(env_name=env_name, strict_par=strict)
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
    read = cls.__dict__.get(READ_ATTR)
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


def jvm_requirements(topology_cls: object) -> frozenset[str]:
    """The names of the JVM jar sets the topology's components need in its jar (``"kafka"``
    for a :class:`~stormbridge.dsl.kafka.KafkaSpout`); the build step provides them."""
    cls = _check_topology(topology_cls)
    read = cls.__dict__.get(READ_ATTR)
    if read is not None:
        for holder in [*read.spouts.values(), *read.bolts.values()]:
            obj = getattr(holder, "spout_object", None) or getattr(holder, "bolt_object", None)
            java = obj.java_object if obj is not None else None
            if java is not None and java.full_class_name == KAFKA_SPOUT_CLASS:
                return frozenset({KAFKA_REQUIREMENT})
        return frozenset()
    needs: set[str] = set()
    for spec in cls.__dict__.get("specs", []):
        needs.update(getattr(spec, "jvm_requires", ()))
    return frozenset(needs)


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
