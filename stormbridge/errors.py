"""One rooted exception tree for everything stormbridge raises.

::

    StormBridgeError
    ├── ProtocolError                 malformed frame, bad message shape, unknown command
    │   └── StormWentAwayError        EOF / broken pipe on the Storm side (exit code 2)
    ├── SerializationError            an emit that cannot be encoded (also TypeError)
    │   └── IntegerRangeError         an int outside int64 (also ValueError)
    ├── ComponentLoadError            ``streamparse_run pkg.mod.Class`` cannot be resolved
    ├── TopologyError                 DSL validation (also ValueError)
    │   └── TopologyTypeError         DSL validation of a wrong type (also TypeError)
    ├── ConfigError                   bad ``config.json`` or option
    ├── JarError                      the topology jar cannot be built
    ├── NimbusError                   any failure talking to Nimbus
    │   ├── NimbusUnreachableError    socket / timeout / no leader
    │   ├── AlreadyAliveError         Nimbus's AlreadyAliveException
    │   ├── NotAliveError             Nimbus's NotAliveException
    │   ├── InvalidTopologyError      Nimbus's InvalidTopologyException
    │   └── AuthorizationError        Nimbus's AuthorizationException
    ├── UIError                       Storm UI REST failures
    ├── StormHomeError                provisioning a Storm home failed or a tool is missing
    ├── ClusterError                  starting / stopping local daemons
    └── DeployError                   putting dependencies on worker hosts (SSH, virtualenvs)

Library code raises these; only ``stormbridge.cli`` turns them into exit codes.
Messages say what went wrong *and* what to do about it.
"""

from __future__ import annotations

__all__ = [
    "AlreadyAliveError",
    "AuthorizationError",
    "ClusterError",
    "ComponentLoadError",
    "ConfigError",
    "DeployError",
    "IntegerRangeError",
    "InvalidTopologyError",
    "JarError",
    "NimbusError",
    "NimbusUnreachableError",
    "NotAliveError",
    "ProtocolError",
    "SerializationError",
    "StormBridgeError",
    "StormHomeError",
    "StormWentAwayError",
    "TopologyError",
    "TopologyTypeError",
    "UIError",
]


class StormBridgeError(Exception):
    """Root of every error stormbridge raises on purpose."""


class ProtocolError(StormBridgeError):
    """Storm sent something the multilang protocol does not allow."""


class StormWentAwayError(ProtocolError):
    """The Storm side of the pipe closed (EOF or broken pipe)."""

    def __init__(self, message: str = "Storm went away: its end of the pipe closed") -> None:
        super().__init__(message)


class SerializationError(StormBridgeError, TypeError):
    """A message (usually an emit) cannot be encoded for the wire."""


class IntegerRangeError(SerializationError, ValueError):
    """An integer outside Java's long range: Storm would die reading it."""


class ComponentLoadError(StormBridgeError):
    """A component class named on the command line cannot be imported."""


class TopologyError(StormBridgeError, ValueError):
    """A topology definition is invalid."""


class TopologyTypeError(TopologyError, TypeError):
    """A topology definition has a value of the wrong type."""


class ConfigError(StormBridgeError):
    """``config.json`` or a command-line option is invalid."""


class JarError(StormBridgeError):
    """The topology jar cannot be built."""


class NimbusError(StormBridgeError):
    """Talking to Nimbus failed."""


class NimbusUnreachableError(NimbusError):
    """No Nimbus answered (socket error, timeout, or no leader elected)."""


class AlreadyAliveError(NimbusError):
    """Nimbus says a topology with that name is already running."""


class NotAliveError(NimbusError):
    """Nimbus says no topology with that name is running."""


class InvalidTopologyError(NimbusError):
    """Nimbus rejected the topology."""


class AuthorizationError(NimbusError):
    """Nimbus refused the call for lack of authorization."""


class UIError(StormBridgeError):
    """The Storm UI REST API failed or is unreachable."""


class StormHomeError(StormBridgeError):
    """A Storm installation cannot be provisioned or found."""


class ClusterError(StormBridgeError):
    """Local Storm daemons cannot be started, stopped or inspected."""


class DeployError(StormBridgeError):
    """Putting a topology's dependencies on the worker hosts failed (SSH, virtualenv build)."""
