"""streamparse's shared CLI options (``add_environment``, ``add_options``, …) and
``resolve_options``, plus :func:`run_sparse`, which runs stormbridge's ``sparse``.

Flags keep streamparse's spelling and ``dest``; ``-o``/``-a``/``-w``/``-d``/``--user`` fill one
``options`` dict, as in streamparse. ``--timeout`` is in milliseconds (default 7000), as in
streamparse, and is passed on as ``7000ms``.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from stormbridge.errors import ConfigError
from stormbridge.project.options import parse_option_value

__all__ = [
    "VIRTUALENV_OPTIONS",
    "add_ackers",
    "add_config",
    "add_debug",
    "add_environment",
    "add_name",
    "add_options",
    "add_override_name",
    "add_overwrite_virtualenv",
    "add_pattern",
    "add_pool_size",
    "add_requirements",
    "add_simple_jar",
    "add_timeout",
    "add_user",
    "add_wait",
    "add_workers",
    "option_alias",
    "resolve_options",
    "run_sparse",
    "sparse_argv",
]


class _StoreDictAction(argparse.Action):
    """Stores ``key=value`` strings into one dict (``args.options``), values parsed as YAML-ish
    scalars (``1000``, ``true``, ``[a, b]``) the way ``sparse -o`` parses them."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        items = dict(getattr(namespace, self.dest, None) or {})
        key, sep, value = str(values).partition("=")
        if not sep or not key.strip():
            parser.error(f"{option_string} {values!r} is not key=value")
        items[key.strip()] = parse_option_value(value)
        setattr(namespace, self.dest, items)


def option_alias(option: str) -> Callable[[str], str]:
    """A type turning a flag's value into ``"option=value"`` for the options dict."""

    def to_pair(value: str) -> str:
        return f"{option}={value}"

    return to_pair


def _dict_flag(parser: argparse.ArgumentParser, *flags: str, option: str, **kwargs: Any) -> None:
    parser.add_argument(
        *flags, type=option_alias(option), action=_StoreDictAction, dest="options", **kwargs
    )


def add_ackers(parser: argparse.ArgumentParser) -> None:
    _dict_flag(parser, "-a", "--ackers", option="topology.acker.executors", help="acker executors")


def _config_file(text: str) -> str:
    """``--config``: the path of a readable file (streamparse opened it; the path is kept)."""
    if not os.path.isfile(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a file")
    return text


def add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=_config_file, help="path to config.json")


def add_debug(parser: argparse.ArgumentParser) -> None:
    _dict_flag(
        parser, "-d", "--debug", option="topology.debug", const="true", nargs="?",
        help="set topology.debug (and Python debug logging)",
    )  # fmt: skip


