"""`sparse submit` / `update_virtualenv` deploying a virtualenv over real SSH (OpenSSH's sshd on
loopback, one private /srv per host), with a real Thrift Nimbus (FakeNimbus) behind.

The requirements name ``tabulate`` (not in the system Python: its wheel is downloaded from PyPI
here, on the submitting side) and ``stormbridge`` (built from this checkout); the hosts have a
dead package index (``PIP_INDEX_URL`` set by sshd), so only ``--no-index`` installs succeed.
"""

from __future__ import annotations

import json
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from stormbridge.cli.main import main
from stormbridge.storm.multilang import shell_command
from stormbridge.testing.nimbus import FakeNimbus

from .conftest import HOST_ROOT, SSHHost, SSHKeys

REPO = Path(__file__).resolve().parents[3]
VENV_ROOT = f"{HOST_ROOT}/venvs"

HOOKS = """
import json, os
def pre_submit(topology_name, env_name, env_config, options):
    with open(os.environ["HOOK_LOG"], "a") as f:
        f.write(json.dumps(["fabfile.pre", topology_name, env_name, env_config["user"],
                            options["topology.workers"]]) + "\\n")
def post_submit(topology_name, env_name, env_config, options):
    with open(os.environ["HOOK_LOG"], "a") as f:
        f.write(json.dumps(["fabfile.post", topology_name]) + "\\n")
"""
INVOKE_TASKS = """
import json, os
from invoke import task
@task
def post_submit(c, topology_name, env_name, env_config, options):
    raise AssertionError("an invoke task is called through its body, without a Context")
"""
INVOKE_TASKS_BODY = """
import json, os
from invoke import task
@task
def pre_submit(topology_name, env_name, env_config, options):
    with open(os.environ["HOOK_LOG"], "a") as f:
        f.write(json.dumps(["tasks.pre", topology_name]) + "\\n")
"""


@pytest.fixture
def nimbus() -> Iterator[FakeNimbus]:
    with FakeNimbus() as fake:
        yield fake


def make_project(
    root: Path, nimbus: str, hosts: list[SSHHost], keys: SSHKeys, **env: object
) -> Path:
    shutil.copytree(REPO / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "topologies", root / "topologies")
    (root / "virtualenvs").mkdir()
    (root / "virtualenvs" / "wordcount.txt").write_text("stormbridge\ntabulate\n")
    config = {
        "serializer": "json",
        "topology_specs": "topologies/",
        "virtualenv_specs": "virtualenvs/",
        "envs": {
            "prod": {
                "nimbus": nimbus,
                "workers": [h.address for h in hosts],
                "user": "root",
                "ssh_port": hosts[0].port,
                "ssh_key": str(keys.private),
                "use_virtualenv": True,
                "virtualenv_root": VENV_ROOT,
                "options": {"topology.workers": 2},
                **env,
            }
        },
    }
    (root / "config.json").write_text(json.dumps(config))
    return root / "config.json"


def probe(host: SSHHost, venv: str, modules: str = "tabulate, orjson, stormbridge") -> str:
    """Import ``modules`` with the host's virtualenv (run inside the host)."""
    code = f"import {modules}, sys, tabulate; print(sys.prefix, tabulate.__name__)"
    return host.run(f"{venv}/bin/python", "-c", code).stdout.strip()


