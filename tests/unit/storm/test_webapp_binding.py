"""Storm's own UI and logviewer (an official distribution in STORM_HOME) must not listen on
every interface when the cluster is bound to loopback.

Storm 2.8's UIServer and LogviewerServer hand Jetty no host at all (``ui.host`` is read by
nothing there, and there is no ``logviewer.host``), so writing a key cannot bind them: on a
loopback cluster stormbridge's own UI (bound to the cluster's host) replaces Storm's, and
Storm's logviewer is left out with a note saying why.
"""

from __future__ import annotations

import sys
from pathlib import Path

from stormbridge.storm.config import ClusterSpec, render_storm_yaml
from stormbridge.storm.daemons import _daemon_plan, daemon_command

from .test_cluster_config import parse_yaml
from .test_daemon_commands import fake_home


def test_storm_yaml_names_the_cluster_host_for_the_ui(tmp_path: Path) -> None:
    for host in ("127.0.0.1", "10.1.2.3"):
        spec = ClusterSpec(state_dir=tmp_path, host=host)
        assert parse_yaml(render_storm_yaml(spec, "nimbus"))["ui.host"] == host


def test_a_loopback_cluster_never_starts_storms_jetty_daemons(tmp_path: Path) -> None:
    spec = ClusterSpec(state_dir=tmp_path / "s")
    web = fake_home(tmp_path / "web", webapp=True)
    names, notes = _daemon_plan(web, spec)
    assert "ui" in names and "logviewer" in names and not notes
    ui = daemon_command("java", web, spec, "ui")
    assert ui[:3] == [sys.executable, "-m", "stormbridge.ui"]
    assert ui[ui.index("--host") + 1] == "127.0.0.1"
    logviewer = daemon_command("java", web, spec, "logviewer")  # stormbridge's, on loopback
    assert logviewer[:3] == [sys.executable, "-m", "stormbridge.ui.logviewer"]
    assert logviewer[logviewer.index("--host") + 1] == "127.0.0.1"
    assert logviewer[logviewer.index("--log-dir") + 1] == str(spec.resolved_log_dir)


def test_a_cluster_on_a_routable_address_keeps_storms_ui(tmp_path: Path) -> None:
    spec = ClusterSpec(state_dir=tmp_path / "s", host="10.1.2.3")
    web = fake_home(tmp_path / "web", webapp=True)
    names, _ = _daemon_plan(web, spec)
    assert "logviewer" in names
    assert daemon_command("java", web, spec, "ui")[-1] == "org.apache.storm.daemon.ui.UIServer"
    logviewer = daemon_command("java", web, spec, "logviewer")
    assert logviewer[-1] == "org.apache.storm.daemon.logviewer.LogviewerServer"
