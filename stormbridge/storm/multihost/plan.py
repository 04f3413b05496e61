"""What a multi-host cluster on this machine looks like (pure): addresses, names, storm.yaml.

N hosts share one private IPv4 network on a bridge that `up` creates:

==========  =====================  =============================================
who         address                names
==========  =====================  =============================================
bridge      subnet + 1             ``sb<tag>`` (this machine's side)
host i      subnet + 10 + i        network namespace ``sb<tag>-h<i>``, host side of
                                   its veth ``sb<tag>v<i>`` (``eth0`` inside),
                                   hostname ``h<i>``
==========  =====================  =============================================

``tag`` is 6 hex digits of a hash of the subnet: two clusters on different subnets never
share a name. Host 0 runs ZooKeeper, Nimbus and the UI; every other host a supervisor and an
sshd. Every host's storm.yaml comes from the single-host one
(:func:`stormbridge.storm.config.render_storm_yaml`) with the host's address as
``storm.local.hostname`` and bind address, host 0's as ``nimbus.seeds`` and
``storm.zookeeper.servers``, and ``/data`` (the host's private storage) as the local dir.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import ConfigError
from ..config import MAX_SLOTS, STORM_SAMPLE_RATE, ClusterSpec, Heaps
from ..state import default_state_dir

__all__ = [
    "DATA_MOUNT",
    "DEFAULT_SUBNET",
    "MULTIHOST_HEAPS",
    "HostPlan",
    "MultiHostSpec",
    "NetworkPlan",
    "conflicts",
    "etc_hosts",
    "plan_network",
    "used_networks",
]

#: Unlikely to be used by anything else on a development machine (not Docker's 172.17/16,
#: not Kubernetes' 10.244/16 or 10.96/12, not a home router's 192.168/16); `up` checks.
DEFAULT_SUBNET = "10.213.57.0/24"
MIN_HOSTS = 2
MAX_HOSTS = 20
#: Host i gets the subnet's address HOST_OFFSET + i; the bridge (this machine) gets .1.
HOST_OFFSET = 10
#: Every host's private storage, as the host sees it.
DATA_MOUNT = "/data"
SSH_PORT = 22
#: Small heaps: N hosts of JVMs share 2 cores (Storm's own defaults are 1 GB and more).
MULTIHOST_HEAPS = Heaps(
    zookeeper=256, nimbus=384, supervisor=256, ui=256, logviewer=128, worker=384
)

#: Interface names are at most 15 bytes (IFNAMSIZ - 1).
_IFNAMSIZ = 15


@dataclass(frozen=True)
class HostPlan:
    index: int
    name: str
    address: str
    netns: str
    #: The host side of the veth pair (enslaved to the bridge).
    veth: str
    #: The namespace side's name while it is created; inside it is renamed to ``eth0``.
    peer: str
    roles: tuple[str, ...]

    @property
    def is_supervisor(self) -> bool:
        return "supervisor" in self.roles


@dataclass(frozen=True)
class NetworkPlan:
    subnet: str
    prefixlen: int
    tag: str
    bridge: str
    bridge_address: str
    hosts: tuple[HostPlan, ...]

    @property
    def nimbus_address(self) -> str:
        return self.hosts[0].address

    @property
    def links(self) -> tuple[str, ...]:
        """Every interface name the plan creates in this machine's namespace."""
        return (self.bridge, *(h.veth for h in self.hosts), *(h.peer for h in self.hosts))


def _subnet(text: str) -> ipaddress.IPv4Network:
    try:
        net = ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        raise ConfigError(
            f"--subnet {text!r} is not an IPv4 network like {DEFAULT_SUBNET} ({exc})"
        ) from exc
    if not isinstance(net, ipaddress.IPv4Network):
        raise ConfigError(f"--subnet {text!r}: only IPv4 networks are supported")
    if not net.is_private or net.is_loopback or net.is_link_local or net.is_multicast:
        raise ConfigError(
            f"--subnet {text}: use a private network (10.0.0.0/8, 172.16.0.0/12 or "
            "192.168.0.0/16), e.g. the default " + DEFAULT_SUBNET
        )
    return net


def plan_network(hosts: int, subnet: str = DEFAULT_SUBNET, *, ui: bool = True) -> NetworkPlan:
    """Addresses and names of a cluster of ``hosts`` hosts on ``subnet``; :class:`ConfigError`
    when the numbers do not fit."""
    if not MIN_HOSTS <= hosts <= MAX_HOSTS:
        raise ConfigError(
            f"--hosts must be {MIN_HOSTS}..{MAX_HOSTS} (host 0 runs ZooKeeper, Nimbus and the "
            f"UI, every other host a supervisor), not {hosts}"
        )
    net = _subnet(subnet)
    if net.num_addresses < HOST_OFFSET + hosts + 1:
        raise ConfigError(
            f"--subnet {subnet} is too small for {hosts} hosts (they take addresses "
            f"{HOST_OFFSET}..{HOST_OFFSET + hosts - 1} of it): use a /24"
        )
    tag = hashlib.sha256(str(net).encode()).hexdigest()[:6]
    prefix = f"sb{tag}"
    plans = []
    for i in range(hosts):
        roles: tuple[str, ...] = ("supervisor", "sshd")
        if i == 0:
            roles = ("zookeeper", "nimbus", "ui") if ui else ("zookeeper", "nimbus")
        plans.append(
            HostPlan(
                index=i,
                name=f"h{i}",
                address=str(net.network_address + HOST_OFFSET + i),
                netns=f"{prefix}-h{i}",
                veth=f"{prefix}v{i}",
                peer=f"{prefix}p{i}",
                roles=roles,
            )
        )
    plan = NetworkPlan(
        subnet=str(net),
        prefixlen=net.prefixlen,
        tag=tag,
        bridge=prefix,
        bridge_address=str(net.network_address + 1),
        hosts=tuple(plans),
    )
    assert all(len(name) <= _IFNAMSIZ for name in plan.links)
    return plan


