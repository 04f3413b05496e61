"""`sparse cluster up --hosts N`, the pure parts: address plan, names, conflicts, per-host
storm.yaml and zoo.cfg, sshd_config, holder and nsenter command lines."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest

from stormbridge.errors import ConfigError
from stormbridge.storm.config import ClusterSpec, render_storm_yaml, render_zoo_cfg
from stormbridge.storm.home import LOOPBACK_PLUGIN
from stormbridge.storm.multihost.netns import holder_command
from stormbridge.storm.multihost.plan import (
    DEFAULT_SUBNET,
    MULTIHOST_HEAPS,
    MultiHostSpec,
    conflicts,
    etc_hosts,
    plan_network,
    used_networks,
)
from stormbridge.storm.multihost.sshd import known_hosts_line, render_sshd_config


def parse_yaml(text: str) -> dict[str, Any]:
    """Our storm.yaml is `key: <json>` lines: parse it that strictly."""
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


def test_address_plan_of_three_hosts() -> None:
    plan = plan_network(3, "10.231.0.0/24")
    assert plan.subnet == "10.231.0.0/24"
    assert plan.bridge_address == "10.231.0.1"
    assert [h.address for h in plan.hosts] == ["10.231.0.10", "10.231.0.11", "10.231.0.12"]
    assert [h.name for h in plan.hosts] == ["h0", "h1", "h2"]
    assert plan.hosts[0].roles == ("zookeeper", "nimbus", "ui")
    assert all(h.roles == ("supervisor", "sshd") for h in plan.hosts[1:])
    assert plan.nimbus_address == "10.231.0.10"
    # Every name carries the subnet's tag; interface names fit IFNAMSIZ.
    assert plan.bridge == f"sb{plan.tag}"
    assert all(h.netns == f"sb{plan.tag}-{h.name}" for h in plan.hosts)
    assert all(len(name) <= 15 for name in plan.links)
    assert len(set(plan.links)) == len(plan.links)
    assert plan_network(3, "10.231.0.0/24", ui=False).hosts[0].roles == ("zookeeper", "nimbus")


def test_different_subnets_get_different_names_same_subnet_the_same() -> None:
    a, b = plan_network(3, DEFAULT_SUBNET), plan_network(3, "10.231.0.0/24")
    assert a.tag != b.tag
    assert not set(a.links) & set(b.links)
    assert plan_network(5, DEFAULT_SUBNET).bridge == a.bridge


def test_default_subnet_is_private_and_not_a_usual_one() -> None:
    net = ipaddress.ip_network(DEFAULT_SUBNET)
    assert net.is_private and net.prefixlen == 24
    for usual in ("172.17.0.0/16", "10.244.0.0/16", "10.96.0.0/12", "192.168.0.0/16"):
        assert not net.overlaps(ipaddress.ip_network(usual))


@pytest.mark.parametrize(
    ("hosts", "subnet", "message"),
    [
        (1, DEFAULT_SUBNET, "--hosts must be 2..20"),
        (21, DEFAULT_SUBNET, "--hosts must be 2..20"),
        (3, "8.8.8.0/24", "use a private network"),
        (3, "127.5.0.0/24", "use a private network"),
        (3, "10.1.2.3/24", "is not an IPv4 network"),  # host bits set
        (3, "fd00::/64", "only IPv4"),
        (3, "nonsense", "is not an IPv4 network"),
        (8, "10.9.9.0/28", "too small for 8 hosts"),
    ],
)
def test_bad_plans_say_what_to_do(hosts: int, subnet: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        plan_network(hosts, subnet)


def test_a_small_subnet_that_fits_is_fine() -> None:
    plan = plan_network(4, "192.168.77.0/27")
    assert plan.hosts[-1].address == "192.168.77.13"


IP_ADDR = json.dumps(
    [
        {"ifname": "lo", "addr_info": [{"family": "inet", "local": "127.0.0.1", "prefixlen": 8}]},
        {
            "ifname": "eth0",
            "addr_info": [
                {"family": "inet", "local": "192.0.2.2", "prefixlen": 24},
                {"family": "inet6", "local": "fd00::2", "prefixlen": 64},
            ],
        },
        {"ifname": "ifb0", "addr_info": []},
    ]
)
IP_ROUTE = json.dumps(
    [
        {"dst": "default", "gateway": "192.0.2.1", "dev": "eth0"},
        {"dst": "10.40.0.0/16", "dev": "tun0"},
        {"dst": "198.51.100.7", "dev": "eth0"},
    ]
)


def test_used_networks_from_ip_json() -> None:
    nets = {str(n) for n in used_networks(IP_ADDR, IP_ROUTE)}
    assert nets == {"127.0.0.0/8", "192.0.2.0/24", "10.40.0.0/16", "198.51.100.7/32"}
    assert used_networks("", "") == []


def test_conflicts_name_the_overlap_and_the_taken_names() -> None:
    plan = plan_network(3, "10.40.7.0/24")
    nets = used_networks(IP_ADDR, IP_ROUTE)
    problems = conflicts(plan, nets, ["lo", "eth0", plan.bridge], [plan.hosts[2].netns, "x"])
    assert len(problems) == 3
    assert "overlaps networks in use on this machine (10.40.0.0/16)" in problems[0]
    assert "--subnet" in problems[0]
    assert plan.bridge in problems[1]
    assert plan.hosts[2].netns in problems[2]
    assert conflicts(plan_network(3), nets, ["lo", "eth0"], []) == []


def test_etc_hosts_names_every_host() -> None:
    text = etc_hosts(plan_network(3, "10.231.0.0/24"))
    lines = [ln.split() for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert ["127.0.0.1", "localhost"] in lines
    assert ["10.231.0.10", "h0"] in lines and ["10.231.0.12", "h2"] in lines


def test_each_hosts_storm_yaml(tmp_path: Path) -> None:
    spec = MultiHostSpec(
        hosts=3, subnet="10.231.0.0/24", state_dir=tmp_path, slots=3, metrics_secs=5,
        loopback_thrift=True, extra_conf={"topology.debug": True},
    )  # fmt: skip
    plan = spec.validate()
    h0, h1, h2 = plan.hosts
    nimbus = parse_yaml(render_storm_yaml(spec.host_spec(plan, h0), "nimbus"))
    sup = {
        h.name: parse_yaml(render_storm_yaml(spec.host_spec(plan, h), "supervisor-0"))
        for h in (h1, h2)
    }
    assert nimbus["storm.local.hostname"] == "10.231.0.10"
    assert nimbus["stormbridge.thrift.bind.host"] == "10.231.0.10"
    assert nimbus["storm.local.dir"] == "/data/nimbus"
    assert nimbus["storm.log.dir"] == str(tmp_path / "logs" / "h0")
    for h in (h1, h2):
        conf = sup[h.name]
        assert conf["storm.local.hostname"] == h.address
        assert conf["stormbridge.thrift.bind.host"] == h.address  # never 0.0.0.0
        assert conf["nimbus.thrift.transport"] == LOOPBACK_PLUGIN
        assert conf["nimbus.seeds"] == ["10.231.0.10"]
        assert conf["storm.zookeeper.servers"] == ["10.231.0.10"]
        assert conf["storm.local.dir"] == "/data/supervisor-0"
        assert conf["storm.log.dir"] == str(tmp_path / "logs" / h.name)
        assert conf["supervisor.slots.ports"] == [6700, 6701, 6702]
        assert conf["supervisor.thrift.port"] == 6628
        assert conf["worker.heap.memory.mb"] == MULTIHOST_HEAPS.worker
        assert conf["supervisor.childopts"] == f"-Xmx{MULTIHOST_HEAPS.supervisor}m"
        assert conf["executor.metrics.frequency.secs"] == 5
        assert conf["topology.debug"] is True
    assert MULTIHOST_HEAPS.nimbus <= 384 and MULTIHOST_HEAPS.worker <= 384
    assert spec.host_spec(plan, h0).ui and not spec.host_spec(plan, h1).ui
    assert not spec.host_spec(plan, h1).logviewer


def test_zookeeper_binds_host_zero_and_keeps_its_data_in_its_private_storage(
    tmp_path: Path,
) -> None:
    spec = MultiHostSpec(hosts=2, subnet="10.231.0.0/24", state_dir=tmp_path)
    plan = spec.plan()
    lines = render_zoo_cfg(spec.host_spec(plan, plan.hosts[0])).splitlines()
    assert "clientPortAddress=10.231.0.10" in lines
    assert "dataDir=/data/zookeeper" in lines
    assert "clientPort=2181" in lines


def test_single_host_yaml_is_unchanged(tmp_path: Path) -> None:
    """nimbus_host and data_root default to what the single-host cluster always had."""
    conf = parse_yaml(render_storm_yaml(ClusterSpec(state_dir=tmp_path), "supervisor-0"))
    assert conf["nimbus.seeds"] == conf["storm.zookeeper.servers"] == ["127.0.0.1"]
    assert conf["storm.local.dir"] == str(tmp_path / "data" / "supervisor-0")


def test_spec_validation_reaches_the_host_specs(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--slots"):
        MultiHostSpec(state_dir=tmp_path, slots=0).validate()
    with pytest.raises(ConfigError, match="metrics interval"):
        MultiHostSpec(state_dir=tmp_path, metrics_secs=0).validate()


def test_sshd_config_is_key_only_on_the_hosts_address(tmp_path: Path) -> None:
    text = render_sshd_config(
        address="10.231.0.11",
        port=22,
        host_key=tmp_path / "hk",
        authorized_keys=tmp_path / "authorized_keys",
    )
    conf = dict(line.split(" ", 1) for line in text.splitlines() if line and line[0] != "#")
    assert conf["ListenAddress"] == "10.231.0.11"
    assert conf["Port"] == "22"
    assert conf["HostKey"] == str(tmp_path / "hk")
    assert conf["AuthorizedKeysFile"] == str(tmp_path / "authorized_keys")
    assert conf["PasswordAuthentication"] == "no"
    assert conf["KbdInteractiveAuthentication"] == "no"
    assert conf["PermitRootLogin"] == "prohibit-password"
    assert conf["UsePAM"] == "no"
    assert conf["Subsystem"] == "sftp internal-sftp"


def test_known_hosts_lines() -> None:
    key = "ssh-ed25519 AAAAC3Nza root@h1\n"
    assert known_hosts_line("10.0.0.11", 22, key) == "10.0.0.11 ssh-ed25519 AAAAC3Nza"
    assert known_hosts_line("10.0.0.11", 2222, key) == "[10.0.0.11]:2222 ssh-ed25519 AAAAC3Nza"


def test_holder_enters_the_network_namespace_then_unshares_mount_and_uts(tmp_path: Path) -> None:
    host = plan_network(2).hosts[1]
    cmd = holder_command(host, tmp_path / "data", tmp_path / "hosts", tmp_path / "ready")
    assert cmd[:4] == ["ip", "netns", "exec", host.netns]
    assert cmd[4:9] == ["unshare", "--mount", "--uts", "--propagation", "private"]
    script, argv = cmd[11], cmd[12:]
    assert argv == ["holder", "h1", str(tmp_path / "data"), str(tmp_path / "hosts"),
                    str(tmp_path / "ready"), "/data"]  # fmt: skip
    assert script.endswith("exec sleep infinity")
    assert 'hostname "$1"' in script and 'mount --bind "$2" "$5"' in script
