"""streamparse's ``streamparse.util`` helpers that user scripts and fabfiles import, as thin
wrappers over :mod:`stormbridge.project.config` and :mod:`stormbridge.project.loader`.

What differs from streamparse:

* Errors raise :class:`stormbridge.errors.ConfigError` (with the file, key and fix) instead of
  printing and calling ``sys.exit``; ``config.json`` is validated.
* Nothing is cached in module globals: every call reads ``config.json`` again.
* ``config_file`` may be a file-like object (as in streamparse), a path, or ``None``
  (``config.json`` in the current folder or the nearest folder above it).
* :func:`get_nimbus_host_port` does not write ``STREAMPARSE_NIMBUS`` back into ``env_config``.
* :func:`activate_env` returns a dict with the values streamparse put into Fabric's global
  ``env`` (Fabric is not used); no SSH settings.
* :func:`get_nimbus_client` returns a :class:`stormbridge.thrift.nimbus.NimbusClient`
  connected to the leader, not a raw thriftpy client; ``timeout`` stays in milliseconds.
* No SSH tunnels: ``use_ssh_for_nimbus`` is accepted and ignored.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn, Union

from stormbridge.errors import ConfigError
from stormbridge.project.config import (
    CONFIG_FILE,
    DEFAULT_NIMBUS_PORT,
    NIMBUS_ENV_VAR,
    ProjectConfig,
    parse_config,
    parse_host_port,
)
from stormbridge.project.loader import Project, find_project_root, load_topology_file

if TYPE_CHECKING:
    from stormbridge.thrift.nimbus import NimbusClient

#: A file-like object holding config.json, its path, or None (the nearest config.json).
ConfigFile = Union[IO[str], str, "os.PathLike[str]", None]

__all__ = [
    "activate_env",
    "die",
    "get_config",
    "get_env_config",
    "get_nimbus_client",
    "get_nimbus_config",
    "get_nimbus_host_port",
    "get_storm_workers",
    "get_topology_definition",
    "get_topology_from_file",
    "get_ui_json",
    "get_ui_jsons",
    "is_ssh_for_nimbus",
    "nimbus_storm_version",
    "warn",
]


def _read(config_file: ConfigFile) -> tuple[dict[str, Any], Path]:
    if config_file is None:
        path = find_project_root() / CONFIG_FILE
        source: Any = None
    elif isinstance(config_file, str | os.PathLike):
        path = Path(config_file).absolute()
        source = None
    else:
        path = Path(getattr(config_file, "name", CONFIG_FILE)).absolute()
        source = config_file
    try:
        if source is None:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        else:
            data = json.load(source)
    except FileNotFoundError:
        raise ConfigError(f"{path} does not exist: run inside a streamparse project") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    return data, path


def _validated(config_file: ConfigFile) -> tuple[dict[str, Any], ProjectConfig]:
    data, path = _read(config_file)
    return data, parse_config(data, path=path)


def get_config(config_file: ConfigFile = None) -> dict[str, Any]:
    """The parsed (and validated) ``config.json`` as a plain dict."""
    data, _ = _validated(config_file)
    return data


def get_env_config(
    env_name: str | None = None, config_file: ConfigFile = None
) -> tuple[str, dict[str, Any]]:
    """``(env_name, env_config dict)``; the only env when ``env_name`` is ``None``."""
    data, config = _validated(config_file)
    env = config.select_env(env_name, environ={})
    return env.name, dict(data["envs"][env.name])


def get_topology_definition(
    topology_name: str | None = None,
    config_file: ConfigFile = None,
) -> tuple[str, str]:
    """``(topology_name, path of its file)``; the only topology when the name is ``None``."""
    from stormbridge.project.loader import topology_file

    _, config = _validated(config_file)
    path = topology_file(Project(config), topology_name)
    return path.stem, str(path)


def get_topology_from_file(topology_file: str | os.PathLike[str]) -> type[Any]:
    """The Topology class defined in ``topology_file``.

    Inside a project (a ``config.json`` at or above the file's folder) the file must be in its
    topology_specs folder; without one, the file's folder and ``../src`` are importable while
    it loads, as in streamparse.
    """
    return load_topology_file(topology_file)


def get_nimbus_host_port(env_config: dict[str, Any]) -> tuple[str, int]:
    """``(host, port)`` of Nimbus: ``$STREAMPARSE_NIMBUS``, else the env's ``nimbus`` (the
    first seed when it is a list)."""
    value: Any = os.environ.get(NIMBUS_ENV_VAR) or env_config.get("nimbus")
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str):
        value = value.split(",")[0]
    if not value:
        raise ConfigError(
            f"no Nimbus configured: set the env's nimbus in config.json or ${NIMBUS_ENV_VAR}"
        )
    address = parse_host_port(str(value), default_port=DEFAULT_NIMBUS_PORT, what="nimbus")
    return address.host, address.port


def get_nimbus_client(
    env_config: dict[str, Any] | None = None,
    host: str | None = None,
    port: int | None = None,
    timeout: int = 7000,
) -> NimbusClient:
    """A :class:`~stormbridge.thrift.nimbus.NimbusClient` for the env's (or the given) Nimbus;
    ``timeout`` in milliseconds, as in streamparse."""
    from stormbridge.thrift.nimbus import NimbusClient

    if host is None:
        host, port = get_nimbus_host_port(env_config or {})
    seconds = max(timeout, 1) / 1000.0
    return NimbusClient(host, port or DEFAULT_NIMBUS_PORT, timeout=seconds, connect_timeout=seconds)


def get_storm_workers(env_config: dict[str, Any]) -> list[str]:
    """The env's ``workers``; when empty, the supervisor hosts Nimbus reports."""
    workers = env_config.get("workers")
    if isinstance(workers, str):
        workers = [w.strip() for w in workers.split(",") if w.strip()]
    if workers:
        return list(workers)
    with get_nimbus_client(env_config) as client:
        return [s.host for s in client.cluster_summary().supervisors]


