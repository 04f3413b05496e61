"""Deploy-over-SSH timing: `sparse update_virtualenv` to 2 hosts, first and unchanged.

Two OpenSSH servers on 127.0.0.21/22 (one port), each in its own mount namespace with a
private tmpfs for the virtualenvs (so each host builds its own), key-only login; the project
is the word count with ``virtualenvs/wordcount.txt`` = ``stormbridge`` + ``tabulate``. Runs:
(1) empty wheel cache (``$STORMBRIDGE_CACHE`` in a temporary folder: pip wheel from PyPI + the
stormbridge wheel), (2) the same deploy with ``--overwrite_virtualenv`` (cached wheels: upload +
venv + offline install on both hosts), (3) unchanged (hash equal: skipped). Needs root and
openssh-server. Run it under the heavy lock: ``flock /tmp/stormbridge-heavy.lock .venv/bin/python
bench/deploy_ssh.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOT = "/srv/stormbridge-bench"


def keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="stormbridge-bench-deploy-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)
        keygen(work / "id")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        addresses = ["127.0.0.21", "127.0.0.22"]
        for address in addresses:
            keygen(work / f"hostkey-{address}")
            config = work / f"sshd-{address}"
            config.write_text(
                f"ListenAddress {address}\nPort {port}\nHostKey {work}/hostkey-{address}\n"
                f"AuthorizedKeysFile {work}/id.pub\nPasswordAuthentication no\nUsePAM no\n"
                "StrictModes no\nPidFile none\nSubsystem sftp internal-sftp\n"
            )
            script = (
                f'mkdir -p {ROOT} && mount -t tmpfs tmpfs {ROOT} && exec /usr/sbin/sshd -D -f "$0"'
            )
            procs.append(
                subprocess.Popen(
                    [
                        "unshare",
                        "--mount",
                        "--propagation",
                        "private",
                        "sh",
                        "-c",
                        script,
                        str(config),
                    ],
                    start_new_session=True,
                )
            )
        for address in addresses:
            for _ in range(200):
                try:
                    socket.create_connection((address, port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.05)
        project = work / "wc"
        shutil.copytree(REPO / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(REPO / "topologies", project / "topologies")
        (project / "virtualenvs").mkdir()
        (project / "virtualenvs" / "wordcount.txt").write_text("stormbridge\ntabulate\n")
        env = {
            "nimbus": "127.0.0.1:1", "workers": addresses, "user": "root", "ssh_port": port,
            "ssh_key": str(work / "id"), "use_virtualenv": True, "virtualenv_root": f"{ROOT}/v",
        }  # fmt: skip
        (project / "config.json").write_text(
            json.dumps({"topology_specs": "topologies/", "virtualenv_specs": "virtualenvs/",
                        "envs": {"prod": env}})
        )  # fmt: skip
        base = [sys.executable, "-m", "stormbridge.cli.main", "update_virtualenv", "--config",
                str(project / "config.json")]  # fmt: skip
        environ = {**os.environ, "STORMBRIDGE_CACHE": str(work / "cache")}
        results = {}
        for label, extra in [
            ("first deploy, empty wheel cache", []),
            ("first deploy, wheels cached (--overwrite_virtualenv)", ["--overwrite_virtualenv"]),
            ("unchanged redeploy (skipped by hash)", []),
        ]:
            t0 = time.monotonic()
            done = subprocess.run([*base, *extra], env=environ, capture_output=True, text=True)
            results[label] = time.monotonic() - t0
            if done.returncode != 0:
                print(done.stdout, done.stderr, file=sys.stderr)
                return 1
            print(done.stdout.strip().splitlines()[-1])
        load = Path("/proc/loadavg").read_text().split()[:3]
        for label, secs in results.items():
            print(f"| {label} | {secs:.1f} s |")
        print(f"load average after: {' '.join(load)}")
        return 0
    finally:
        for proc in procs:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
