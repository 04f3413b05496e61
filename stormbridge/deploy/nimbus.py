"""Nimbus as a deploy sees it: reached directly or through an SSH tunnel, and the worker hosts.

With ``use_ssh_for_nimbus`` (streamparse's setting) :func:`nimbus_session` opens an SSH tunnel
to the Nimbus host and talks to Nimbus through it, closing the tunnel when the block ends. The
tunnel's far end is the Nimbus address as configured, seen from the Nimbus host itself, so a
Nimbus bound only to its host's address (not to loopback) is reached too. Through a tunnel
the client keeps the seed it reached rather than following the leader's advertised address.

:func:`worker_hosts` is the env's ``workers`` or, when that is empty, the hosts of the
supervisors Nimbus knows (as streamparse).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import DeployError
from ..project.config import EnvConfig
from .ssh import SSHSettings, forward_local

if TYPE_CHECKING:
    from ..thrift.nimbus import NimbusClient

__all__ = ["nimbus_session", "worker_hosts"]


@contextlib.contextmanager
def nimbus_session(
    env: EnvConfig, ssh: SSHSettings, *, timeout: float = 10.0
) -> Iterator[NimbusClient]:
    """A client of the env's leader Nimbus, through an SSH tunnel when ``use_ssh_for_nimbus``."""
    from ..thrift.nimbus import connect_leader

    seeds = env.require_nimbus()
    if not env.use_ssh_for_nimbus:
        client = connect_leader(
            [(s.host, s.port) for s in seeds], timeout=timeout, connect_timeout=timeout
        )
        with client:
            yield client
        return
    seed = seeds[0]
    with forward_local(seed.host, ssh, seed.host, seed.port) as port:
        client = connect_leader(
            [("127.0.0.1", port)],
            timeout=timeout,
            connect_timeout=timeout,
            follow_leader=False,
        )
        with client:
            yield client


def worker_hosts(env: EnvConfig, nimbus: NimbusClient | None) -> tuple[str, ...]:
    """The hosts to deploy to: ``workers``, else Nimbus's supervisors (in Nimbus's order)."""
    if env.workers:
        return tuple(dict.fromkeys(env.workers))
    if nimbus is None:
        raise DeployError(
            f"env {env.name!r} lists no workers and no Nimbus was asked for its supervisors: "
            f"set envs.{env.name}.workers in config.json"
        )
    hosts = tuple(dict.fromkeys(s.host for s in nimbus.cluster_summary().supervisors))
    if not hosts:
        raise DeployError(
            f"env {env.name!r} lists no workers and Nimbus {nimbus.address} knows no supervisor: "
            f"start the supervisors, or set envs.{env.name}.workers in config.json"
        )
    return hosts
