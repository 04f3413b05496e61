"""docker/ stays in step with the local cluster: same Storm version, storm.yaml rendered by
stormbridge (no second hand-written one), every role, ports config.json's docker env uses."""

from __future__ import annotations

import json
import re
from pathlib import Path

from stormbridge.storm import DEFAULT_STORM_VERSION
from stormbridge.storm.config import ClusterSpec
from stormbridge.storm.container import ROLES

REPO = Path(__file__).resolve().parents[3]
DOCKER = REPO / "docker"


def compose_services() -> dict[str, str]:
    """Service name → its block of docker-compose.yml (two-space indented keys)."""
    text = (DOCKER / "docker-compose.yml").read_text()
    body = text.split("\nservices:\n", 1)[1].split("\nvolumes:", 1)[0]
    blocks = re.split(r"\n(?=  [a-z][\w-]*:\n)", "\n" + body)
    out: dict[str, str] = {}
    for block in blocks:
        match = re.match(r"\n?  ([a-z][\w-]*):\n", block)
        if match:
            out[match.group(1)] = block
    return out


def test_every_role_is_a_service_running_sparse_container() -> None:
    services = compose_services()
    assert set(services) == set(ROLES)
    for name, block in services.items():
        assert "<<: *storm" in block, name
        assert f'command: ["{name}"]' in block, name
    assert 'ENTRYPOINT ["sparse", "container"]' in (DOCKER / "Dockerfile").read_text()


def test_no_hand_written_storm_yaml_and_nothing_published_beyond_loopback() -> None:
    assert not list(DOCKER.glob("*.yaml")), "storm.yaml is rendered by `sparse container`"
    compose = (DOCKER / "docker-compose.yml").read_text()
    assert "storm.yaml" not in re.sub(r"#.*", "", compose)
    assert "\n  network_mode: host\n" in compose  # in the x-storm anchor every service merges
    published = re.findall(r"^\s+- \"?([\d.]*:?\d+:\d+)", compose, flags=re.M)
    assert all(p.startswith("127.0.0.1:") for p in published), published


def test_same_storm_version_as_the_pinned_one() -> None:
    compose = (DOCKER / "docker-compose.yml").read_text()
    assert set(re.findall(r"image: \S+:(\S+)", compose)) == {DEFAULT_STORM_VERSION}
    assert re.findall(r'STORM_VERSION: "(\S+)"', compose) == [DEFAULT_STORM_VERSION]
    dockerfile = (DOCKER / "Dockerfile").read_text()
    assert re.findall(r"ARG STORM_VERSION=(\S+)", dockerfile) == [DEFAULT_STORM_VERSION]


def test_config_json_docker_env_points_at_the_clusters_default_ports() -> None:
    env = json.loads((REPO / "config.json").read_text())["envs"]["docker"]
    ports = ClusterSpec(state_dir=Path("/s")).ports
    assert env["nimbus"] == f"127.0.0.1:{ports.nimbus}"
    assert env["ui.port"] == ports.ui
