"""Component specifications: what ``SomeComponent.spec(...)`` returns (pure data).

A spec records one component of a topology: the class it was made from, its inputs
(``GlobalStreamId`` → grouping), its output streams, its parallelism and its
component configuration. It is validated when created; the names of the components
it reads from are resolved later, when a :class:`~stormbridge.dsl.Topology` class
collects its specs.

Four kinds exist, as in streamparse: shell spouts and bolts (a command and a script,
or a Python class: then ``class_path`` is set and the command is chosen at
compilation), and Java spouts and bolts (a class name and constructor arguments, or
serialized Java bytes).

Each spec builds its own Thrift structs (``thrift_common``, ``thrift_object``), loading
thriftpy2 only then; :mod:`stormbridge.dsl.compile` assembles a whole topology.
"""

from __future__ import annotations

import copy
import json
from typing import Any, ClassVar

from ..errors import TopologyError, TopologyTypeError
from ..thrift import storm_thrift
from .boot import boot_script_path
from .checks import (
    Par,
    check_config,
    check_name,
    check_outputs,
    check_par,
    check_python,
    resolve_par,
)
from .java import JavaObjectSpec, java_object
from .stream import GlobalStreamId, Grouping, Stream, StreamGrouping, grouping_from_thrift

__all__ = [
    "ComponentSpec",
    "JavaBoltSpec",
    "JavaComponentSpec",
    "JavaSpoutSpec",
    "Par",
    "ShellBoltSpec",
    "ShellComponentSpec",
    "ShellSpoutSpec",
    "resolve_par",
]


def _owner(component_cls: object) -> str:
    return f"{getattr(component_cls, '__name__', repr(component_cls))}.spec()"


def _as_stream_id(value: object) -> GlobalStreamId | None:
    if isinstance(value, GlobalStreamId):
        return value
    if isinstance(value, ComponentSpec):
        return GlobalStreamId(value.name or value, "default")
    if type(value).__name__ == "GlobalStreamId" and hasattr(value, "thrift_spec"):
        component_id = getattr(value, "componentId", None)
        stream_id = getattr(value, "streamId", None)
        if not isinstance(component_id, (str, ComponentSpec)) or not isinstance(stream_id, str):
            raise TopologyTypeError(
                f"GlobalStreamId {value!r} needs a componentId and a streamId (strings)"
            )
        return GlobalStreamId(component_id, stream_id)
    return None


def check_inputs(
    inputs: object, owner: str
) -> tuple[dict[GlobalStreamId, StreamGrouping], frozenset[GlobalStreamId]]:
    """Normalize inputs to ``{GlobalStreamId: grouping}``.

    Also returns the ids whose grouping was not given (list form): the topology makes
    those DIRECT when the source stream is direct, SHUFFLE otherwise.
    """
    result: dict[GlobalStreamId, StreamGrouping] = {}
    defaulted: set[GlobalStreamId] = set()
    if inputs is None:
        return result, frozenset()
    expected = (
        "inputs must be a dict of ComponentSpec/GlobalStreamId -> Grouping, a list of "
        "ComponentSpec/GlobalStreamId, a single ComponentSpec, or None"
    )
    if isinstance(inputs, dict):
        for key, value in inputs.items():
            stream_id = _as_stream_id(key)
            grouping = value if isinstance(value, StreamGrouping) else grouping_from_thrift(value)
            if stream_id is None or grouping is None:
                raise TopologyTypeError(
                    f"{owner}: if inputs is a dict, it is expected to map from GlobalStreamId "
                    "or ComponentSpec objects to Grouping objects (e.g. {word_spout: "
                    f"Grouping.fields('word')}}). Given key: {key!r}; given value: {value!r}"
                )
            if stream_id in result:
                raise TopologyError(f"{owner}: input {stream_id!r} is listed twice")
            result[stream_id] = grouping
        return result, frozenset()
    if _as_stream_id(inputs) is not None:
        inputs = [inputs]
    if not isinstance(inputs, (list, tuple)):
        raise TopologyTypeError(f"{owner}: {expected}. Given: {inputs!r}")
    for entry in inputs:
        stream_id = _as_stream_id(entry)
        if stream_id is None:
            raise TopologyTypeError(
                f"{owner}: inputs must be ComponentSpec or GlobalStreamId objects. Given: {entry!r}"
            )
        if stream_id in result:
            raise TopologyError(f"{owner}: input {stream_id!r} is listed twice")
        source = stream_id.componentId
        direct = False
        if isinstance(source, ComponentSpec):
            stream = source.outputs.get(stream_id.streamId)
            direct = stream is not None and stream.direct
        result[stream_id] = Grouping.DIRECT if direct else Grouping.SHUFFLE
        defaulted.add(stream_id)
    return result, frozenset(defaulted)


