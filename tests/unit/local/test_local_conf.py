"""Pure parts of stormbridge.storm.local.process: the topology conf, the log4j2 file, the runner's
control lines, and ``sparse run``'s arguments."""

from __future__ import annotations

import argparse
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from stormbridge.cli.main import build_parser
from stormbridge.cli.run import _seconds, _select_env
from stormbridge.errors import ClusterError
from stormbridge.project.config import parse_config
from stormbridge.storm.local.process import free_port
from stormbridge.storm.local.run import local_topology_conf
from stormbridge.storm.local.runner import LOG4J2_TEMPLATE, RUNNER_SOURCE, render_log4j2


def test_local_conf_forces_one_worker_and_one_acker() -> None:
    conf = local_topology_conf({"topology.workers": 4, "topology.acker.executors": 3})
    assert conf["topology.workers"] == 1
    assert conf["topology.acker.executors"] == 1


def test_local_conf_keeps_zero_ackers() -> None:
    assert local_topology_conf({"topology.acker.executors": 0})["topology.acker.executors"] == 0


def test_local_conf_defaults_max_spout_pending_but_keeps_the_users() -> None:
    assert local_topology_conf({})["topology.max.spout.pending"] == 1000
    conf = local_topology_conf({"topology.max.spout.pending": 7})
    assert conf["topology.max.spout.pending"] == 7


def test_local_conf_environment_adds_unbuffered_python() -> None:
    conf = local_topology_conf({"topology.environment": {"A": "1"}, "x": True})
    assert conf["topology.environment"] == {"PYTHONUNBUFFERED": "1", "A": "1"}
    assert conf["x"] is True
    # the user's value wins
    conf = local_topology_conf({"topology.environment": {"PYTHONUNBUFFERED": "0"}})
    assert conf["topology.environment"] == {"PYTHONUNBUFFERED": "0"}


def test_local_conf_does_not_change_its_input() -> None:
    original = {"topology.environment": {"A": "1"}}
    local_topology_conf(original)
    assert original == {"topology.environment": {"A": "1"}}


def test_local_conf_rejects_a_non_mapping_environment() -> None:
    with pytest.raises(ClusterError, match=r"topology\.environment"):
        local_topology_conf({"topology.environment": ["A=1"]})


def test_log4j2_is_valid_xml_with_one_logger_per_component(tmp_path: Path) -> None:
    log_file = tmp_path / 'odd "dir" & <name>' / "storm.log"
    text = render_log4j2(log_file, ["count_bolt", "word_spout", "count_bolt"])
    root = ET.fromstring(text)
    files = root.findall("./Appenders/File")
    assert [f.get("fileName") for f in files] == [str(log_file)]
    names = [logger.get("name") for logger in root.findall("./Loggers/Logger")]
    assert names.count("count_bolt") == 1 and "word_spout" in names
    for name in ("count_bolt", "word_spout"):
        logger = root.find(f"./Loggers/Logger[@name='{name}']")
        assert logger is not None and logger.get("additivity") == "false"
        refs = {ref.get("ref") for ref in logger.findall("AppenderRef")}
        assert refs == {"TERMINAL", "FILE"}
    assert "@" not in text.replace("%d{", "")  # every placeholder filled


def test_log4j2_sends_the_shell_classes_python_logs_and_warnings_to_the_terminal() -> None:
    """Storm's ShellBolt/ShellSpout and stormbridge's batched classes (package
    stormbridge.multilang) log a Python component's ``log`` command as "ShellLog ..." lines:
    those reach the terminal at any level, and the classes' own lines from a threshold on."""
    root = ET.fromstring(render_log4j2(Path("/x.log"), []))
    thresholds = {}
    for name in (
        "org.apache.storm.task.ShellBolt",
        "org.apache.storm.spout.ShellSpout",
        "stormbridge.multilang",
    ):
        logger = root.find(f"./Loggers/Logger[@name='{name}']")
        assert logger is not None, name
        assert logger.get("level") == "INFO" and logger.get("additivity") == "false"
        assert {r.get("ref") for r in logger.findall("AppenderRef")} == {"TERMINAL", "FILE"}
        regex = logger.find("./AppenderRef[@ref='TERMINAL']/Filters/RegexFilter")
        assert regex is not None and regex.get("regex") == "(?s)ShellLog .*"
        assert regex.get("onMatch") == "ACCEPT" and regex.get("onMismatch") == "NEUTRAL"
        threshold = logger.find("./AppenderRef[@ref='TERMINAL']/Filters/ThresholdFilter")
        assert threshold is not None and threshold.get("onMismatch") == "DENY"
        thresholds[name] = threshold.get("level")
    assert thresholds["stormbridge.multilang"] == "WARN"
    assert thresholds["org.apache.storm.task.ShellBolt"] == "ERROR"


