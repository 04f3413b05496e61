"""The ``Topology`` base class: a topology is a class body of component specs.

::

    class WordCount(Topology):
        word_spout = WordSpout.spec()
        count_bolt = WordCountBolt.spec(inputs={word_spout: Grouping.fields("word")}, par=2)

Defining the class validates the whole topology (:mod:`stormbridge.dsl.resolve`) and
replaces each spec attribute by its resolved copy. Nothing here loads Thrift: the
``thrift_spouts``, ``thrift_bolts`` and ``thrift_topology`` class attributes are
computed on access (fresh objects every time, so nothing can mutate the class
through them), and ``write``/``read`` load thriftpy2 when called.

About per-environment ``par`` dicts: ``thrift_*`` keep such a dict in
``parallelism_hint`` exactly as streamparse did (it cannot be encoded). Use
:func:`stormbridge.dsl.compile.compile_topology` with ``env_name=`` (or
``write(..., env_name=...)``) to get a topology Nimbus accepts.
"""

from __future__ import annotations

import copy
import os
import re
from typing import IO, Any, ClassVar

from ..errors import TopologyError, TopologyTypeError
from .compile import (
    READ_ATTR,
    TOPOLOGY_MARK,
    compile_topology,
    compile_unresolved,
    topology_from_bytes,
    topology_to_bytes,
)
from .flux import topology_to_flux_dict
from .resolve import resolve_specs
from .specs import ComponentSpec

__all__ = ["Topology", "TopologyType", "validate_topology_name"]

#: Storm's ``Utils.TOPOLOGY_NAME_REGEX``.
TOPOLOGY_NAME_RE = re.compile(r"^[^/.:\\]+$")
#: Longest topology name, in UTF-8 bytes: Storm names directories on every supervisor after
#: the topology id (``name-N-timestamp``), and file names stop at 255 bytes.
MAX_TOPOLOGY_NAME_BYTES = 200


def validate_topology_name(name: object) -> str:
    """Return ``name`` if Nimbus accepts it as a topology name, else raise TopologyError."""
    if not isinstance(name, str):
        raise TopologyTypeError(f"A topology name must be a string, not {name!r}")
    shown = repr(name) if len(name) <= 80 else f"{name[:60]!r}… ({len(name)} characters)"
    if not TOPOLOGY_NAME_RE.match(name):
        raise TopologyError(
            f"Invalid topology name {shown}: Nimbus requires a non-empty name without "
            "'/', '.', ':' or '\\' (e.g. 'word-count' or 'word_count')"
        )
    if len(name.encode("utf-8", "surrogatepass")) > MAX_TOPOLOGY_NAME_BYTES:
        raise TopologyError(
            f"Invalid topology name {shown}: longer than {MAX_TOPOLOGY_NAME_BYTES} bytes; Storm "
            "makes directories named after it on every supervisor (file names stop at 255)"
        )
    return name


def _looks_like_component_instance(value: object) -> bool:
    return (
        not isinstance(value, (type, ComponentSpec))
        and callable(getattr(type(value), "spec", None))
        and hasattr(type(value), "outputs")
    )


def _collect_specs(cls: type) -> dict[str, ComponentSpec]:
    effective: dict[str, object] = {}
    for klass in reversed(cls.__mro__):
        effective.update(vars(klass))
    return {attr: value for attr, value in effective.items() if isinstance(value, ComponentSpec)}


