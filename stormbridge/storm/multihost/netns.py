"""Hosts as namespaces on this machine: bridge, network namespaces, veths, holder processes.

Everything here runs ``ip``, ``unshare`` and ``nsenter`` (util-linux, iproute2) as root, and
every removal is idempotent: deleting what does not exist (any more) is fine, so `down`
can clean up after an `up` that failed half-way.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ...errors import ClusterError
from ..state import pid_alive
from .plan import DATA_MOUNT, HostPlan, NetworkPlan, used_networks
from .sshd import SSHD

__all__ = [
    "create_bridge",
    "create_host_network",
    "create_netns",
    "delete_link",
    "delete_netns",
    "existing_links",
    "existing_netns",
    "holder_command",
    "kill_pids",
    "machine_networks",
    "mount_in_use",
    "netns_inode",
    "pids_in_netns",
    "require_tools",
    "wait_file",
]

TOOLS = ("ip", "unshare", "nsenter", "mount", "hostname", "sleep", "ssh-keygen")

#: The holder: set the hostname, bind the host's storage on /data and its hosts file on
#: /etc/hosts (both only in this mount namespace), say so, then sleep until killed. Every
#: daemon of the host is started inside these namespaces with nsenter.
_HOLDER_SCRIPT = (
    'set -e; hostname "$1"; mount --bind "$2" "$5"; mount --bind "$3" /etc/hosts; '
    ': > "$4"; exec sleep infinity'
)


def require_tools() -> None:
    """:class:`ClusterError` unless this is Linux, we are root and the tools are there."""
    if not sys.platform.startswith("linux"):
        raise ClusterError(
            "`sparse cluster up --hosts N` builds hosts from Linux namespaces; it runs on "
            f"Linux only (this is {sys.platform}); use `sparse cluster up` without --hosts"
        )
    if os.geteuid() != 0:
        raise ClusterError(
            "`sparse cluster up --hosts N` creates network namespaces, a bridge and mounts: "
            "run it as root (e.g. `sudo .venv/bin/sparse cluster up --hosts 3`)"
        )
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not os.access(SSHD, os.X_OK):
        missing.append(SSHD)
    if missing:
        raise ClusterError(
            f"missing {', '.join(missing)}: install iproute2, util-linux and openssh-server "
            "(`make system-deps-test`, or `apt-get install iproute2 util-linux openssh-server`)"
        )


def _run(argv: Sequence[str], *, check: bool = True, timeout: float = 30.0) -> str:
    try:
        done = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, check=False,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ClusterError(f"`{' '.join(argv)}` failed: {exc}") from exc
    if check and done.returncode != 0:
        raise ClusterError(f"`{' '.join(argv)}` failed: {done.stderr.strip() or done.returncode}")
    return done.stdout


def ip(*args: str, check: bool = True) -> str:
    return _run(["ip", *args], check=check)


def existing_links() -> set[str]:
    """Interface names in this machine's network namespace."""
    return {link["ifname"] for link in json.loads(ip("-j", "link", "show") or "[]")}


def existing_netns() -> set[str]:
    """Named network namespaces (``ip netns list``)."""
    out = ip("netns", "list", check=False)
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def machine_networks() -> list[ipaddress.IPv4Network]:
    """IPv4 networks of this machine's addresses and routes."""
    return used_networks(ip("-j", "-4", "addr", "show"), ip("-j", "-4", "route", "show"))


def create_bridge(plan: NetworkPlan) -> None:
    ip("link", "add", plan.bridge, "type", "bridge")
    ip("addr", "add", f"{plan.bridge_address}/{plan.prefixlen}", "dev", plan.bridge)
    ip("link", "set", plan.bridge, "up")


def create_netns(host: HostPlan) -> None:
    ip("netns", "add", host.netns)


def create_host_network(plan: NetworkPlan, host: HostPlan) -> None:
    """The veth pair of ``host`` (its namespace must exist): one end on the bridge, the other
    ``eth0`` in the namespace with the host's address; loopback up. No default route: the
    hosts reach each other and this machine, nothing else."""
    ip("link", "add", host.veth, "type", "veth", "peer", "name", host.peer)
    ip("link", "set", host.peer, "netns", host.netns)
    ip("-n", host.netns, "link", "set", host.peer, "name", "eth0")
    ip("-n", host.netns, "addr", "add", f"{host.address}/{plan.prefixlen}", "dev", "eth0")
    ip("-n", host.netns, "link", "set", "eth0", "up")
    ip("-n", host.netns, "link", "set", "lo", "up")
    ip("link", "set", host.veth, "master", plan.bridge, "up")


def holder_command(
    host: HostPlan, data_source: Path, hosts_file: Path, ready_file: Path
) -> list[str]:
    """The command of ``host``'s holder process (pure): inside its network namespace, new
    mount and UTS namespaces (private propagation), hostname, /data and /etc/hosts."""
    return [
        "ip", "netns", "exec", host.netns,
        "unshare", "--mount", "--uts", "--propagation", "private",
        "/bin/sh", "-c", _HOLDER_SCRIPT, "holder",
        host.name, str(data_source), str(hosts_file), str(ready_file), DATA_MOUNT,
    ]  # fmt: skip


def netns_inode(name: str) -> int | None:
    """The inode of the network namespace ``name`` (None: it does not exist)."""
    try:
        return os.stat(f"/run/netns/{name}").st_ino
    except OSError:
        return None


def pids_in_netns(inode: int) -> list[int]:
    """Live processes whose network namespace is ``inode``."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.stat(entry / "ns" / "net").st_ino != inode:
                continue
        except OSError:
            continue
        if pid_alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def kill_pids(pids: Sequence[int], sig: int = signal.SIGKILL) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def delete_link(name: str) -> bool:
    """Delete interface ``name`` if it exists; True if it did."""
    if name not in existing_links():
        return False
    ip("link", "del", name, check=False)
    return True


def delete_netns(name: str) -> bool:
    """Delete network namespace ``name`` if it exists; True if it did."""
    if name not in existing_netns():
        return False
    ip("netns", "del", name)
    return True


def mount_in_use(path: str) -> bool:
    """Whether any process's mount namespace has something mounted on ``path``."""
    needle = f" {path} "
    seen: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ns = os.stat(entry / "ns" / "mnt").st_ino
        except OSError:
            continue
        if ns in seen:
            continue
        seen.add(ns)
        try:
            text = (entry / "mountinfo").read_text()
        except OSError:
            continue
        # mountinfo: id parent major:minor root mount-point options ...
        if any(needle in line and line.split()[4] == path for line in text.splitlines()):
            return True
    return False


def wait_file(path: Path, pid: int, timeout: float) -> bool:
    """Wait until ``path`` exists; False if ``pid`` died or the time ran out first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return True
        if not pid_alive(pid):
            return False
        time.sleep(0.05)
    return path.exists()
