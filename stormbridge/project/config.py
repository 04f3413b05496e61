"""``config.json`` parsed once into typed, validated objects.

The file keeps streamparse's shape (``streamparse.md`` §3.4)::

    {
      "serializer": "json",                 # or "msgpack"; an env may override it
      "topology_specs": "topologies/",      # required
      "virtualenv_specs": "virtualenvs/",   # optional
      "envs": {                             # required, at least one
        "prod": {
          "nimbus": "host:6627",            # or "host" (port 6627), or a list of seeds
          "workers": ["w1", "w2"],
          "user": "storm", "ssh_password": null, "ssh_port": 22,
          "ssh_key": "~/.ssh/id_ed25519",   # optional; else ~/.ssh/config and the agent
          "sudo_user": null,                # run remote commands as this user (sudo)
          "use_ssh_for_nimbus": false,      # true: reach Nimbus through an SSH tunnel
          "use_virtualenv": true, "install_virtualenv": true,
          "virtualenv_root": "/data/virtualenvs", "virtualenv_name": null,
          "virtualenv_flags": "",
          "deploy": "ship",                 # optional: the jar carries virtualenvs/<name>.txt
          "log": {"path": "...", "file": "...", "max_bytes": 1000000,
                  "backup_count": 10, "level": "info"},
          "options": {"topology.max.spout.pending": 1000},
          "ui.port": 8080, "ui.host": "ui.example"
        }
      }
    }

:func:`load_config` reads and validates the file and raises :class:`ConfigError` naming the
file, the key and the fix. :meth:`ProjectConfig.select_env` applies streamparse's environment
auto-selection and the ``STREAMPARSE_NIMBUS`` override. Topology options (``-o`` parsing,
precedence) live in :mod:`stormbridge.project.options`, which builds on this module.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = [
    "CONFIG_FILE",
    "DEFAULT_NIMBUS_PORT",
    "DEFAULT_UI_PORT",
    "NIMBUS_ENV_VAR",
    "EnvConfig",
    "HostPort",
    "LogConfig",
    "ProjectConfig",
    "load_config",
    "parse_config",
    "parse_host_port",
]

CONFIG_FILE = "config.json"
DEFAULT_NIMBUS_PORT = 6627
DEFAULT_UI_PORT = 8080
NIMBUS_ENV_VAR = "STREAMPARSE_NIMBUS"
SERIALIZERS = ("json", "msgpack")
#: Values of an env's ``deploy``: ``ship`` = the topology carries its wheels (docs/deploy.md).
DEPLOY_MODES = ("ship",)

_ENV_KEYS = frozenset(
    {
        "nimbus",
        "workers",
        "user",
        "ssh_password",
        "ssh_port",
        "ssh_key",
        "use_ssh_for_nimbus",
        "use_virtualenv",
        "install_virtualenv",
        "virtualenv_root",
        "virtualenv_path",
        "virtualenv_name",
        "virtualenv_flags",
        "log",
        "log_path",
        "log_file",
        "options",
        "ui.port",
        "ui.host",
        "ui",
        "serializer",
        "sudo_user",
        "deploy",
    }
)
_TOP_KEYS = frozenset({"serializer", "topology_specs", "virtualenv_specs", "envs"})
_LOG_KEYS = frozenset({"path", "file", "max_bytes", "backup_count", "level"})
_LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "notset")


@dataclass(frozen=True)
class HostPort:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class LogConfig:
    """Python-side logging of the components, as ``pystorm.log.*`` options."""

    path: str | None = None
    file: str | None = None
    max_bytes: int | None = None
    backup_count: int | None = None
    level: str | None = None

    def storm_options(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("path", "file", "max_bytes", "backup_count", "level"):
            value = getattr(self, key)
            if value is not None:
                out[f"pystorm.log.{key}"] = value
        return out


@dataclass(frozen=True)
class EnvConfig:
    """One entry of ``envs``, validated."""

    name: str
    nimbus: tuple[HostPort, ...] = ()
    workers: tuple[str, ...] = ()
    user: str | None = None
    ssh_password: str | None = None
    ssh_port: int | None = None
    #: Private key file for SSH (not a streamparse key; ``sparse cluster env`` sets it).
    ssh_key: str | None = None
    #: Remote commands run as this user (``sudo -u``) when it differs from ``user``.
    sudo_user: str | None = None
    use_ssh_for_nimbus: bool = False
    use_virtualenv: bool = False
    install_virtualenv: bool = False
    virtualenv_root: str | None = None
    virtualenv_name: str | None = None
    virtualenv_flags: str | None = None
    log: LogConfig = field(default_factory=LogConfig)
    options: Mapping[str, Any] = field(default_factory=dict)
    ui_port: int = DEFAULT_UI_PORT
    ui_host: str | None = None
    serializer: str | None = None
    #: ``"ship"``: the jar carries the wheels of ``virtualenvs/<name>.txt`` and workers build
    #: the virtualenv at first start; ``None``: nothing is shipped.
    deploy: str | None = None
    #: Where :attr:`nimbus` came from: ``"config.json"`` or ``"$STREAMPARSE_NIMBUS"``.
    nimbus_source: str = "config.json"
    #: Things in the file that are accepted but do nothing here; the CLI prints them.
    warnings: tuple[str, ...] = ()

    def require_nimbus(self) -> tuple[HostPort, ...]:
        """The Nimbus seeds, or a :class:`ConfigError` saying how to set them."""
        if not self.nimbus:
            raise ConfigError(
                f"env {self.name!r} has no Nimbus: set envs.{self.name}.nimbus to "
                f'"host:port" in config.json, or export {NIMBUS_ENV_VAR}=host:port'
            )
        return self.nimbus

    @property
    def ui_url(self) -> str:
        """Base URL of the Storm UI: ``ui.host`` (or the first Nimbus host) and ``ui.port``."""
        host = self.ui_host
        if host is None:
            if not self.nimbus:
                raise ConfigError(
                    f"env {self.name!r} names no Storm UI host: set envs.{self.name}.ui.host "
                    f"(or envs.{self.name}.nimbus, whose host is the default) in config.json"
                )
            host = self.nimbus[0].host
        if host.startswith(("http://", "https://")):
            return host.rstrip("/")  # a full base URL: used as given, port included
        return f"http://{_bracket(host)}:{self.ui_port}"

    def virtualenv_python(self, topology_name: str) -> str | None:
        """``<virtualenv_root>/<virtualenv_name or topology_name>/bin/python`` when
        ``use_virtualenv`` is set, else ``None``."""
        if not self.use_virtualenv:
            return None
        if not self.virtualenv_root:
            raise ConfigError(
                f"env {self.name!r} sets use_virtualenv but no virtualenv_root: set "
                f"envs.{self.name}.virtualenv_root in config.json (the directory holding the "
                "virtualenvs on the worker hosts), or set use_virtualenv to false"
            )
        venv = self.virtualenv_name or topology_name
        return f"{self.virtualenv_root.rstrip('/')}/{venv}/bin/python"

    def requirements_name(self, topology_name: str) -> str:
        """The ``virtualenvs/<name>.txt`` that names this env's packages."""
        return self.virtualenv_name or topology_name


