"""provision() reports each Maven step's progress (files and bytes downloaded, read from Maven's
log while it runs; jars and bytes copied) through on_step. Maven is a stand-in program run for
real (``$MAVEN``) that prints Maven's download lines and writes real jars slowly."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from stormbridge.storm.home import provision
from stormbridge.storm.maven import StepProgress, maven_downloads

FAKE_MVN = r"""
import re, sys, time, zipfile
from pathlib import Path
args = sys.argv[1:]
pom = Path(args[args.index("-f") + 1]).read_text()
artifact = re.findall(r"<artifactId>([^<]+)</artifactId>", pom)[1]
version = re.findall(r"<version>([^<]+)</version>", pom)[1]
out = Path(next(a.split("=", 1)[1] for a in args if a.startswith("-DoutputDirectory=")))
print("[INFO] Scanning for projects...", flush=True)
for i, size in enumerate(("1.5 MB", "250 kB", "12 B")):
    print(f"Downloading from central: https://repo/x/{artifact}-{i}.jar", flush=True)
    print(f"Downloaded from central: https://repo/x/{artifact}-{i}.jar ({size} at 2.0 MB/s)",
          flush=True)
    time.sleep(0.4)
out.mkdir(parents=True)
names = [artifact, "dep-a", "dep-b"]
names += {"storm-core": ["storm-server"], "storm-client": []}.get(artifact, [])
for name in names:
    with zipfile.ZipFile(out / f"{name}-{version}.jar", "w") as zf:
        zf.writestr("WEB-INF/index.html" if artifact == "storm-webapp" else "x.txt", "x" * 5000)
    time.sleep(0.3)
print("[INFO] BUILD SUCCESS", flush=True)
"""


def test_maven_download_lines() -> None:
    text = (
        "[INFO] Downloaded from central: https://r/a.pom (2.1 kB at 9.0 kB/s)\n"
        "Downloading from central: https://r/b.jar\n"
        "Downloaded from central: https://r/b.jar (1.5 MB at 2 MB/s)\n"
        "Downloaded from mirror: https://r/c.jar (12 B at 1 B/s)\n"
    )
    assert maven_downloads(text) == (3, 2100 + 1_500_000 + 12)
    assert maven_downloads("[INFO] BUILD SUCCESS\n") == (0, 0)


@pytest.fixture
def fake_maven(tmp_path: Path) -> Path:
    script = tmp_path / "mvn"
    script.write_text(f"#!{sys.executable}\n{FAKE_MVN}")
    script.chmod(0o755)
    return script


def test_provision_reports_counts_and_bytes(tmp_path: Path, fake_maven: Path) -> None:
    java = subprocess.run(["sh", "-c", "command -v java"], capture_output=True, text=True)
    if not java.stdout.strip():
        pytest.skip("needs Java 17+ (make system-deps)")
    events: list[StepProgress] = []
    said: list[str] = []
    env = {**os.environ, "MAVEN": str(fake_maven)}
    home = provision(
        "9.9.9", cache_root=tmp_path / "cache", progress=said.append, env=env,
        on_step=events.append,
    )  # fmt: skip
    assert home.path == tmp_path / "cache" / "storm-9.9.9"
    assert [e.step for e in events if e.done] == ["lib", "lib-worker", "lib-webapp"]
    lib = [e for e in events if e.step == "lib"]
    assert len(lib) >= 3  # reported while Maven ran, not only at the end
    assert all(e.number == 1 and e.steps == 3 for e in lib)
    downloads = [e.downloads for e in lib]
    assert downloads == sorted(downloads) and downloads[0] < 3  # counted as the lines came
    final = lib[-1]
    jars = sorted((home.path / "lib").glob("*.jar"))
    assert final.done and final.downloads == 3
    assert final.download_bytes == 1_500_000 + 250_000 + 12
    assert final.jars == len(jars) == 4
    assert final.jar_bytes == sum(j.stat().st_size for j in jars)
    assert "  [1/3] lib/: storm-core 9.9.9 and its dependencies (Maven)..." in said
    assert (
        f"  lib/: 4 jars, {final.jar_bytes / 2**20:.1f} MiB (3 files, 1.7 MiB downloaded)" in said
    )
    with zipfile.ZipFile(jars[0]) as zf:  # real jars were written
        assert zf.namelist() == ["x.txt"]
