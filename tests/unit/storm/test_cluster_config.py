"""storm.yaml / zoo.cfg rendering, ports and validation of a local cluster (pure)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stormbridge.errors import ConfigError
from stormbridge.storm.config import ClusterSpec, Heaps, render_storm_yaml, render_zoo_cfg


def parse_yaml(text: str) -> dict[str, Any]:
    """Our storm.yaml is `key: <json>` lines: parse it that strictly (any other shape fails)."""
    out: dict[str, Any] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(": ")
        assert sep, f"not a `key: value` line: {line!r}"
        key = json.loads(key) if key.startswith('"') else key
        assert key not in out, f"duplicate key {key}"
        out[key] = json.loads(value)
    return out


def test_default_ports_are_storms() -> None:
    ports = ClusterSpec(state_dir=Path("/s")).ports
    assert (ports.zookeeper, ports.nimbus, ports.ui, ports.logviewer) == (2181, 6627, 8080, 8000)
    assert ports.supervisor_thrift == (6628,)
    assert ports.slots == ((6700, 6701),)


def test_offset_moves_every_port_and_supervisors_get_their_own() -> None:
    spec = ClusterSpec(state_dir=Path("/s"), supervisors=3, slots=2, port_offset=20000)
    ports = spec.ports
    assert ports.nimbus == 26627
    assert ports.zookeeper == 22181
    assert ports.supervisor_thrift == (26628, 26641, 26642)
    assert ports.slots == ((26700, 26701), (26702, 26703), (26704, 26705))
    assert len(set(ports.all())) == len(ports.all())


def test_supervisor_yaml_has_its_own_ports_and_local_dir(tmp_path: Path) -> None:
    spec = ClusterSpec(
        state_dir=tmp_path, supervisors=2, slots=3, port_offset=100, metrics_secs=5, sample_rate=1
    )
    nimbus = parse_yaml(render_storm_yaml(spec, "nimbus"))
    sup1 = parse_yaml(render_storm_yaml(spec, "supervisor-1"))
    assert nimbus["storm.local.dir"] == str(tmp_path / "data" / "nimbus")
    assert sup1["storm.local.dir"] == str(tmp_path / "data" / "supervisor-1")
    assert sup1["supervisor.slots.ports"] == [6803, 6804, 6805]
    assert sup1["supervisor.thrift.port"] == 6741
    for conf in (nimbus, sup1):
        assert conf["storm.local.hostname"] == "127.0.0.1"
        assert conf["nimbus.seeds"] == ["127.0.0.1"]
        assert conf["storm.zookeeper.servers"] == ["127.0.0.1"]
        assert conf["storm.zookeeper.port"] == 2281
        assert conf["nimbus.thrift.port"] == 6727
        assert conf["executor.metrics.frequency.secs"] == 5
        assert conf["topology.stats.sample.rate"] == 1.0
        assert conf["supervisor.run.worker.as.user"] is False
        assert conf["storm.log.dir"] == str(tmp_path / "logs")


def test_heaps_and_extra_conf_replace_template_keys(tmp_path: Path) -> None:
    spec = ClusterSpec(
        state_dir=tmp_path,
        heaps=Heaps(nimbus=300, worker=400),
        extra_conf={"topology.stats.sample.rate": 0.5, "my.key": {"a": [1, "x"]}},
    )
    conf = parse_yaml(render_storm_yaml(spec, "nimbus"))  # also asserts no duplicate key
    assert conf["nimbus.childopts"] == "-Xmx300m"
    assert conf["worker.heap.memory.mb"] == 400
    assert conf["worker.childopts"].startswith("-Xmx%HEAP-MEM%m -Xlog:gc*:file=artifacts/gc.log")
    assert conf["topology.stats.sample.rate"] == 0.5
    assert conf["my.key"] == {"a": [1, "x"]}


def test_strings_that_look_like_yaml_stay_strings(tmp_path: Path) -> None:
    spec = ClusterSpec(state_dir=tmp_path / "no: yes # not a comment", extra_conf={"k": "on"})
    conf = parse_yaml(render_storm_yaml(spec, "nimbus"))
    assert conf["k"] == "on"
    assert conf["storm.local.dir"].endswith("no: yes # not a comment/data/nimbus")


def test_zoo_cfg_binds_loopback_without_admin_server(tmp_path: Path) -> None:
    spec = ClusterSpec(state_dir=tmp_path, port_offset=5)
    cfg = dict(
        line.split("=", 1)
        for line in render_zoo_cfg(spec).splitlines()
        if line and not line.startswith("#")
    )
    assert cfg["clientPort"] == "2186"
    assert cfg["clientPortAddress"] == "127.0.0.1"
    assert cfg["admin.enableServer"] == "false"
    assert cfg["dataDir"] == str(tmp_path / "data" / "zookeeper")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"supervisors": 0}, "--supervisors"),
        ({"slots": 0}, "--slots"),
        ({"metrics_secs": 0}, "metrics interval"),
        ({"sample_rate": 0.0}, "sample rate"),
        ({"sample_rate": 1.5}, "sample rate"),
        ({"port_offset": 60000}, "--port-offset"),
        ({"port_offset": -2000}, "--port-offset"),
        ({"heaps": Heaps(nimbus=8)}, "nimbus heap"),
    ],
)
def test_invalid_options_are_config_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ClusterSpec(state_dir=Path("/s"), **kwargs).validate()