def test_log4j2_terminal_layout_is_the_one_local_output_parses() -> None:
    root = ET.fromstring(render_log4j2(Path("/x.log"), []))
    props = {p.get("name"): p.text for p in root.findall("./Properties/Property")}
    assert props["console_layout"] == (
        "%d{HH:mm:ss}\t%p\t%c\t%enc{%m}{JSON}\t%enc{%throwable}{JSON}%n"
    )


def test_runner_source_and_template_ship_with_the_package() -> None:
    assert RUNNER_SOURCE.is_file() and LOG4J2_TEMPLATE.is_file()
    source = RUNNER_SOURCE.read_text()
    for marker in ("READY port=", "STOPPED", "EXITING", "FAILED", '"127.0.0.1"'):
        assert marker in source


def test_free_port_is_bindable_on_loopback() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


@pytest.mark.parametrize(("text", "value"), [("0", 0.0), ("25", 25.0), ("1.5", 1.5)])
def test_time_accepts_seconds(text: str, value: float) -> None:
    assert _seconds(text) == value


@pytest.mark.parametrize("text", ["-1", "abc", "nan", "inf"])
def test_time_rejects_nonsense(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        _seconds(text)


def test_run_parser_has_streamparse_flags() -> None:
    args = build_parser().parse_args(
        ["run", "-n", "wordcount", "-e", "local", "-t", "25", "-o", "a=1", "-o", "b=x",
         "-w", "2", "-a", "0", "-d", "--config", "c.json"]
    )  # fmt: skip
    assert args.name == "wordcount" and args.environment == "local"
    assert args.time == 25.0 and args.options == ["a=1", "b=x"]
    assert args.workers == 2 and args.ackers == 0 and args.debug is True
    assert args.config == "c.json" and args.nimbus_port == 0
    assert args.func.__module__ == "stormbridge.cli.run"


def test_run_defaults_to_until_interrupted() -> None:
    args = build_parser().parse_args(["run"])
    assert args.time == 0.0 and args.name is None and args.environment is None


def _config(envs: dict[str, object]) -> object:
    return parse_config({"topology_specs": "topologies/", "envs": envs}, path=Path("/p/c.json"))


def test_env_selection_prefers_the_named_then_the_only_then_local() -> None:
    two = _config({"local": {"nimbus": "h:1"}, "prod": {"nimbus": "p:1"}})
    assert _select_env(two, "prod").name == "prod"  # type: ignore[union-attr]
    assert _select_env(two, None).name == "local"  # type: ignore[union-attr]
    only = _config({"prod": {"nimbus": "p:1"}})
    assert _select_env(only, None).name == "prod"  # type: ignore[union-attr]
    none_local = _config({"a": {"nimbus": "p:1"}, "b": {"nimbus": "q:1"}})
    assert _select_env(none_local, None) is None


def test_jvm_command_puts_storm_runner_resources_and_extra_jars_on_the_classpath(
    tmp_path: Path,
) -> None:
    from stormbridge.storm.home import StormHome
    from stormbridge.storm.local.process import LocalStorm
    from stormbridge.storm.local.runner import RUNNER_CLASS

    home = StormHome(path=tmp_path / "storm", version="2.8.3")
    storm = LocalStorm(
        home, tmp_path / "run", java="/jdk/bin/java", heap_mb=512,
        extra_classpath=[tmp_path / "dep.jar"],
    )  # fmt: skip
    cmd = storm.command(tmp_path / "classes", tmp_path / "conf.json", tmp_path / "log4j2.xml")
    assert cmd[0] == "/jdk/bin/java" and "-Xmx512m" in cmd
    classpath = cmd[cmd.index("-cp") + 1].split(":")
    assert classpath == [
        f"{home.path}/lib/*", f"{tmp_path}/classes", f"{tmp_path}/run", f"{tmp_path}/dep.jar"
    ]  # fmt: skip
    assert cmd[-2:] == [RUNNER_CLASS, f"{tmp_path}/conf.json"]
    assert f"-Dlog4j.configurationFile={tmp_path}/log4j2.xml" in cmd
    assert f"-Djava.io.tmpdir={tmp_path}/run/tmp" in cmd
    assert f"-Dstorm.home={home.path}" in cmd


def test_local_storm_refuses_a_workdir_without_resources(tmp_path: Path) -> None:
    from stormbridge.storm.home import StormHome
    from stormbridge.storm.local.process import LocalStorm

    storm = LocalStorm(StormHome(path=tmp_path, version="2.8.3"), tmp_path, java="java")
    with pytest.raises(ClusterError, match="no resources/"):
        storm.start()
    assert storm.poll() is None and storm.stop() is None