def activate_env(
    env_name: str | None = None,
    options: dict[str, Any] | None = None,
    config_file: ConfigFile = None,
) -> dict[str, Any]:
    """What streamparse's ``activate_env`` put into Fabric's ``env``, as a dict:
    ``storm_workers``, ``user``, ``log_path``, ``virtualenv_root``."""
    name, env_config = get_env_config(env_name, config_file=config_file)
    if options and options.get("storm.workers.list"):
        workers = list(options["storm.workers.list"])
    else:
        workers = get_storm_workers(env_config)
    log = env_config.get("log") or {}
    return {
        "env_name": name,
        "storm_workers": workers,
        "user": env_config.get("user"),
        "log_path": env_config.get("log_path") or log.get("path"),
        "virtualenv_root": env_config.get("virtualenv_root") or env_config.get("virtualenv_path"),
    }


def die(msg: str, error_code: int = 1) -> NoReturn:
    """Print ``msg`` to stderr and end the script with ``error_code`` (for fabfiles/scripts)."""
    print(msg, file=sys.stderr)
    raise SystemExit(error_code)


def warn(msg: str, error_code: int = 1) -> None:
    """Print ``msg`` to stderr (``error_code`` is accepted for streamparse's signature)."""
    print(msg, file=sys.stderr)


def is_ssh_for_nimbus(env_config: dict[str, Any]) -> bool:
    """The env's ``use_ssh_for_nimbus`` (default True, as in streamparse; stormbridge reaches
    Nimbus directly either way)."""
    return bool(env_config.get("use_ssh_for_nimbus", True))


def get_nimbus_config(env_config: dict[str, Any]) -> dict[str, Any]:
    """Nimbus's own configuration (``getNimbusConf``), read fresh on every call."""
    with get_nimbus_client(env_config) as client:
        return client.nimbus_conf()


def nimbus_storm_version(nimbus_client: NimbusClient) -> str:
    """The Storm version the leader Nimbus reports, or ``"0.0.0"`` when it reports none
    (a string; streamparse returned a ``pkg_resources`` Version)."""
    for nimbus in nimbus_client.cluster_summary().nimbuses:
        version = getattr(nimbus, "version", None)
        if version and version != "VERSION_NOT_PROVIDED":
            return str(version)
    return "0.0.0"


def get_ui_jsons(
    env_name: str | None, api_paths: list[str], config_file: ConfigFile = None
) -> dict[str, Any]:
    """``{api_path: decoded JSON}`` from the env's Storm UI (paths like
    ``/api/v1/topology/summary``); an error answer raises ``UIError``."""
    from stormbridge.ui.client import UIClient

    _, config = _validated(config_file)
    env = config.select_env(env_name, environ={})
    client = UIClient(env.ui_url)
    result: dict[str, Any] = {}
    for api_path in api_paths:
        path = api_path.split("/api/v1/", 1)[-1] if "/api/v1/" in api_path else api_path
        result[api_path] = client.request(path)
    return result


def get_ui_json(env_name: str | None, api_path: str, config_file: ConfigFile = None) -> Any:
    """The decoded JSON of one Storm UI API path (see :func:`get_ui_jsons`)."""
    return get_ui_jsons(env_name, [api_path], config_file=config_file)[api_path]
