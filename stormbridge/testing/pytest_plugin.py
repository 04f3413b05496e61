"""The ``topology_runner`` pytest fixture.

Import it into a ``conftest.py`` (``from stormbridge.testing import topology_runner``) or load
this module with ``pytest -p stormbridge.testing.pytest_plugin``.

::

    def test_counts(topology_runner):
        result = topology_runner("topologies/wordcount.py", spouts={"word_spout": [["dog"]]}).run()
        assert result.emitted("count_bolt") == [["dog", 10]]

The fixture is a factory: call it with a Topology class, or the path of a topology file of a
project (``config.json`` in its folder or above; ``src/`` importable while it loads), plus
the options of :class:`~stormbridge.testing.runner.TopologyRunner`. Every runner it made is
closed when the test ends.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ..project.loader import load_topology_file
from .runner import TopologyRunner

__all__ = ["topology_runner"]


@pytest.fixture
def topology_runner() -> Iterator[Callable[..., TopologyRunner]]:
    """``topology_runner(TopologyClass_or_path, **options)`` -> a started TopologyRunner."""
    runners: list[TopologyRunner] = []

    def make(topology: type | str | os.PathLike[str], **options: Any) -> TopologyRunner:
        if isinstance(topology, (str, os.PathLike)):
            topology = load_topology_file(topology)
        runner = TopologyRunner(topology, **options)
        runners.append(runner)
        return runner

    yield make
    for runner in runners:
        runner.close()