class ComponentSpec:
    """Base of every component specification. Use ``SomeComponent.spec(...)``."""

    #: "spout" or "bolt" (None on the abstract bases).
    role: ClassVar[str | None] = None

    component_cls: type
    name: str | None
    par: Par
    config: dict[str, Any]
    outputs: dict[str, Stream]
    inputs: dict[GlobalStreamId, StreamGrouping]

    def __init__(
        self,
        component_cls: type,
        name: str | None = None,
        inputs: object = None,
        par: object = None,
        config: object = None,
        outputs: object = None,
    ) -> None:
        owner = _owner(component_cls)
        self.component_cls = component_cls
        self.name = check_name(name, owner)
        self.par = check_par(par if par is not None else getattr(component_cls, "par", 1), owner)
        if config is None:
            config = getattr(component_cls, "config", None)
        self.config = check_config(config, owner)
        if outputs is None:
            outputs = getattr(component_cls, "outputs", None)
        self.outputs = check_outputs(outputs, owner)
        self.inputs, self._defaulted_inputs = check_inputs(inputs, owner)
        self._origin: ComponentSpec = self

    @property
    def is_spout(self) -> bool:
        return self.role == "spout"

    @property
    def is_bolt(self) -> bool:
        return self.role == "bolt"

    @property
    def json_conf(self) -> str:
        """The component configuration as Storm receives it (a JSON object)."""
        return json.dumps(self.config, sort_keys=True)

    @property
    def common(self) -> Any:
        """The Thrift ``ComponentCommon`` of this spec (loads thriftpy2)."""
        return self.thrift_common(env_name=None, strict_par=False)

    @property
    def component_object(self) -> Any:
        """The Thrift ``ComponentObject`` of this spec, Python components with ``python3``."""
        return self.thrift_object(python="python3")

    def thrift_common(self, *, env_name: str | None, strict_par: bool = True) -> Any:
        """The Thrift ``ComponentCommon`` of this spec (its inputs must be resolved).

        With ``strict_par=False`` a ``par`` dict is copied as is (streamparse's behaviour,
        not encodable); otherwise it is resolved for ``env_name``.
        """
        t = storm_thrift()
        inputs = {}
        for stream_id, grouping in self.inputs.items():
            source = stream_id.componentId
            component_id = source if isinstance(source, str) else source.name
            if component_id is None:
                raise TopologyError(
                    f"{self!r} reads from a component that has no name yet; compile the "
                    "Topology class, not a loose spec"
                )
            key = t.GlobalStreamId(componentId=component_id, streamId=stream_id.streamId)
            inputs[key] = grouping.to_thrift()
        streams = {
            name: t.StreamInfo(output_fields=list(stream.fields), direct=stream.direct)
            for name, stream in self.outputs.items()
        }
        if strict_par:
            par: Any = resolve_par(self.par, env_name, self.name or repr(self))
        else:
            par = copy.deepcopy(self.par)
        return t.ComponentCommon(
            inputs=inputs, streams=streams, parallelism_hint=par, json_conf=self.json_conf
        )

    def thrift_object(self, *, python: str = "python3") -> Any:
        """The Thrift ``ComponentObject`` of this spec (shell and Java specs override this)."""
        raise TopologyTypeError(f"Specifications should either be bolts or spouts. Given: {self!r}")

    def __getitem__(self, stream: str) -> GlobalStreamId:
        """``spec["stream"]``: the id of one of this component's output streams."""
        if stream not in self.outputs:
            raise KeyError(
                f"Invalid stream for {self.name or _owner(self.component_cls)}: {stream!r}. "
                f"Valid streams are: {list(self.outputs)}. Declare it in outputs with "
                f"Stream(fields=[...], name={stream!r})."
            )
        return GlobalStreamId(self.name or self, stream)

    def _resolved(self, name: str, inputs: dict[GlobalStreamId, StreamGrouping]) -> ComponentSpec:
        """A copy named ``name`` whose inputs name their components (for one topology)."""
        twin = copy.copy(self)
        twin.name = name
        twin.inputs = inputs
        twin._defaulted_inputs = frozenset()
        twin._origin = self._origin
        return twin

    def _describe(self) -> str:
        return ""

    def __repr__(self) -> str:
        parts = [getattr(self.component_cls, "__name__", repr(self.component_cls))]
        parts.append(f"name={self.name!r}")
        parts.append(self._describe())
        if self.inputs:
            parts.append(f"inputs={self.inputs!r}")
        parts.append(f"par={self.par!r}")
        if self.config:
            parts.append(f"config={self.config!r}")
        parts.append(f"outputs={list(self.outputs.values())!r}")
        return f"{type(self).__name__}({', '.join(p for p in parts if p)})"


