"""Fixtures for the runtime tests: a fake Storm peer driving components over real pipes."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from stormbridge.testing import StormPeer

COMPONENTS = Path(__file__).parent / "components"
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def spawn() -> Iterator[Callable[..., StormPeer]]:
    """``spawn("testcomps.EchoBolt", serializer="json", extra_args=())`` → a started StormPeer."""
    peers: list[StormPeer] = []

    def start(
        target: str,
        *,
        serializer: str = "json",
        cwd: Path = COMPONENTS,
        extra_args: tuple[str, ...] = (),
        timeout: float = 15.0,
    ) -> StormPeer:
        import sys

        argv = [
            sys.executable,
            "-m",
            "stormbridge.runtime.run",
            "-s",
            serializer,
            *extra_args,
            target,
        ]
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        peer = StormPeer.spawn(argv, serializer=serializer, cwd=str(cwd), env=env, timeout=timeout)
        peers.append(peer)
        return peer

    yield start
    for peer in peers:
        peer.kill()
        peer.__exit__(None, None, None)
