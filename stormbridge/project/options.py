"""Storm options for a topology: ``-o key=value`` parsing and streamparse's precedence.

:func:`resolve_options` builds the topology conf, lowest precedence first
(``streamparse.md`` §3.8 step 3):

1. the env's ``options``;
2. ``pystorm.log.*`` derived from ``log`` (or ``log_path``/``log_file``);
3. the topology class's ``config``;
4. the command line: ``-o key=value``, then ``-a``, ``-w``, ``-d``;
5. then ``topology.debug`` forces ``pystorm.log.level=debug``, and when ``workers`` lists hosts,
   ``topology.workers``/``topology.acker.executors`` default to their number.

Unlike streamparse, no non-Storm keys (``virtualenv_*``, ``use_virtualenv``, ``sudo_user``,
``storm.workers.list``, ``topology.python.path``) go into the topology conf: the virtualenv
interpreter is baked into the jar's boot scripts instead. ``pystorm.log.*`` stays because the
worker runtime reads it from the conf Storm hands over at handshake.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ConfigError
from .config import EnvConfig

__all__ = ["parse_option", "parse_option_value", "resolve_options"]


def parse_option_value(text: str) -> Any:
    """A ``-o key=value`` value as a YAML-ish scalar.

    JSON first (ints, floats, ``true``/``false``/``null``, quoted strings, lists, objects),
    then YAML spellings (``True``/``False``/``yes``-less: only ``true``/``false`` in any case,
    ``null``/``~``/empty → ``None``), a flat ``[a, b]`` flow list of scalars, else the string.
    """
    stripped = text.strip()
    try:
        return json.loads(stripped)
    except ValueError:
        pass
    lowered = stripped.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    if lowered in ("null", "~", ""):
        return None
    if stripped.startswith("[") and stripped.endswith("]"):
        inner = stripped[1:-1].strip()
        if not inner:
            return []
        if "[" not in inner and "{" not in inner:
            return [parse_option_value(item) for item in inner.split(",")]
    if len(stripped) >= 2 and stripped[0] == stripped[-1] == "'":
        return stripped[1:-1].replace("''", "'")
    return stripped


def parse_option(text: str) -> tuple[str, Any]:
    """``"key=value"`` → ``(key, parsed value)``; :class:`ConfigError` without ``=``."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(
            f"option {text!r} is not key=value: write e.g. -o topology.max.spout.pending=1000"
        )
    return key, parse_option_value(value)


def resolve_options(
    env: EnvConfig,
    *,
    topology_config: Mapping[str, Any] | None = None,
    cli_options: Sequence[tuple[str, Any]] | Mapping[str, Any] = (),
    ackers: int | None = None,
    workers: int | None = None,
    debug: bool = False,
) -> dict[str, Any]:
    """The topology conf, in streamparse's precedence (lowest first; see module doc)."""
    conf: dict[str, Any] = dict(env.options)
    conf.update(env.log.storm_options())
    if topology_config:
        conf.update(topology_config)
    items = cli_options.items() if isinstance(cli_options, Mapping) else cli_options
    for key, value in items:
        conf[key] = value
    if ackers is not None:
        conf["topology.acker.executors"] = ackers
    if workers is not None:
        conf["topology.workers"] = workers
    if debug:
        conf["topology.debug"] = True
    if conf.get("topology.debug") is True:
        conf["pystorm.log.level"] = "debug"
    if env.workers:
        conf.setdefault("topology.workers", len(env.workers))
        conf.setdefault("topology.acker.executors", len(env.workers))
    _check_counts(conf)
    return conf


#: Storm reads these as Java ints: key -> smallest value it accepts (``None`` stays allowed).
_INT_OPTIONS = {
    "topology.workers": 1,
    "topology.acker.executors": 0,
    "topology.max.spout.pending": 1,
    "topology.message.timeout.secs": 1,
    "topology.max.task.parallelism": 1,
}
_MAX_INT = 2**31 - 1


def _check_counts(conf: Mapping[str, Any]) -> None:
    """Refuse, before anything is built or uploaded, counts Storm cannot read as an int."""
    for key, low in _INT_OPTIONS.items():
        value = conf.get(key)
        if value is None or (
            isinstance(value, int) and not isinstance(value, bool) and low <= value <= _MAX_INT
        ):
            continue
        if isinstance(value, (int, float, bool)):
            raise ConfigError(
                f"option {key} = {value!r} is out of range: Storm needs a whole number from "
                f"{low} to {_MAX_INT} (a Java int); fix it in config.json, the topology's "
                "config, -o, -w or -a"
            )
