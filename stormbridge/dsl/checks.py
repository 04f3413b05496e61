"""Checking the arguments of ``SomeComponent.spec(...)`` (pure).

Each check returns the value a spec stores (copied where it is mutable) or raises
:class:`~stormbridge.errors.TopologyError` / :class:`~stormbridge.errors.TopologyTypeError`
with a message naming ``owner`` (e.g. ``"WordSpout.spec()"``). :func:`resolve_par` and
:func:`check_python` are used when a topology is compiled.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from ..errors import TopologyError, TopologyTypeError
from .stream import Stream

__all__ = [
    "Par",
    "check_config",
    "check_name",
    "check_outputs",
    "check_par",
    "check_python",
    "resolve_par",
]

#: A parallelism hint: an int, or ``{environment name: int}``.
Par = int | dict[str, int]
#: The largest parallelism Thrift carries (``parallelism_hint`` is an i32).
MAX_PAR = 2**31 - 1


def check_name(name: object, owner: str) -> str | None:
    if name is None:
        return None
    if not isinstance(name, str) or not name:
        raise TopologyTypeError(f"{owner}: name must be a non-empty string or None; given {name!r}")
    return name


def check_par(par: object, owner: str) -> Par:
    """Validate a parallelism hint (int >= 1, or a dict of environment name -> int >= 1)."""
    if isinstance(par, dict):
        if not par:
            raise TopologyError(
                f"{owner}: a par dict needs at least one environment, e.g. {{'prod': 4}}"
            )
        for env_name, hint in par.items():
            if not isinstance(env_name, str) or not isinstance(hint, int) or isinstance(hint, bool):
                raise TopologyTypeError(
                    f"{owner}: if par is a dict, it must map environment names (str) to "
                    f"parallelism hints (int). Given stage: {env_name!r}; "
                    f"given parallelism hint: {hint!r}"
                )
            if not 1 <= hint <= MAX_PAR:
                raise TopologyError(
                    f"{owner}: parallelism hint for environment {env_name!r} must be an "
                    f"integer from 1 to {MAX_PAR} (Thrift i32). Given: {hint!r}"
                )
        return dict(par)
    if not isinstance(par, int) or isinstance(par, bool):
        raise TopologyTypeError(
            f"{owner}: parallelism hint must be an integer greater than 0. Given: {par!r}"
        )
    if not 1 <= par <= MAX_PAR:
        raise TopologyError(
            f"{owner}: parallelism hint must be an integer from 1 to {MAX_PAR} (Thrift i32). "
            f"Given: {par!r}"
        )
    return par


def resolve_par(par: Par, env_name: str | None, component: str) -> int:
    """The parallelism of ``component`` in environment ``env_name``.

    A dict par must name the environment: a missing entry is an error, never a
    silent default.
    """
    if not isinstance(par, dict):
        return par
    if env_name is None:
        raise TopologyError(
            f"Component {component!r} sets par per environment {par!r}: choose one by "
            "compiling with env_name=... (sparse submit/run -e ENV)"
        )
    if env_name not in par:
        raise TopologyError(
            f"Component {component!r} has no parallelism for environment {env_name!r}: "
            f"its par is {par!r}; add {env_name!r} to the dict or use an int"
        )
    return par[env_name]


def check_config(config: object, owner: str) -> dict[str, Any]:
    """Validate a component configuration: a JSON-serializable dict with str keys."""
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise TopologyTypeError(f"{owner}: config must either be a dict or None. Given: {config!r}")
    bad_keys = [key for key in config if not isinstance(key, str)]
    if bad_keys:
        raise TopologyTypeError(
            f"{owner}: config keys must be strings (Storm configuration names); given {bad_keys!r}"
        )
    try:
        json.dumps(config, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise TopologyTypeError(
            f"{owner}: config must be JSON-serializable (it is sent to Storm as JSON): {exc}"
        ) from exc
    return copy.deepcopy(config)


def check_outputs(outputs: object, owner: str) -> dict[str, Stream]:
    """Validate outputs (field names of the default stream and/or :class:`Stream` s)."""
    if outputs is None:
        return {}
    if not isinstance(outputs, (list, tuple)):
        raise TopologyTypeError(
            f"{owner}: outputs must either be a list of strings or a list of Streams. "
            f"Given: {outputs!r}"
        )
    streams: dict[str, Stream] = {}
    default_fields: list[str] = []
    for output in outputs:
        if isinstance(output, str):
            default_fields.append(output)
        elif isinstance(output, Stream):
            if output.name in streams:
                raise TopologyError(
                    f"{owner}: stream {output.name!r} is declared twice in outputs; "
                    "give each Stream a distinct name"
                )
            streams[output.name] = Stream(output.fields, output.name, output.direct)
        else:
            raise TopologyTypeError(
                f"{owner}: outputs must either be a list of strings or a list of Streams. "
                f"Invalid entry: {output!r}"
            )
    if default_fields:
        if "default" in streams:
            raise TopologyError(
                f"{owner}: outputs mix field names {default_fields!r} with a Stream named "
                "'default'; put those fields in the Stream instead"
            )
        streams = {"default": Stream(default_fields), **streams}
    return streams


def check_python(python: object) -> str:
    """Validate the interpreter command Storm runs a Python component with."""
    if not isinstance(python, str) or not python or python != python.strip():
        raise TopologyTypeError(
            f"python must be an interpreter command such as 'python3' or an absolute path, "
            f"not {python!r} (Storm runs it as one argv entry, without a shell)"
        )
    return python