@dataclass(frozen=True)
class ProjectConfig:
    """The whole ``config.json``, validated; ``path`` is the file it came from."""

    path: Path
    topology_specs: str
    serializer: str = "json"
    virtualenv_specs: str | None = None
    envs: Mapping[str, EnvConfig] = field(default_factory=dict)
    #: Unknown top-level keys; the CLI prints them.
    warnings: tuple[str, ...] = ()

    @property
    def root(self) -> Path:
        """The project directory: the one holding ``config.json``."""
        return self.path.parent

    @property
    def topologies_dir(self) -> Path:
        return (self.root / self.topology_specs).resolve()

    @property
    def virtualenvs_dir(self) -> Path | None:
        if self.virtualenv_specs is None:
            return None
        return (self.root / self.virtualenv_specs).resolve()

    def select_env(
        self, name: str | None = None, *, environ: Mapping[str, str] | None = None
    ) -> EnvConfig:
        """The env called ``name``; with ``None``, the only env if there is exactly one.

        ``environ`` (default :data:`os.environ`) may carry ``STREAMPARSE_NIMBUS``, which
        replaces the env's ``nimbus``.
        """
        names = sorted(self.envs)
        if name is None:
            if len(names) == 1:
                env = self.envs[names[0]]
            elif not names:
                raise ConfigError(
                    f"{self.path}: envs is empty: add an environment, e.g. "
                    '"envs": {"local": {"nimbus": "127.0.0.1:6627"}}'
                )
            else:
                raise ConfigError(
                    f"{self.path} defines several environments ({', '.join(names)}): "
                    "choose one with -e/--environment"
                )
        elif name in self.envs:
            env = self.envs[name]
        else:
            hint = _did_you_mean(name, names)
            raise ConfigError(
                f"no environment {name!r} in {self.path}{hint}; "
                f"known environments: {', '.join(names) or '(none)'}"
            )
        environ = os.environ if environ is None else environ
        override = environ.get(NIMBUS_ENV_VAR, "").strip()
        if override:
            seeds = _parse_nimbus(override, where=f"${NIMBUS_ENV_VAR}", path=None)
            env = replace(env, nimbus=seeds, nimbus_source=f"${NIMBUS_ENV_VAR}")
        return env

    def serializer_for(self, env: EnvConfig) -> str:
        return env.serializer or self.serializer


