"""Making specs from component classes.

* :func:`python_spout_spec` / :func:`python_bolt_spec` back ``Spout.spec()`` and
  ``Bolt.spec()`` of the worker runtime: a Python component is named by its class
  path ``module.QualName`` and reads ``outputs``, ``par`` and ``config`` from its class.
* :class:`ShellSpout`, :class:`ShellBolt`, :class:`JavaSpout`, :class:`JavaBolt` are
  DSL-only classes for components written in other languages, with streamparse's
  ``.spec()`` signatures.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..errors import TopologyTypeError
from .specs import (
    ComponentSpec,
    JavaBoltSpec,
    JavaComponentSpec,
    JavaSpoutSpec,
    ShellBoltSpec,
    ShellComponentSpec,
    ShellSpoutSpec,
)

__all__ = [
    "ComponentSpec",
    "JavaBolt",
    "JavaComponentSpec",
    "JavaSpout",
    "ShellBolt",
    "ShellComponentSpec",
    "ShellSpout",
    "class_path_of",
    "python_bolt_spec",
    "python_spout_spec",
]


def class_path_of(cls: type) -> str:
    """``module.QualName`` of a component class (validated when a topology uses it)."""
    if not isinstance(cls, type):
        raise TopologyTypeError(
            f"spec() must be called on a Spout or Bolt class, not on {cls!r}; "
            "use MySpout.spec(), not MySpout().spec()"
        )
    return f"{cls.__module__}.{cls.__qualname__}"


def python_spout_spec(
    cls: type, *, name: str | None = None, par: Any = None, config: Any = None
) -> ShellSpoutSpec:
    """The spec of a Python spout class (``outputs``, ``par``, ``config`` from the class)."""
    class_path = class_path_of(cls)
    return ShellSpoutSpec(
        cls,
        name=name,
        par=par,
        config=config,
        outputs=getattr(cls, "outputs", None),
        class_path=class_path,
    )


def python_bolt_spec(
    cls: type,
    *,
    name: str | None = None,
    inputs: Any = None,
    par: Any = None,
    config: Any = None,
) -> ShellBoltSpec:
    """The spec of a Python bolt class (``outputs``, ``par``, ``config`` from the class)."""
    class_path = class_path_of(cls)
    return ShellBoltSpec(
        cls,
        name=name,
        inputs=inputs,
        par=par,
        config=config,
        outputs=getattr(cls, "outputs", None),
        class_path=class_path,
    )


class _ForeignComponent:
    """Class attributes every DSL component class has (as streamparse's Component)."""

    outputs: ClassVar[Any] = None
    par: ClassVar[Any] = 1
    config: ClassVar[Any] = None


class ShellSpout(_ForeignComponent):
    """A spout in any language that speaks Storm's multilang protocol."""

    @classmethod
    def spec(
        cls,
        name: str | None = None,
        command: str | None = None,
        script: str | None = None,
        par: Any = None,
        config: Any = None,
        outputs: Any = None,
    ) -> ShellSpoutSpec:
        """Storm runs exactly ``[command, script]`` with ``resources/`` as working directory."""
        return ShellSpoutSpec(cls, name, command, script, par, config, outputs)


class ShellBolt(_ForeignComponent):
    """A bolt in any language that speaks Storm's multilang protocol."""

    @classmethod
    def spec(
        cls,
        name: str | None = None,
        command: str | None = None,
        script: str | None = None,
        inputs: Any = None,
        par: Any = None,
        config: Any = None,
        outputs: Any = None,
    ) -> ShellBoltSpec:
        """Storm runs exactly ``[command, script]`` with ``resources/`` as working directory."""
        return ShellBoltSpec(cls, name, command, script, inputs, par, config, outputs)


class JavaSpout(_ForeignComponent):
    """A spout implemented in Java; its class must be on the topology's classpath."""

    @classmethod
    def spec(
        cls,
        name: str | None = None,
        serialized_java: bytes | None = None,
        full_class_name: str | None = None,
        args_list: Any = None,
        par: Any = 1,
        config: Any = None,
        outputs: Any = None,
    ) -> JavaSpoutSpec:
        """Give ``serialized_java``, or ``full_class_name`` plus ``args_list``."""
        return JavaSpoutSpec(
            cls, name, serialized_java, full_class_name, args_list, par, config, outputs
        )


class JavaBolt(_ForeignComponent):
    """A bolt implemented in Java; its class must be on the topology's classpath."""

    @classmethod
    def spec(
        cls,
        name: str | None = None,
        serialized_java: bytes | None = None,
        full_class_name: str | None = None,
        args_list: Any = None,
        inputs: Any = None,
        par: Any = 1,
        config: Any = None,
        outputs: Any = None,
    ) -> JavaBoltSpec:
        """Give ``serialized_java``, or ``full_class_name`` plus ``args_list``."""
        return JavaBoltSpec(
            cls,
            name,
            serialized_java,
            full_class_name,
            args_list,
            inputs,
            par,
            config,
            outputs,
        )
