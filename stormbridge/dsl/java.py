"""Java objects in a topology: constructor arguments and class references (pure data).

Storm instantiates a Java spout, bolt or custom grouping by reflection from a class
name and a list of typed constructor arguments (Thrift ``JavaObject`` /
``JavaObjectArg``). Python values map to argument kinds as streamparse maps them:
``bool`` → ``bool_arg``, ``int`` → ``long_arg``, ``bytes`` → ``binary_arg``, ``str``
→ ``string_arg``, ``float`` → ``double_arg``. To pass a Java ``int`` (``int_arg``),
give a :class:`JavaArg` (``JavaArg.int32(5)``) or a Thrift ``JavaObjectArg``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import TopologyError, TopologyTypeError
from ..thrift import storm_thrift

__all__ = ["JAVA_ARG_KINDS", "JavaArg", "JavaObjectSpec", "java_arg", "java_object"]

#: The members of Storm's ``JavaObjectArg`` union, in field-id order.
JAVA_ARG_KINDS = ("int_arg", "long_arg", "string_arg", "bool_arg", "binary_arg", "double_arg")

JavaValue = int | str | bool | bytes | float

_I32 = (-(2**31), 2**31 - 1)
_I64 = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class JavaArg:
    """One typed constructor argument: ``kind`` is a member of :data:`JAVA_ARG_KINDS`."""

    kind: str
    value: JavaValue

    def __post_init__(self) -> None:
        expected: dict[str, tuple[type, ...]] = {
            "int_arg": (int,),
            "long_arg": (int,),
            "string_arg": (str,),
            "bool_arg": (bool,),
            "binary_arg": (bytes,),
            "double_arg": (float, int),
        }
        if self.kind not in expected:
            raise TopologyError(
                f"Unknown Java argument kind {self.kind!r}; use one of {list(JAVA_ARG_KINDS)}"
            )
        value = self.value
        is_bool = isinstance(value, bool)
        if not isinstance(value, expected[self.kind]) or (is_bool and self.kind != "bool_arg"):
            raise TopologyTypeError(
                f"Java argument of kind {self.kind!r} cannot hold {value!r} "
                f"({type(value).__name__})"
            )
        if self.kind in ("int_arg", "long_arg"):
            low, high = _I32 if self.kind == "int_arg" else _I64
            if not low <= int(value) <= high:
                java = "int" if self.kind == "int_arg" else "long"
                raise TopologyError(
                    f"Java argument {value!r} does not fit in a Java {java} [{low}, {high}]"
                )

    @classmethod
    def int32(cls, value: int) -> JavaArg:
        """A Java ``int`` argument (Python ints become Java ``long`` by default)."""
        return cls("int_arg", value)

    @property
    def python_value(self) -> JavaValue:
        """The plain Python value (what Flux's YAML carries)."""
        return self.value

    def to_thrift(self) -> Any:
        """The Thrift ``JavaObjectArg`` union (loads thriftpy2)."""
        return storm_thrift().JavaObjectArg(**{self.kind: self.value})


def java_arg(value: object) -> JavaArg:
    """Convert a basic Python value (or a Thrift ``JavaObjectArg``) into a :class:`JavaArg`."""
    if isinstance(value, JavaArg):
        return value
    if isinstance(value, bool):
        return JavaArg("bool_arg", value)
    if isinstance(value, int):
        return JavaArg("long_arg", value)
    if isinstance(value, bytes):
        return JavaArg("binary_arg", value)
    if isinstance(value, str):
        return JavaArg("string_arg", value)
    if isinstance(value, float):
        return JavaArg("double_arg", value)
    if type(value).__name__ == "JavaObjectArg":  # a Thrift union, possibly hand-made by users
        set_members = [k for k in JAVA_ARG_KINDS if getattr(value, k, None) is not None]
        if len(set_members) == 1:
            kind = set_members[0]
            return JavaArg(kind, getattr(value, kind))
        raise TopologyError(f"JavaObjectArg {value!r} must have exactly one member set")
    raise TopologyTypeError(
        "Only basic data types (bool, int, bytes, str, float) can be specified as "
        f"arguments to JavaObject constructors. Given: {value!r} ({type(value).__name__})"
    )


@dataclass(frozen=True)
class JavaObjectSpec:
    """A Java class name plus typed constructor arguments."""

    full_class_name: str
    args: tuple[JavaArg, ...] = ()

    @property
    def args_list(self) -> list[JavaValue]:
        """The arguments as plain Python values."""
        return [arg.value for arg in self.args]

    def to_thrift(self) -> Any:
        """The Thrift ``JavaObject`` (loads thriftpy2)."""
        args = [arg.to_thrift() for arg in self.args]
        return storm_thrift().JavaObject(full_class_name=self.full_class_name, args_list=args)


def java_object(full_class_name: object, args_list: object) -> JavaObjectSpec:
    """Validate a class name and argument list into a :class:`JavaObjectSpec`."""
    if not full_class_name or not isinstance(full_class_name, str):
        raise TopologyError(
            f"full_class_name is required: give the fully qualified Java class name "
            f"(e.g. 'org.example.MyBolt'), not {full_class_name!r}"
        )
    if args_list is None:
        raise TopologyTypeError(
            "args_list must not be None: give a list of constructor arguments ([] for none)"
        )
    if isinstance(args_list, (str, bytes)) or not isinstance(args_list, Iterable):
        raise TopologyTypeError(
            f"args_list must be a list of constructor arguments, not {args_list!r}"
        )
    return JavaObjectSpec(full_class_name, tuple(java_arg(arg) for arg in args_list))
