"""Shared fixtures for CLI tests: a throw-away project with a config.json."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """Write ``config.json`` (``envs`` given) and empty topologies/ + src/; return config path."""

    def make(envs: dict[str, Any], **top: Any) -> Path:
        root = tmp_path / "proj"
        (root / "topologies").mkdir(parents=True, exist_ok=True)
        (root / "src").mkdir(exist_ok=True)
        data = {"topology_specs": "topologies/", "envs": envs, **top}
        path = root / "config.json"
        path.write_text(json.dumps(data))
        return path

    return make
