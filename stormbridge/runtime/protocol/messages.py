"""Shape checks for what Storm sends: handshake, spout commands, task-id lists.

Bolt tuples are checked inline on the hot path (``stormbridge.runtime.bolt``); these cover the
rest. Every failure is a ProtocolError that names what was received.
"""

from __future__ import annotations

from typing import Any

from ...errors import ProtocolError
from .codec import describe

__all__ = ["SPOUT_COMMANDS", "check_handshake", "check_spout_command", "check_task_ids"]

#: Commands Storm's ShellSpout sends.
SPOUT_COMMANDS = frozenset({"next", "ack", "fail", "activate", "deactivate"})


def check_handshake(message: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """``(pidDir, conf, context)`` from Storm's first message."""
    if type(message) is not dict:
        raise ProtocolError(
            "expected the handshake (an object with pidDir, conf and context) as Storm's "
            f"first message, got {describe(message)}"
        )
    missing = [key for key in ("pidDir", "conf", "context") if key not in message]
    if missing:
        raise ProtocolError(
            f"the handshake from Storm lacks {', '.join(missing)}: {describe(message)}"
        )
    pid_dir, conf, context = message["pidDir"], message["conf"], message["context"]
    if not isinstance(pid_dir, str) or not isinstance(conf, dict) or not isinstance(context, dict):
        raise ProtocolError(
            "the handshake from Storm needs pidDir as a string and conf, context as objects; "
            f"got {describe(message)}"
        )
    return pid_dir, conf, context


def check_spout_command(message: Any) -> str:
    """The command name of a message Storm sent a spout."""
    if type(message) is not dict:
        raise ProtocolError(f"expected a spout command object from Storm, got {describe(message)}")
    command = message.get("command")
    if command not in SPOUT_COMMANDS:
        raise ProtocolError(
            f"unknown spout command {describe(command)} from Storm (expected one of "
            f"{', '.join(sorted(SPOUT_COMMANDS))}): {describe(message)}"
        )
    return command


def check_task_ids(message: Any) -> list[int]:
    """A task-id list (the reply to an emit with ``need_task_ids``)."""
    if type(message) is not list or not all(type(item) is int for item in message):
        raise ProtocolError(f"expected a list of task ids from Storm, got {describe(message)}")
    return message