# --------------------------------------------------------------------------- loading


def load_config(path: str | os.PathLike[str]) -> ProjectConfig:
    """Read and validate ``config.json`` at ``path``."""
    p = Path(path).absolute()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{p} does not exist: run sparse inside a project (one with a config.json; "
            "`sparse quickstart NAME` creates one) or pass --config PATH"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {p}: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{p} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}; "
            "fix the file (JSON allows no comments or trailing commas)"
        ) from None
    return parse_config(data, path=p)


def parse_config(data: Any, *, path: Path) -> ProjectConfig:
    """Validate an already-decoded ``config.json`` document."""
    if not isinstance(data, dict):
        raise _bad(path, "(top level)", "must be a JSON object", data)
    if "topology_specs" not in data:
        raise ConfigError(
            f'{path}: missing required key "topology_specs": add "topology_specs": '
            '"topologies/" (the folder holding your topology files)'
        )
    topology_specs = _str(data, "topology_specs", path, "topology_specs")
    if topology_specs is None or not topology_specs.strip():
        raise _bad(
            path, "topology_specs", "must be a non-empty folder path", data["topology_specs"]
        )
    virtualenv_specs = _str(data, "virtualenv_specs", path, "virtualenv_specs")
    serializer = _serializer(data, path, "serializer") or "json"
    if "envs" not in data:
        raise ConfigError(
            f'{path}: missing required key "envs": add at least one environment, e.g. '
            '"envs": {"local": {"nimbus": "127.0.0.1:6627"}}'
        )
    envs_raw = data["envs"]
    if not isinstance(envs_raw, dict):
        raise _bad(path, "envs", "must be an object mapping env names to settings", envs_raw)
    envs = {name: _parse_env(name, raw, path) for name, raw in envs_raw.items()}
    warnings = tuple(
        f"{path}: {key} is not a known top-level setting and is ignored"
        f"{_did_you_mean(key, sorted(_TOP_KEYS))}"
        for key in sorted(set(data) - _TOP_KEYS)
    )
    return ProjectConfig(
        warnings=warnings,
        path=path,
        topology_specs=topology_specs,
        serializer=serializer,
        virtualenv_specs=virtualenv_specs,
        envs=envs,
    )


