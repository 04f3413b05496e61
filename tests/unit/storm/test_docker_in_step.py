"""docker/ stays in step with the local cluster: same Storm version, same storm.yaml keys."""

from __future__ import annotations

import json
import re
from pathlib import Path

from stormbridge.storm import DEFAULT_STORM_VERSION
from stormbridge.storm.config import ClusterSpec, render_storm_yaml

DOCKER = Path(__file__).resolve().parents[3] / "docker"

#: Keys only a single-host cluster needs (docker uses service names and its own DNS).
HOST_ONLY = {"storm.local.hostname", "dev.zookeeper.path"}


def keys(text: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition(": ")
            out[key] = json.loads(value)
    return out


def test_same_storm_yaml_keys_as_the_local_cluster(tmp_path: Path) -> None:
    local = keys(
        render_storm_yaml(ClusterSpec(state_dir=tmp_path, loopback_thrift=False), "nimbus")
    )
    docker = keys((DOCKER / "storm.yaml").read_text())
    assert set(local) - HOST_ONLY == set(docker)
    for key in (
        "supervisor.run.worker.as.user",
        "worker.heap.memory.mb",
        "nimbus.childopts",
        "supervisor.slots.ports",
        "nimbus.thrift.port",
        "topology.stats.sample.rate",
    ):
        assert docker[key] == local[key], key  # fmt: skip


def test_same_storm_version_as_the_pinned_one() -> None:
    compose = (DOCKER / "docker-compose.yml").read_text()
    images = set(re.findall(r"image: (storm:\S+)", compose))
    assert images == {f"storm:{DEFAULT_STORM_VERSION}"}
    assert "python -m stormbridge.ui" in (DOCKER / "Dockerfile.ui").read_text().replace(
        '["python", "-m", "stormbridge.ui"]', "python -m stormbridge.ui"
    )