class TopologyType(type):
    """Metaclass of :class:`Topology`: validates the class body when a topology is defined."""

    def __new__(
        mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> TopologyType:
        for attr, value in namespace.items():
            if _looks_like_component_instance(value):
                raise TopologyTypeError(
                    "Topology classes should have ComponentSpec attributes. Did you forget to "
                    f"call the spec class method for your component? Given: {value!r} "
                    f"(attribute {attr!r})"
                )
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        if not any(isinstance(base, TopologyType) for base in bases):
            type.__setattr__(cls, "specs", [])
            return cls
        resolved = resolve_specs(name, _collect_specs(cls))
        for attr, spec in resolved.items():
            type.__setattr__(cls, attr, spec)
        type.__setattr__(cls, "specs", list(resolved.values()))
        config = getattr(cls, "config", None)
        if not isinstance(config, dict):
            raise TopologyTypeError(f"Topology config must be a dictionary. Given: {config!r}")
        bad_keys = [key for key in config if not isinstance(key, str)]
        if bad_keys:
            raise TopologyTypeError(
                f"Topology config keys must be strings (Storm option names); given {bad_keys!r}"
            )
        if "config" not in namespace:
            type.__setattr__(cls, "config", copy.deepcopy(config))
        return cls

    @property
    def thrift_spouts(cls) -> dict[str, Any]:
        """``{name: SpoutSpec}`` (Thrift; a dict ``par`` stays a dict, as in streamparse)."""
        return dict(cls.thrift_topology.spouts)

    @property
    def thrift_bolts(cls) -> dict[str, Any]:
        """``{name: Bolt}`` (Thrift; a dict ``par`` stays a dict, as in streamparse)."""
        return dict(cls.thrift_topology.bolts)

    @property
    def thrift_topology(cls) -> Any:
        """The Thrift ``StormTopology``: Python components run ``python3`` + boot script.

        Equal to ``compile_topology(cls)`` when no component uses a ``par`` dict.
        """
        return compile_unresolved(cls)

    def __repr__(cls) -> str:
        specs: list[ComponentSpec] = cls.__dict__.get("specs", [])
        spouts = [spec.name for spec in specs if spec.is_spout]
        bolts = [spec.name for spec in specs if spec.is_bolt]
        return f"<Topology {cls.__qualname__}: spouts={spouts}, bolts={bolts}>"


# How stormbridge.dsl.compile recognises a Topology class (it cannot import this module).
setattr(TopologyType, TOPOLOGY_MARK, True)


class Topology(metaclass=TopologyType):
    """Base class of topologies: subclass it and assign ``Component.spec(...)`` attributes.

    :cvar config: Storm options for this topology (merged into the submit-time
        configuration; not part of the Thrift struct).
    :cvar specs: the resolved component specs (set when the class is defined).
    """

    config: ClassVar[dict[str, Any]] = {}
    specs: ClassVar[list[ComponentSpec]] = []

    @classmethod
    def write(
        cls,
        stream: str | os.PathLike[str] | IO[bytes],
        *,
        env_name: str | None = None,
        python: str = "python3",
    ) -> None:
        """Write the compiled topology (Thrift binary protocol) to a path or binary stream.

        ``env_name`` picks the parallelism of ``par`` dicts (required if any is used).
        """
        data = topology_to_bytes(compile_topology(cls, env_name=env_name, python=python))
        if isinstance(stream, (str, os.PathLike)):
            with open(stream, "wb") as output:
                output.write(data)
        else:
            stream.write(data)

    @classmethod
    def read(cls, stream: str | os.PathLike[str] | IO[bytes]) -> Any:
        """Read a Thrift ``StormTopology`` from a path or binary stream into this class.

        Afterwards the ``thrift_*`` attributes return (copies of) what was read and
        ``specs`` is empty: specs cannot be rebuilt from Thrift. Returns the topology.
        """
        if isinstance(stream, (str, os.PathLike)):
            with open(stream, "rb") as source:
                data = source.read()
        else:
            data = stream.read()
        topology = topology_from_bytes(data)
        type.__setattr__(cls, READ_ATTR, topology)
        type.__setattr__(cls, "specs", [])
        return copy.deepcopy(topology)

    @classmethod
    def to_flux_dict(
        cls, name: str, *, env_name: str | None = None, python: str | None = None
    ) -> dict[str, Any]:
        """The topology as a Flux definition (a dict to dump as YAML)."""
        return topology_to_flux_dict(cls, name, env_name=env_name, python=python)