def _parse_env(name: str, raw: Any, path: Path) -> EnvConfig:
    where = f"envs.{name}"
    if not isinstance(raw, dict):
        raise _bad(path, where, "must be an object", raw)
    warnings: list[str] = []
    for key in sorted(set(raw) - _ENV_KEYS):
        hint = _did_you_mean(key, sorted(_ENV_KEYS))
        warnings.append(f"{path}: {where}.{key} is not a known setting and is ignored{hint}")

    nimbus: tuple[HostPort, ...] = ()
    raw_nimbus = raw.get("nimbus")
    if raw_nimbus is not None and raw_nimbus != "" and raw_nimbus != []:
        if isinstance(raw_nimbus, list):
            if not all(isinstance(s, str) for s in raw_nimbus):
                raise _bad(
                    path, f"{where}.nimbus", 'must be a list of "host[:port]" strings', raw_nimbus
                )
            nimbus = tuple(
                _parse_nimbus(s, where=f"{where}.nimbus", path=path)[0] for s in raw_nimbus
            )
        elif isinstance(raw_nimbus, str):
            nimbus = _parse_nimbus(raw_nimbus, where=f"{where}.nimbus", path=path)
        else:
            raise _bad(
                path, f"{where}.nimbus", 'must be "host", "host:port" or a list of them', raw_nimbus
            )

    workers_raw = raw.get("workers")
    workers: tuple[str, ...] = ()
    if isinstance(workers_raw, str):
        workers = tuple(w.strip() for w in workers_raw.split(",") if w.strip())
    elif isinstance(workers_raw, list) and all(isinstance(w, str) for w in workers_raw):
        workers = tuple(w for w in workers_raw if w)
    elif workers_raw is not None:
        raise _bad(path, f"{where}.workers", "must be a list of worker host names", workers_raw)

    use_ssh = _bool(raw, "use_ssh_for_nimbus", path, where, default=False)
    venv_root = _str(raw, "virtualenv_root", path, f"{where}.virtualenv_root")
    if venv_root is None:
        venv_root = _str(raw, "virtualenv_path", path, f"{where}.virtualenv_path")
    # streamparse defaults use_virtualenv to true (and then needs virtualenv_root); here it
    # defaults to true only when a virtualenv_root is given.
    use_venv = _bool(raw, "use_virtualenv", path, where, default=bool(venv_root))
    # As streamparse: install_virtualenv defaults to use_virtualenv (`sparse submit` then
    # builds the virtualenv on every worker host over SSH, stormbridge.deploy).
    install_venv = _bool(raw, "install_virtualenv", path, where, default=use_venv)
    deploy = _str(raw, "deploy", path, f"{where}.deploy")
    if deploy is not None and deploy not in DEPLOY_MODES:
        raise _bad(
            path,
            f"{where}.deploy",
            'must be "ship" (the topology carries the wheels of virtualenvs/<name>.txt and '
            "workers build the virtualenv) or be left out",
            deploy,
        )
    options = raw.get("options", {})
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise _bad(path, f"{where}.options", "must be an object of Storm settings", options)

    ui = raw.get("ui")
    if ui is not None and not isinstance(ui, dict):
        raise _bad(path, f"{where}.ui", 'must be an object like {"host": ..., "port": ...}', ui)
    ui = ui or {}
    ui_port = _int(raw, "ui.port", path, f"{where}.ui.port")
    if ui_port is None:
        ui_port = _int(ui, "port", path, f"{where}.ui.port")
    ui_host = _str(raw, "ui.host", path, f"{where}.ui.host")
    if ui_host is None:
        ui_host = _str(ui, "host", path, f"{where}.ui.host")

    return EnvConfig(
        name=name,
        nimbus=nimbus,
        workers=workers,
        user=_str(raw, "user", path, f"{where}.user"),
        ssh_password=_str(raw, "ssh_password", path, f"{where}.ssh_password"),
        ssh_port=_int(raw, "ssh_port", path, f"{where}.ssh_port"),
        ssh_key=_str(raw, "ssh_key", path, f"{where}.ssh_key") or None,
        sudo_user=_str(raw, "sudo_user", path, f"{where}.sudo_user") or None,
        use_ssh_for_nimbus=use_ssh,
        use_virtualenv=use_venv,
        install_virtualenv=install_venv,
        virtualenv_root=venv_root or None,
        virtualenv_name=_str(raw, "virtualenv_name", path, f"{where}.virtualenv_name") or None,
        virtualenv_flags=_str(raw, "virtualenv_flags", path, f"{where}.virtualenv_flags"),
        log=_parse_log(raw, path, where),
        options=dict(options),
        ui_port=DEFAULT_UI_PORT if ui_port is None else ui_port,
        ui_host=ui_host or None,
        serializer=_serializer(raw, path, f"{where}.serializer"),
        deploy=deploy,
        warnings=tuple(warnings),
    )


