"""The web page in a real headless Chromium: after its JavaScript ran, the DOM shows the data.

Needs Debian's ``chromium`` package (``apt-get install -y chromium``); skipped without it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from stormbridge.ui.server import UIServer

from . import nimbus_data as data

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and os.path.exists("/usr/bin/chromium"):
    CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium browser: install Debian's package with `apt-get install -y chromium`",
)

DEADLINE = 120.0


def dump_dom(url: str, profile: Path) -> str:
    """The page's DOM after its scripts and fetches settled (virtual time budget)."""
    assert CHROMIUM is not None
    argv = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=5000",
        "--dump-dom",
        url,
    ]
    proc = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        env={**os.environ, "HOME": str(profile)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_cluster_page_renders_summary_and_topology(ui: UIServer, tmp_path: Path) -> None:
    dom = dump_dom(ui.url + "/", tmp_path)
    assert '<table id="cluster-summary">' in dom
    assert '<table id="nimbus-summary">' in dom
    assert '<table id="supervisor-summary">' in dom
    assert f'<a href="/topology.html?id={data.TOPOLOGY_ID}">wordcount</a>' in dom
    assert 'id="error"' not in dom


def test_topology_page_renders_components_and_last_error(ui: UIServer, tmp_path: Path) -> None:
    dom = dump_dom(f"{ui.url}/topology.html?id={data.TOPOLOGY_ID}", tmp_path)
    assert "<h2>Topology wordcount</h2>" in dom
    assert '<table id="spouts">' in dom and '<table id="bolts">' in dom
    assert f'href="/component.html?id=count&amp;topology_id={data.TOPOLOGY_ID}"' in dom
    assert "Traceback (most recent call last):" in dom  # count's last error
    assert '<td class="num">3.000</td>' in dom  # count's execute latency
    assert "<button" in dom


def test_component_page_renders_errors(ui: UIServer, tmp_path: Path) -> None:
    dom = dump_dom(f"{ui.url}/component.html?id=count&topology_id={data.TOPOLOGY_ID}", tmp_path)
    assert "<h2>Bolt count</h2>" in dom
    assert '<table id="input-stats">' in dom
    assert "ValueError: boom" in dom and "old error" in dom


def test_page_shows_nimbus_errors(tmp_path: Path) -> None:
    from stormbridge.ui.backend import NimbusBackend

    from .conftest import serve
    from .test_server import free_port

    for server in serve(NimbusBackend([("127.0.0.1", free_port())], timeout=2.0)):
        dom = dump_dom(server.url + "/", tmp_path)
        assert 'id="error"' in dom
        assert "cannot reach Nimbus" in dom