class ShellComponentSpec(ComponentSpec):
    """A multilang subprocess: ``[command, script]``, or a Python class (``class_path``)."""

    command: str | None
    script: str | None
    class_path: str | None

    def __init__(
        self,
        component_cls: type,
        name: str | None = None,
        command: str | None = None,
        script: str | None = None,
        inputs: object = None,
        par: object = None,
        config: object = None,
        outputs: object = None,
        *,
        class_path: str | None = None,
    ) -> None:
        super().__init__(component_cls, name, inputs, par, config, outputs)
        owner = _owner(component_cls)
        if class_path is not None:
            if command is not None or script is not None:
                raise TopologyError(f"{owner}: a Python component takes no command or script")
            self.command, self.script, self.class_path = None, None, class_path
            return
        if not command:
            raise TopologyError(
                f"{owner}: command is required: the program Storm runs (e.g. 'node')"
            )
        if not isinstance(command, str):
            raise TopologyTypeError(f"{owner}: command must be a string, not {command!r}")
        if script is None:
            raise TopologyTypeError(
                f"{owner}: script must not be None. If your command does not take "
                "arguments, specify the empty string for script."
            )
        if not isinstance(script, str):
            raise TopologyTypeError(f"{owner}: script must be a string, not {script!r}")
        self.command, self.script, self.class_path = command, script, None

    @property
    def is_python(self) -> bool:
        """True for a Python component of this project (started through a boot script)."""
        return self.class_path is not None

    def thrift_object(self, *, python: str = "python3") -> Any:
        """``ComponentObject(shell=...)``: ``[python, boot script]`` for a Python class."""
        t = storm_thrift()
        if self.class_path is not None:
            shell = t.ShellComponent(
                execution_command=check_python(python), script=boot_script_path(self.class_path)
            )
        else:
            shell = t.ShellComponent(execution_command=self.command, script=self.script)
        return t.ComponentObject(shell=shell)

    def _describe(self) -> str:
        if self.class_path is not None:
            return f"class_path={self.class_path!r}"
        return f"command={self.command!r}, script={self.script!r}"


class JavaComponentSpec(ComponentSpec):
    """A JVM component: a class and constructor arguments, or serialized Java bytes."""

    serialized_java: bytes | None
    java_object: JavaObjectSpec | None

    def __init__(
        self,
        component_cls: type,
        name: str | None = None,
        serialized_java: bytes | None = None,
        full_class_name: str | None = None,
        args_list: object = None,
        inputs: object = None,
        par: object = None,
        config: object = None,
        outputs: object = None,
    ) -> None:
        super().__init__(component_cls, name, inputs, par, config, outputs)
        if serialized_java is not None:
            if not isinstance(serialized_java, bytes):
                raise TopologyTypeError(
                    f"{_owner(component_cls)}: serialized_java must be either bytes or None; "
                    f"given {type(serialized_java).__name__}"
                )
            self.serialized_java, self.java_object = serialized_java, None
        else:
            self.serialized_java = None
            self.java_object = java_object(full_class_name, args_list)

    def thrift_object(self, *, python: str = "python3") -> Any:
        """``ComponentObject`` with ``serialized_java`` or ``java_object`` (``python`` unused)."""
        t = storm_thrift()
        if self.serialized_java is not None:
            return t.ComponentObject(serialized_java=self.serialized_java)
        assert self.java_object is not None
        return t.ComponentObject(java_object=self.java_object.to_thrift())

    def _describe(self) -> str:
        if self.serialized_java is not None:
            return f"serialized_java=<{len(self.serialized_java)} bytes>"
        return f"java_object={self.java_object!r}"


class ShellSpoutSpec(ShellComponentSpec):
    role = "spout"

    def __init__(
        self,
        component_cls: type,
        name: str | None = None,
        command: str | None = None,
        script: str | None = None,
        par: object = None,
        config: object = None,
        outputs: object = None,
        *,
        class_path: str | None = None,
    ) -> None:
        super().__init__(
            component_cls, name, command, script, None, par, config, outputs, class_path=class_path
        )


class ShellBoltSpec(ShellComponentSpec):
    role = "bolt"


class JavaSpoutSpec(JavaComponentSpec):
    role = "spout"

    def __init__(
        self,
        component_cls: type,
        name: str | None = None,
        serialized_java: bytes | None = None,
        full_class_name: str | None = None,
        args_list: object = None,
        par: object = None,
        config: object = None,
        outputs: object = None,
    ) -> None:
        super().__init__(
            component_cls,
            name,
            serialized_java,
            full_class_name,
            args_list,
            None,
            par,
            config,
            outputs,
        )


class JavaBoltSpec(JavaComponentSpec):
    role = "bolt"
