"""streamparse's submit hooks: ``pre_submit``/``post_submit`` in ``fabfile.py`` and ``tasks.py``.

As in streamparse, each hook is called as ``hook(topology_name, env_name, env_config, options)``
(``env_config``: the env's object from ``config.json`` as written; ``options``: the resolved
topology conf), ``pre_submit`` before the jar is built and the virtualenvs deployed,
``post_submit`` after the topology was submitted and the Nimbus tunnel closed. Both files are
optional, read from the project folder (which is on ``sys.path`` while they load, so they can
import the project's modules); a hook that is an invoke/Fabric ``@task`` is called through its
``body``. A hook that raises stops the command with a :class:`DeployError` naming file and hook.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import DeployError

__all__ = ["HOOK_FILES", "run_hooks"]

HOOK_FILES = ("tasks.py", "fabfile.py")
STAGES = ("pre_submit", "post_submit")


def env_config_dict(config_path: Path, env_name: str) -> dict[str, Any]:
    """The env's object as written in ``config.json`` (what streamparse passes to hooks)."""
    try:
        data = json.loads(config_path.read_text(encoding="utf-8"))
        env = data["envs"][env_name]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return dict(env) if isinstance(env, dict) else {}


def run_hooks(
    stage: str,
    project_root: Path,
    topology_name: str,
    env_name: str,
    env_config: Mapping[str, Any],
    options: Mapping[str, Any],
) -> list[str]:
    """Call ``stage`` from each hook file of ``project_root`` that defines it; return
    ``"file:stage"`` for each hook called."""
    if stage not in STAGES:
        raise ValueError(f"unknown hook stage {stage!r}")
    called: list[str] = []
    for filename in HOOK_FILES:
        path = project_root / filename
        if not path.is_file():
            continue
        module = _load(path, project_root)
        hook = getattr(module, stage, None)
        if hook is None:
            continue
        func = getattr(hook, "body", hook)  # invoke/Fabric @task objects keep the function here
        if not callable(func):
            raise DeployError(f"{path}: {stage} is not a function")
        try:
            func(topology_name, env_name, dict(env_config), dict(options))
        except Exception as exc:
            raise DeployError(
                f"the {stage} hook in {path} failed: {type(exc).__name__}: {exc}"
            ) from exc
        called.append(f"{filename}:{stage}")
    return called


def _load(path: Path, root: Path) -> Any:
    name = f"_stormbridge_hooks_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise DeployError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    added = str(root) not in sys.path
    if added:
        sys.path.insert(0, str(root))
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise DeployError(
            f"cannot load the hooks in {path}: {type(exc).__name__}: {exc}; fix the file "
            f"(or remove it: {path.name} is optional)"
        ) from exc
    finally:
        if added:
            sys.path.remove(str(root))
    return module