def used_networks(ip_addr_json: str, ip_route_json: str) -> list[ipaddress.IPv4Network]:
    """IPv4 networks in use on this machine, from ``ip -j -4 addr`` and ``ip -j -4 route``."""
    out: list[ipaddress.IPv4Network] = []
    for link in json.loads(ip_addr_json or "[]"):
        for info in link.get("addr_info", ()):
            if info.get("family", "inet") != "inet" or "local" not in info:
                continue
            out.append(
                ipaddress.IPv4Network(f"{info['local']}/{info.get('prefixlen', 32)}", strict=False)
            )
    for route in json.loads(ip_route_json or "[]"):
        dst = route.get("dst", "default")
        if dst == "default":
            continue
        try:
            out.append(ipaddress.IPv4Network(dst, strict=False))
        except ValueError:
            continue
    return out


def conflicts(
    plan: NetworkPlan,
    networks: Iterable[ipaddress.IPv4Network],
    links: Iterable[str],
    namespaces: Iterable[str],
) -> list[str]:
    """Why ``plan`` cannot be created on this machine (empty: it can)."""
    subnet = ipaddress.IPv4Network(plan.subnet)
    problems: list[str] = []
    clashing = sorted({str(n) for n in networks if n.overlaps(subnet)})
    if clashing:
        problems.append(
            f"the subnet {plan.subnet} overlaps networks in use on this machine "
            f"({', '.join(clashing)}): pick another with --subnet"
        )
    taken_links = sorted(set(plan.links) & set(links))
    if taken_links:
        problems.append(f"network interfaces {', '.join(taken_links)} already exist")
    taken_ns = sorted({h.netns for h in plan.hosts} & set(namespaces))
    if taken_ns:
        problems.append(f"network namespaces {', '.join(taken_ns)} already exist")
    return problems


def etc_hosts(plan: NetworkPlan) -> str:
    """``/etc/hosts`` of every host: loopback, and every host by name."""
    lines = [
        "# /etc/hosts of a stormbridge multi-host cluster host (written by `sparse cluster up`)",
        "127.0.0.1\tlocalhost",
        "::1\tlocalhost ip6-localhost ip6-loopback",
    ]
    lines += [f"{h.address}\t{h.name}" for h in plan.hosts]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class MultiHostSpec:
    """Options of `sparse cluster up --hosts N`; every field but ``hosts`` has a default."""

    hosts: int = 3
    subnet: str = DEFAULT_SUBNET
    state_dir: Path = field(default_factory=default_state_dir)
    log_dir: Path | None = None  # default: <state_dir>/logs (one folder per host in it)
    slots: int = 2
    metrics_secs: int = 10
    sample_rate: float = STORM_SAMPLE_RATE
    heaps: Heaps = MULTIHOST_HEAPS
    ui: bool = True
    extra_conf: Mapping[str, Any] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    #: As in :class:`ClusterSpec`: Thrift servers bound to the host's address (None: when the
    #: Storm home has the transport plugin).
    loopback_thrift: bool | None = None

    @property
    def resolved_log_dir(self) -> Path:
        return self.log_dir if self.log_dir is not None else self.state_dir / "logs"

    def plan(self) -> NetworkPlan:
        return plan_network(self.hosts, self.subnet, ui=self.ui)

    def host_dir(self, host: HostPlan) -> Path:
        """``<state>/hosts/<name>``: conf/, data/ (the host's /data), etc/hosts, ssh/."""
        return self.state_dir / "hosts" / host.name

    def host_spec(self, plan: NetworkPlan, host: HostPlan) -> ClusterSpec:
        """The single-host :class:`ClusterSpec` of one host (its daemons, its storm.yaml)."""
        return ClusterSpec(
            state_dir=self.host_dir(host),
            log_dir=self.resolved_log_dir / host.name,
            supervisors=1,
            slots=self.slots,
            host=host.address,
            nimbus_host=plan.nimbus_address,
            data_root=Path(DATA_MOUNT),
            metrics_secs=self.metrics_secs,
            sample_rate=self.sample_rate,
            heaps=self.heaps,
            ui=self.ui and host.index == 0,
            logviewer=False,
            extra_conf=self.extra_conf,
            env=self.env,
            loopback_thrift=self.loopback_thrift,
        )

    def validate(self) -> NetworkPlan:
        """The plan, or :class:`ConfigError` for options no cluster can run with."""
        plan = self.plan()
        if not 1 <= self.slots <= MAX_SLOTS:
            raise ConfigError(f"--slots must be 1..{MAX_SLOTS}, not {self.slots}")
        for host in plan.hosts:
            self.host_spec(plan, host).validate()
        return plan
