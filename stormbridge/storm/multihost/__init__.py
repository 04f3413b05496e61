"""A multi-host Storm cluster on one Linux machine: hosts made of namespaces.

`sparse cluster up --hosts N` builds N hosts (network namespace on a bridge, own address,
hostname and private ``/data``), runs ZooKeeper, Nimbus and the UI on h0 and a supervisor and
an sshd on every other host. :mod:`.plan` is the pure part (addresses, names, per-host
:class:`~stormbridge.storm.config.ClusterSpec`), :mod:`.netns` the namespaces, :mod:`.sshd`
the SSH server; :mod:`.up`, :mod:`.down` and :mod:`.status` are the commands. Deploy code
reads the hosts through :mod:`stormbridge.storm.hosts`.
"""

from .down import stop_multihost
from .netns import require_tools
from .plan import DEFAULT_SUBNET, MULTIHOST_HEAPS, MultiHostSpec, NetworkPlan, plan_network
from .status import HostHealth, multihost_status
from .up import start_multihost

__all__ = [
    "DEFAULT_SUBNET",
    "MULTIHOST_HEAPS",
    "HostHealth",
    "MultiHostSpec",
    "NetworkPlan",
    "multihost_status",
    "plan_network",
    "require_tools",
    "start_multihost",
    "stop_multihost",
]