def add_environment(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-e", "--environment", help="environment in config.json's envs")


def add_name(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-n", "--name", help="topology to act on")


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o", "--option", dest="options", action=_StoreDictAction,
        help="Storm option key=value for the topology (repeatable)",
    )  # fmt: skip


def add_override_name(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-N", "--override_name", help="use this name instead of NAME")


def add_overwrite_virtualenv(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--overwrite_virtualenv", action="store_true", help="rebuild virtualenvs")


def add_pattern(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pattern", help="pattern of log files to operate on")


def add_pool_size(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pool_size", default=10, type=int, help="simultaneous SSH connections")


def add_requirements(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-r", "--requirements", nargs="*", help="pip requirements files")


def add_simple_jar(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-s", "--simple_jar", action="store_true", help="leave out JVM dependencies"
    )


def add_timeout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout", type=int, default=7000, help="milliseconds to wait for Nimbus (default 7000)"
    )


def add_user(parser: argparse.ArgumentParser, allow_short: bool = False) -> None:
    flags = ["-u", "--user"] if allow_short else ["--user"]
    _dict_flag(parser, *flags, option="sudo_user", default=None, help="sudo user on workers")


def add_wait(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait", type=int, default=5, help="seconds to wait before killing (default 5)"
    )


def add_workers(parser: argparse.ArgumentParser) -> None:
    _dict_flag(parser, "-w", "--workers", option="topology.workers", help="worker processes")


VIRTUALENV_OPTIONS = (
    "install_virtualenv",
    "use_virtualenv",
    "virtualenv_flags",
    "virtualenv_root",
    "virtualenv_name",
)


def resolve_options(
    cli_options: Mapping[str, Any] | None,
    env_config: Mapping[str, Any],
    topology_class: type,
    topology_name: str,
    local_only: bool = False,
) -> dict[str, Any]:
    """The topology options: CLI > ``Topology.config`` > the env's settings (streamparse's
    precedence), with the ``pystorm.log.*``, virtualenv, ``sudo_user``, ackers and workers
    defaults streamparse derived. Without ``local_only`` the worker list comes from Nimbus."""
    options: dict[str, Any] = dict(env_config.get("options") or {})
    if env_config.get("use_virtualenv", True) and env_config.get("virtualenv_root"):
        options["topology.python.path"] = os.path.join(
            str(env_config["virtualenv_root"]), topology_name, "bin", "python"
        )
    log = env_config.get("log") or {}
    for key, value in (
        ("path", log.get("path") or env_config.get("log_path")),
        ("file", log.get("file") or env_config.get("log_file")),
    ):
        if value:
            options[f"pystorm.log.{key}"] = value
    for key in ("max_bytes", "backup_count"):
        if isinstance(log.get(key), int):
            options[f"pystorm.log.{key}"] = log[key]
    if isinstance(log.get("level"), str):
        options["pystorm.log.level"] = log["level"].lower()
    options.update({k: env_config[k] for k in VIRTUALENV_OPTIONS if k in env_config})
    options["sudo_user"] = env_config.get("user")
    options.update(getattr(topology_class, "config", None) or {})
    options.update(cli_options or {})
    if options.get("topology.debug", False):
        options["pystorm.log.level"] = "debug"
    if local_only:
        options["storm.workers.list"] = []
    else:
        workers = options.get("storm.workers.list")
        if isinstance(workers, str):
            workers = workers.split(",")
        if not workers:
            from streamparse.util import get_storm_workers

            workers = get_storm_workers(dict(env_config))
        options["storm.workers.list"] = list(workers)
    count = len(options["storm.workers.list"]) or 1
    for key in ("topology.acker.executors", "topology.workers"):
        if options.get(key) is None:
            options[key] = count
    if options.get("sudo_user") is None:
        options["sudo_user"] = "root"
    return options


def sparse_argv(
    command: str,
    *,
    env_name: str | None = None,
    name: str | None = None,
    override_name: str | None = None,
    config_file: Any = None,
    options: Mapping[str, Any] | None = None,
    timeout: int | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """The ``sparse`` command line for streamparse-style arguments (no shell involved)."""
    argv = [command]
    if env_name:
        argv += ["-e", str(env_name)]
    if name:
        argv += ["-n", str(name)]
    if override_name:
        argv += ["-N", str(override_name)]
    if config_file is not None:
        argv += ["--config", str(getattr(config_file, "name", config_file))]
    for key, value in (options or {}).items():
        argv += ["-o", f"{key}={json.dumps(value, default=str)}"]
    if timeout is not None:
        if timeout <= 0:
            raise ConfigError(f"timeout must be a positive number of milliseconds, not {timeout}")
        argv += ["--timeout", f"{timeout}ms"]
    argv += list(extra)
    return argv


def run_sparse(argv: Sequence[str]) -> None:
    """Run stormbridge's ``sparse`` with ``argv``; a failure ends the script with its exit code
    (``sparse`` has printed why), as streamparse's commands did."""
    from stormbridge.cli.main import main

    code = main(list(argv))
    if code:
        raise SystemExit(code)
