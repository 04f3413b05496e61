"""The topology page's graph in a real headless Chromium: the word count submitted to the
in-process FakeNimbus (with growing counts), our UI in front; the DOM after the page's
JavaScript ran has the SVG (nodes, edge with its grouping, rates, capacity) and a screenshot of
it is written (``STORMBRIDGE_SCREENSHOT_DIR`` keeps a copy to look at)."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .test_stats_watch import cluster as cluster

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DEADLINE = 120.0

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium browser: install Debian's package with `apt-get install -y chromium`",
)


def chromium(profile: Path, *args: str) -> str:
    """Run headless Chromium on a fresh profile; its stdout."""
    assert CHROMIUM is not None
    argv = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=5000", *args,
    ]  # fmt: skip
    env = {**os.environ, "HOME": str(profile)}
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=DEADLINE, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def dump_dom(url: str, profile: Path) -> str:
    return chromium(profile, "--dump-dom", url)


def screenshot(url: str, profile: Path, out: Path) -> bytes:
    chromium(profile, "--hide-scrollbars", "--window-size=1200,900", f"--screenshot={out}", url)
    return out.read_bytes()


@pytest.fixture
def topology_url(cluster: Path) -> Iterator[str]:
    import json

    from stormbridge.ui.client import UIClient

    port = json.loads(cluster.read_text())["envs"]["local"]["ui.port"]
    base = f"http://127.0.0.1:{port}"
    topo_id = UIClient(base).topology_id("wordcount")
    yield f"{base}/topology.html?id={topo_id}"


def test_topology_page_draws_the_graph(topology_url: str, tmp_path: Path) -> None:
    dom = dump_dom(topology_url, tmp_path / "p1")
    assert '<svg id="topology-graph"' in dom
    assert 'class="node spout" data-component="word_spout"' in dom
    assert re.search(r'class="node bolt cap-(low|mid|high)" data-component="count_bolt"', dom)
    assert 'data-from="word_spout" data-to="count_bolt"' in dom
    assert ">fields(word)</text>" in dom
    assert re.search(r">\d+(\.\d)? out/s</text>", dom)  # the spout
    assert re.search(r">\d+(\.\d)? in/s</text>", dom)  # the bolt
    assert ">capacity 0.500 · " in dom  # 100 executed x 5 ms in 1 s of uptime
    png = screenshot(topology_url, tmp_path / "p2", tmp_path / "topology.png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1200, 900)
    keep = os.environ.get("STORMBRIDGE_SCREENSHOT_DIR")
    if keep:
        shutil.copy(tmp_path / "topology.png", Path(keep) / "topology-graph.png")
