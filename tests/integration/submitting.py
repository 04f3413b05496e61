"""Helpers of the tests that submit topologies to the session's real Storm cluster.

``sparse(config, *argv)`` runs the CLI in process against a project's ``config.json``,
``poll(what, check, deadline)`` waits until ``check()`` returns something truthy (a UI that
does not know a fresh topology yet counts as not yet), and ``kill_all(cluster, names)`` kills
the named topologies that are still alive (a test's clean-up, whatever happened).
``worker_log_lines(cluster, name)`` reads what the workers of topology ``name`` logged, and
``finished_lines(path)`` the whole lines of a file a component is still writing.
``write_project(root, cluster, files, options)`` writes a word-count project to submit.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from stormbridge.cli.main import main
from stormbridge.errors import UIError
from stormbridge.thrift.nimbus import NimbusClient

__all__ = [
    "finished_lines",
    "kill_all",
    "poll",
    "sparse",
    "worker_log_lines",
    "write_project",
]

REPO = Path(__file__).resolve().parents[2]


def write_project(
    root: Path,
    cluster: Any,
    files: Mapping[str, str],
    options: Mapping[str, Any] | None = None,
    *,
    repo_topologies: bool = False,
) -> Path:
    """A project in ``root`` to submit to ``cluster``; returns its config.json.

    The repository's ``src/`` (and, with ``repo_topologies``, its ``topologies/``), then
    ``files`` (path relative to ``root`` → text), an empty ``sink/``, and a config.json whose
    one env "it" names the cluster's Nimbus and UI with 1 worker, 1 acker, max.spout.pending
    1000, ``it.sink_dir`` = ``sink/`` and then ``options``.
    """
    shutil.copytree(REPO / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__"))
    if repo_topologies:
        shutil.copytree(REPO / "topologies", root / "topologies")
    else:
        (root / "topologies").mkdir()
    for name, text in files.items():
        (root / name).write_text(text)
    (root / "sink").mkdir()
    ui = urlsplit(str(cluster.ui_url))
    config = {
        "serializer": "json",
        "topology_specs": "topologies/",
        "envs": {
            "it": {
                "nimbus": cluster.nimbus,
                "ui.host": ui.hostname,
                "ui.port": ui.port,
                "options": {
                    "topology.workers": 1,
                    "topology.acker.executors": 1,
                    "topology.max.spout.pending": 1000,
                    "it.sink_dir": str(root / "sink"),
                    **(options or {}),
                },
            }
        },
    }
    path = root / "config.json"
    path.write_text(json.dumps(config))
    return path


def sparse(config: Path, *argv: str) -> int:
    """``sparse ARGV --config CONFIG`` in this process; its exit code."""
    return main([*argv, "--config", str(config)])


def poll(what: str, check: Callable[[], Any], deadline: float, interval: float = 3.0) -> Any:
    """Call ``check`` until it returns something truthy; fail after ``deadline`` seconds."""
    end = time.monotonic() + deadline
    last: Any = None
    while time.monotonic() < end:
        try:
            last = check()
        except UIError as exc:  # the UI may not know a fresh topology yet
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    pytest.fail(f"{what}: not reached within {deadline:g} s (last: {last!r})")


def kill_all(cluster: Any, names: Iterable[str]) -> None:
    """Kill (wait 0) those of ``names`` that run on ``cluster``."""
    with NimbusClient(cluster.nimbus_host, cluster.nimbus_port, timeout=30) as client:
        alive = {t.name for t in client.topologies()}
        for name in names:
            if name in alive:
                client.kill(name, wait_secs=0, wait=True, deadline=120)


def worker_log_lines(cluster: Any, name: str) -> Iterator[str]:
    """Every line of the worker logs of topology ``name`` on ``cluster``."""
    for log in cluster.worker_logs():
        if f"/{name}-" in str(log):
            yield from log.read_text(errors="replace").splitlines()


def finished_lines(path: Path) -> list[str]:
    """The non-blank lines of ``path`` up to its last newline (a component may be writing the
    next one)."""
    text = path.read_text()
    return [line for line in text[: text.rfind("\n") + 1].splitlines() if line.strip()]
