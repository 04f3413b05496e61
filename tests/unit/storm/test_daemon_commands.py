"""Command lines of the daemons and Storm home resolution (no JVM started)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from stormbridge.errors import ClusterError, StormHomeError
from stormbridge.storm.config import ClusterSpec, Heaps
from stormbridge.storm.daemons import daemon_command
from stormbridge.storm.home import (
    StormHome,
    _extract_public,
    _java_major,
    find_java,
    find_maven,
    provision,
    resolve_home,
)
from stormbridge.storm.maven import pom as _pom


def fake_home(root: Path, *, webapp: bool = False, official: bool = False) -> StormHome:
    version = "2.8.3"
    for sub, jars in {
        "lib": ["storm-core", "storm-server", "storm-shaded-deps"],
        "lib-worker": ["storm-client"],
    }.items():
        (root / sub).mkdir(parents=True)
        for jar in jars:
            (root / sub / f"{jar}-{version}.jar").write_bytes(b"")
    (root / "log4j2").mkdir()
    for name in ("cluster.xml", "worker.xml"):
        (root / "log4j2" / name).write_text("<Configuration/>")
    if webapp:
        (root / "lib-webapp").mkdir()
        (root / "lib-webapp" / f"storm-webapp-{version}.jar").write_bytes(b"")
        (root / "public").mkdir()
    if official:
        (root / "bin").mkdir()
        (root / "bin" / "storm").write_text("#!/bin/sh\n")
    return StormHome(path=root, version=version, official=official)


def option(cmd: list[str], prefix: str) -> str:
    values = [a.removeprefix(prefix) for a in cmd if a.startswith(prefix)]
    assert len(values) == 1, (prefix, cmd)
    return values[0]


def test_nimbus_and_supervisor_commands(tmp_path: Path) -> None:
    home = fake_home(tmp_path / "home")
    spec = ClusterSpec(state_dir=tmp_path / "s", supervisors=2, heaps=Heaps(nimbus=300))
    nimbus = daemon_command("/j/java", home, spec, "nimbus")
    assert nimbus[0] == "/j/java"
    assert nimbus[-1] == "org.apache.storm.daemon.nimbus.Nimbus"
    assert "-Xmx300m" in nimbus
    assert option(nimbus, "-Dstorm.home=") == str(home.path)
    assert option(nimbus, "-Dstorm.conf.file=") == str(spec.conf_dir / "storm.yaml")
    assert option(nimbus, "-Dlogfile.name=") == "nimbus.log"
    assert option(nimbus, "-Dstorm.log.dir=") == str(tmp_path / "s" / "logs")
    assert option(nimbus, "-Dlog4j.configurationFile=") == str(home.log4j2_dir / "cluster.xml")
    classpath = nimbus[nimbus.index("-cp") + 1].split(":")
    assert classpath == [f"{home.path}/*", f"{home.lib}/*", f"{home.path}/extlib/*",
                         f"{home.path}/extlib-daemon/*", str(home.conf_dir)]  # fmt: skip
    sup = daemon_command("/j/java", home, spec, "supervisor-1")
    assert sup[-1] == "org.apache.storm.daemon.supervisor.Supervisor"
    assert option(sup, "-Dstorm.conf.file=") == str(spec.conf_dir / "supervisor-1.yaml")
    assert option(sup, "-Dlogfile.name=") == "supervisor-1.log"
    with pytest.raises(ClusterError, match="2 supervisors"):
        daemon_command("/j/java", home, spec, "supervisor-2")
    with pytest.raises(ClusterError, match="unknown daemon"):
        daemon_command("/j/java", home, spec, "drpc")


def test_zookeeper_runs_the_shaded_server_with_zoo_cfg(tmp_path: Path) -> None:
    home = fake_home(tmp_path / "home")
    spec = ClusterSpec(state_dir=tmp_path / "s")
    zk = daemon_command("java", home, spec, "zookeeper")
    assert zk[-2:] == [
        "org.apache.storm.shade.org.apache.zookeeper.server.ZooKeeperServerMain",
        str(spec.conf_dir / "zoo.cfg"),
    ]
    assert "-Xmx256m" in zk


def test_ui_is_storms_with_webapp_else_stormbridges(tmp_path: Path) -> None:
    spec = ClusterSpec(state_dir=tmp_path / "s", port_offset=10)
    plain = fake_home(tmp_path / "plain")
    ui = daemon_command("java", plain, spec, "ui")
    assert ui[:3] == [sys.executable, "-m", "stormbridge.ui"]
    assert ui[ui.index("--host") + 1] == "127.0.0.1"
    assert ui[ui.index("--port") + 1] == "8090"
    assert ui[ui.index("--nimbus") + 1] == "127.0.0.1:6637"
    web = fake_home(tmp_path / "web", webapp=True)
    assert daemon_command("java", web, spec, "ui")[:3] == ui[:3]  # Jetty would bind everything
    routable = ClusterSpec(state_dir=tmp_path / "s", port_offset=10, host="10.1.2.3")
    real = daemon_command("java", web, routable, "ui")
    assert real[-1] == "org.apache.storm.daemon.ui.UIServer"
    assert f"{web.lib_webapp}/*" in real[real.index("-cp") + 1].split(":")
    logviewer = daemon_command("java", web, routable, "logviewer")
    assert logviewer[-1] == "org.apache.storm.daemon.logviewer.LogviewerServer"
    assert "-Xmx128m" in logviewer
    ours = daemon_command("java", web, spec, "logviewer")  # loopback: stormbridge's
    assert ours[:3] == [sys.executable, "-m", "stormbridge.ui.logviewer"]
    assert ours[ours.index("--port") + 1] == str(spec.ports.logviewer)


def test_resolve_home_prefers_an_official_storm_home(tmp_path: Path) -> None:
    official = fake_home(tmp_path / "apache-storm", official=True)
    home = resolve_home(env={"STORM_HOME": str(official.path)}, cache_root=tmp_path / "c")
    assert home.official and home.version == "2.8.3" and home.path == official.path


def test_resolve_home_without_provisioning_says_how(tmp_path: Path) -> None:
    not_storm = tmp_path / "x"
    not_storm.mkdir()
    with pytest.raises(StormHomeError, match="sparse cluster provision") as info:
        resolve_home(env={"STORM_HOME": str(not_storm)}, cache_root=tmp_path / "c")
    assert "not an official Storm distribution" in str(info.value)


def test_provision_is_a_no_op_once_complete(tmp_path: Path) -> None:
    home = fake_home(tmp_path / "storm-2.8.3")
    (home.path / ".complete").write_text("{}")
    (home.path / ".step-loopback").write_text("{}")
    said: list[str] = []
    # No Maven, no Java needed: the completed marker short-circuits.
    result = provision("2.8.3", cache_root=tmp_path, progress=said.append, env={"PATH": ""})
    assert result.path == home.path
    assert said == [f"Storm 2.8.3 is already provisioned at {home.path}"]
    assert resolve_home("2.8.3", cache_root=tmp_path, env={}).path == home.path


def test_missing_tools_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(StormHomeError, match="make system-deps"):
        find_maven({"PATH": str(tmp_path)})
    with pytest.raises(StormHomeError, match="openjdk-17-jdk-headless"):
        find_java({"JAVA_HOME": str(tmp_path / "nojdk")})
    java_home = str(Path(find_java()).resolve().parent.parent)
    env = {"PATH": str(tmp_path), "JAVA_HOME": java_home}
    with pytest.raises(StormHomeError, match=r"Maven \(mvn\) is needed"):
        provision("9.9.9", cache_root=tmp_path, env=env)
    with pytest.raises(StormHomeError, match="Java 17 or newer is needed"):
        provision("9.9.9", cache_root=tmp_path, env={"PATH": str(tmp_path)})


def test_old_java_is_refused(tmp_path: Path) -> None:
    fake_jdk = tmp_path / "jdk" / "bin"
    fake_jdk.mkdir(parents=True)
    java = fake_jdk / "java"
    java.write_text("#!/bin/sh\necho 'openjdk version \"11.0.2\" 2019-01-15' >&2\n")
    java.chmod(0o755)
    with pytest.raises(StormHomeError, match="needs Java 17"):
        find_java({"JAVA_HOME": str(tmp_path / "jdk")})
    assert _java_major('java version "1.8.0_392"') == 8
    assert _java_major('openjdk version "17.0.15" 2025-04-15') == 17
    assert _java_major('openjdk version "21" 2023-09-19') == 21


def test_pom_is_valid_maven_xml_with_exclusions() -> None:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(_pom("2.8.3", "storm-core", [("org.apache.storm", "storm-clojure")]))
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    dep = root.find("m:dependencies/m:dependency", ns)
    assert dep is not None
    assert dep.findtext("m:artifactId", namespaces=ns) == "storm-core"
    assert dep.findtext("m:version", namespaces=ns) == "2.8.3"
    excl = dep.find("m:exclusions/m:exclusion/m:artifactId", ns)
    assert excl is not None and excl.text == "storm-clojure"


def test_public_comes_from_the_webapp_jars_web_inf(tmp_path: Path) -> None:
    (tmp_path / "lib-webapp").mkdir()
    with zipfile.ZipFile(tmp_path / "lib-webapp" / "storm-webapp-2.8.3.jar", "w") as zf:
        zf.writestr("WEB-INF/index.html", "<html/>")
        zf.writestr("WEB-INF/js/app.js", "x")
        zf.writestr("org/apache/storm/X.class", b"\xca\xfe")
    _extract_public(tmp_path, "2.8.3")
    files = sorted(
        str(p.relative_to(tmp_path / "public")) for p in (tmp_path / "public").rglob("*")
    )
    assert files == ["index.html", "js", "js/app.js"]


def test_java_command_for_real_java_exists() -> None:
    java = find_java()
    out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    assert (_java_major(out.stderr) or 0) >= 17