def _parse_log(raw: dict[str, Any], path: Path, where: str) -> LogConfig:
    log = raw.get("log")
    if log is None:
        log = {}
    if not isinstance(log, dict):
        raise _bad(
            path,
            f"{where}.log",
            "must be an object with path/file/max_bytes/backup_count/level",
            log,
        )
    unknown = sorted(set(log) - _LOG_KEYS)
    if unknown:
        raise ConfigError(
            f"{path}: {where}.log.{unknown[0]} is not a log setting; "
            f"use {', '.join(sorted(_LOG_KEYS))}"
        )
    level = _str(log, "level", path, f"{where}.log.level")
    if level is not None:
        level = level.lower()
        if level not in _LOG_LEVELS:
            raise _bad(
                path, f"{where}.log.level", f"must be one of {', '.join(_LOG_LEVELS)}", log["level"]
            )
    log_path = _str(log, "path", path, f"{where}.log.path")
    if log_path is None:
        log_path = _str(raw, "log_path", path, f"{where}.log_path")
    log_file = _str(log, "file", path, f"{where}.log.file")
    if log_file is None:
        log_file = _str(raw, "log_file", path, f"{where}.log_file")
    return LogConfig(
        path=log_path or None,
        file=log_file or None,
        max_bytes=_int(log, "max_bytes", path, f"{where}.log.max_bytes"),
        backup_count=_int(log, "backup_count", path, f"{where}.log.backup_count"),
        level=level,
    )


_HOST_RE = re.compile(r"^[A-Za-z0-9._-]+$")


def parse_host_port(text: str, *, default_port: int, what: str = "address") -> HostPort:
    """``host``, ``host:port`` or ``[v6]:port`` → :class:`HostPort`; :class:`ConfigError` else."""
    text = text.strip()
    host, port_text = text, ""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ConfigError(f"{what}: {text!r} has an unclosed '['")
        host, rest = text[1:end], text[end + 1 :]
        if rest and not rest.startswith(":"):
            raise ConfigError(f"{what}: {text!r} is not [ipv6]:port")
        port_text = rest[1:]
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    elif text.count(":") > 1:
        raise ConfigError(f"{what}: write IPv6 addresses as [addr]:port, not {text!r}")
    if not host or (not text.startswith("[") and not _HOST_RE.match(host)):
        raise ConfigError(f"{what}: {text!r} is not a host name or host:port")
    port = default_port
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigError(f"{what}: port {port_text!r} in {text!r} is not a number 1-65535")
        port = int(port_text)
    return HostPort(host, port)


def _parse_nimbus(text: str, *, where: str, path: Path | None) -> tuple[HostPort, ...]:
    parts = [p for p in text.split(",") if p.strip()]
    prefix = f"{path}: {where}" if path else where
    if not parts:
        raise ConfigError(f'{prefix}: empty Nimbus address; use "host:port"')
    return tuple(parse_host_port(p, default_port=DEFAULT_NIMBUS_PORT, what=prefix) for p in parts)


# --------------------------------------------------------------------------- helpers


def _type_name(value: Any) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), "?")


def _bad(path: Path, key: str, problem: str, value: Any) -> ConfigError:
    shown = json.dumps(value)[:60] if _type_name(value) != "?" else repr(value)
    return ConfigError(f"{path}: {key} {problem}, not {_type_name(value)} ({shown}); fix {path}")


def _str(raw: Mapping[str, Any], key: str, path: Path, where: str) -> str | None:
    value = raw.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _bad(path, where, "must be a string", value)


def _int(raw: Mapping[str, Any], key: str, path: Path, where: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(path, where, "must be an integer", value)
    return value


def _bool(raw: Mapping[str, Any], key: str, path: Path, where: str, *, default: bool) -> bool:
    value = raw.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _bad(path, f"{where}.{key}", "must be true or false", value)
    return value


def _serializer(raw: Mapping[str, Any], path: Path, where: str) -> str | None:
    value = raw.get("serializer")
    if value is None:
        return None
    if value not in SERIALIZERS:
        raise _bad(path, where, 'must be "json" or "msgpack"', value)
    return str(value)


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host