def _default_sigint() -> None:
    """In the child: SIGINT as a terminal would deliver it (a background test run inherits it
    ignored, and Python then never raises KeyboardInterrupt)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_submit_deploys_skips_unchanged_and_overwrites(
    ssh_hosts: Callable[..., list[SSHHost]],
    ssh_keys: SSHKeys,
    nimbus: FakeNimbus,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hosts = ssh_hosts(2)
    config = make_project(tmp_path / "wc", "{}:{}".format(*nimbus.address), hosts, ssh_keys)
    (config.parent / "fabfile.py").write_text(HOOKS)
    (config.parent / "tasks.py").write_text(INVOKE_TASKS_BODY)
    hook_log = tmp_path / "hooks.log"
    monkeypatch.setenv("HOOK_LOG", str(hook_log))
    venv = f"{VENV_ROOT}/wordcount"

    t0 = time.monotonic()
    assert main(["submit", "--config", str(config)]) == 0, capsys.readouterr().err
    first = time.monotonic() - t0
    out = capsys.readouterr().out
    for host in hosts:
        assert f"[{host.address}] virtualenv created" in out
        assert probe(host, venv) == f"{venv} tabulate"
        assert host.run("cat", f"{venv}/.stormbridge-deploy").stdout.strip()
    assert not Path(venv).exists()  # on the hosts only, not on this machine
    assert re.search(r"127\.0\.0\.11\s+created", out) and re.search(r"127\.0\.0\.12\s+created", out)
    topo = nimbus.topologies["wordcount"]
    shell = shell_command(topo.topology.bolts["count_bolt"].bolt_object)
    assert shell is not None
    script = shell.script
    with zipfile.ZipFile(config.parent / "_build" / "wordcount.jar") as zf:
        assert f"{venv}/bin/python".encode() in zf.read(f"resources/{script}")
    assert [json.loads(line) for line in hook_log.read_text().splitlines()] == [
        ["tasks.pre", "wordcount"],
        ["fabfile.pre", "wordcount", "prod", "root", 2],
        ["fabfile.post", "wordcount"],
    ]

    # unchanged requirements: every host skips the build
    t0 = time.monotonic()
    assert main(["submit", "--config", str(config), "--force", "--wait", "0"]) == 0
    again = time.monotonic() - t0
    out = capsys.readouterr().out
    print(
        f"\nsubmit with a virtualenv deployed to 2 hosts: first {first:.1f} s, "
        f"unchanged {again:.1f} s",
        file=sys.__stderr__,
    )
    for host in hosts:
        assert f"[{host.address}] virtualenv unchanged" in out and "skipped the build" in out
        assert f"[{host.address}] uploading" not in out

    # --overwrite_virtualenv rebuilds; a changed requirements file does too
    marker = f"{venv}/marker"
    hosts[0].run("touch", marker)
    assert main(["update_virtualenv", "--config", str(config), "--overwrite_virtualenv"]) == 0
    out = capsys.readouterr().out
    assert f"[{hosts[0].address}] virtualenv rebuilt" in out
    assert "2 rebuilt, 0 unchanged on 2 host(s)" in out
    assert hosts[0].run("test", "-e", marker, check=False).returncode == 1
    assert probe(hosts[0], venv) == f"{venv} tabulate"


def test_a_host_whose_sshd_is_stopped_fails_by_name_and_nothing_is_submitted(
    ssh_hosts: Callable[..., list[SSHHost]],
    ssh_keys: SSHKeys,
    nimbus: FakeNimbus,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    hosts = ssh_hosts(2)
    hosts[1].stop()
    config = make_project(tmp_path / "wc", "{}:{}".format(*nimbus.address), hosts, ssh_keys)
    assert main(["submit", "--config", str(config), "--pool_size", "1"]) == 1
    out, err = capsys.readouterr()
    assert f"[{hosts[0].address}] virtualenv created" in out
    assert re.search(rf"{re.escape(hosts[1].address)}\s+failed", out)
    assert "could not be deployed to 1 of 2 worker host(s), so nothing was submitted" in err
    assert f"{hosts[1].address}: cannot log in over SSH as root@{hosts[1].address}:" in err
    assert "Connection refused" in err or "Unable to connect" in err
    assert nimbus.topologies == {}
    assert "beginFileUpload" not in nimbus.calls and "submitTopologyWithOpts" not in nimbus.calls


def test_hostile_virtualenv_name_reaches_no_shell(
    ssh_hosts: Callable[..., list[SSHHost]],
    ssh_keys: SSHKeys,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (host,) = ssh_hosts(1)
    # runs `touch pwned-h3` (in the login's home, /root) if it ever reaches a shell unquoted
    name = 'x\' "$(touch pwned-h3)" `touch pwned-h3`; touch pwned-h3 #'
    config = make_project(tmp_path / "wc", "127.0.0.1:1", [host], ssh_keys, virtualenv_name=name)
    (config.parent / "virtualenvs" / f"{name}.txt").write_text("tabulate\n")
    home_before = set(host.run("ls", "-A", "/root").stdout.split())
    assert main(["update_virtualenv", "--config", str(config)]) == 0, capsys.readouterr().err
    assert "pwned-h3" not in home_before | set(host.run("ls", "-A", "/root").stdout.split())
    assert not Path("pwned-h3").exists()
    # its requirements are tabulate alone (orjson is always added)
    assert probe(host, f"{VENV_ROOT}/{name}", "orjson") == f"{VENV_ROOT}/{name} tabulate"
    assert host.run("ls", VENV_ROOT).stdout.splitlines() == [name]


def test_use_ssh_for_nimbus_tunnels_to_a_nimbus_bound_to_its_host_address(
    ssh_hosts: Callable[..., list[SSHHost]],
    ssh_keys: SSHKeys,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (host,) = ssh_hosts(1, log_level="DEBUG1")
    with FakeNimbus(host=host.address) as nimbus:  # only on the "Nimbus host"'s address
        config = make_project(
            tmp_path / "wc",
            "{}:{}".format(*nimbus.address),
            [host],
            ssh_keys,
            use_ssh_for_nimbus=True,
            install_virtualenv=False,
        )
        assert main(["submit", "--config", str(config)]) == 0, capsys.readouterr().err
        out = capsys.readouterr().out
        assert "wordcount" in nimbus.topologies
    local = re.search(r"to Nimbus 127\.0\.0\.1:(\d+)", out)
    assert local, out  # talked to the tunnel's local end
    assert f"target {host.address} port {nimbus.address[1]}" in host.log_text()
    with socket.socket() as sock:  # the tunnel is closed once the command is done
        assert sock.connect_ex(("127.0.0.1", int(local.group(1)))) != 0


def test_tail_follows_a_hosts_worker_log_until_ctrl_c(
    ssh_hosts: Callable[..., list[SSHHost]], ssh_keys: SSHKeys, tmp_path: Path
) -> None:
    (host,) = ssh_hosts(1)
    logs = f"{HOST_ROOT}/logs"
    folder = f"{logs}/workers-artifacts/wordcount-1-1700000000/6700"
    host.run("mkdir", "-p", folder)
    host.run("sh", "-c", f"echo first line > {folder}/worker.log")
    config = make_project(tmp_path / "wc", "127.0.0.1:1", [host], ssh_keys, log={"path": logs})
    follow = subprocess.Popen(
        [sys.executable, "-m", "stormbridge.cli.main", "tail", "--config", str(config), "-f"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
        preexec_fn=_default_sigint,
    )  # fmt: skip
    try:
        assert follow.stdout is not None
        lines: list[str] = []
        end = time.monotonic() + 60
        while time.monotonic() < end and not any("second line" in x for x in lines):
            ready, _, _ = select.select([follow.stdout], [], [], 1.0)
            if ready:
                lines.append(follow.stdout.readline())
            if any("first line" in x for x in lines):
                host.run("sh", "-c", f"echo second line >> {folder}/worker.log")
        assert f"{host.address} | first line\n" in lines
        assert f"{host.address} | second line\n" in lines
        follow.send_signal(signal.SIGINT)
        follow.communicate(timeout=30)  # drains the pipes while it stops
        assert follow.returncode == 130
    finally:
        if follow.poll() is None:
            follow.kill()
            follow.wait()
