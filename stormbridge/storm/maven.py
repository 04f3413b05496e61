"""Running Maven for a Storm home: one ``copy-dependencies`` step on a throw-away pom, with
its progress (files and bytes downloaded, read from Maven's log; jars copied) reported while it
runs. Used by :mod:`stormbridge.storm.home`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEPENDENCY_PLUGIN",
    "MAVEN_TIMEOUT_SECS",
    "MavenStep",
    "StepCallback",
    "StepProgress",
    "copy_dependencies",
    "jars_in",
    "maven_downloads",
    "pom",
]

#: The Maven plugin that copies an artifact and its runtime dependencies into a directory.
#: Maven 3.8's built-in default (2.8) is too old for the options used here: name it explicitly.
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1"

#: How long one Maven step may take (a cold ~/.m2 downloads ~150 MB).
MAVEN_TIMEOUT_SECS = 1800


@dataclass(frozen=True)
class StepProgress:
    """Where one Maven step of :func:`provision` stands."""

    step: str  #: the directory it fills: ``lib``, ``lib-worker``, ``lib-webapp``
    number: int  #: 1-based position among the steps
    steps: int  #: how many Maven steps there are
    downloads: int = 0  #: artifacts (poms and jars) Maven downloaded so far in this step
    download_bytes: int = 0  #: their bytes, as Maven reports them
    jars: int = 0  #: jars in the step's directory so far
    jar_bytes: int = 0  #: their bytes
    done: bool = False  #: the step finished (successfully or not)


StepCallback = Callable[[StepProgress], None]

#: Seconds between two ``on_step`` reports while Maven runs.
STEP_REPORT_INTERVAL = 0.5
#: A line Maven prints for each file it downloads, e.g.
#: ``Downloaded from central: https://…/storm-core-2.8.3.jar (12 MB at 3.1 MB/s)``.
_DOWNLOADED = re.compile(r"Downloaded from [^:]+: \S+ \((\d+(?:\.\d+)?) (B|kB|KB|MB|GB)\b")
_UNITS = {"B": 1, "kB": 1000, "KB": 1024, "MB": 1000**2, "GB": 1000**3}


def maven_downloads(text: str) -> tuple[int, int]:
    """(files, bytes) of the ``Downloaded from`` lines in a piece of Maven's output."""
    files = size = 0
    for match in _DOWNLOADED.finditer(text):
        files += 1
        size += int(float(match.group(1)) * _UNITS[match.group(2)])
    return files, size


def jars_in(directory: Path) -> tuple[int, int]:
    """(count, bytes) of the jars in ``directory`` (0, 0 when it does not exist yet)."""
    count = size = 0
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return 0, 0
    for entry in entries:
        if entry.name.endswith(".jar"):
            try:
                size += entry.stat().st_size
            except OSError:
                continue
            count += 1
    return count, size


def pom(version: str, artifact: str, excludes: Iterable[tuple[str, str]]) -> str:
    exclusions = "".join(
        f"<exclusion><groupId>{g}</groupId><artifactId>{a}</artifactId></exclusion>"
        for g, a in excludes
    )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
        "  <modelVersion>4.0.0</modelVersion>\n"
        "  <groupId>stormbridge.provision</groupId>\n"
        f"  <artifactId>{artifact}-home</artifactId>\n"
        "  <version>1</version>\n"
        "  <packaging>pom</packaging>\n"
        "  <dependencies>\n"
        "    <dependency>\n"
        "      <groupId>org.apache.storm</groupId>\n"
        f"      <artifactId>{artifact}</artifactId>\n"
        f"      <version>{version}</version>\n"
        f"      <exclusions>{exclusions}</exclusions>\n"
        "    </dependency>\n"
        "  </dependencies>\n"
        "</project>\n"
    )


@dataclass(frozen=True)
class MavenStep:
    name: str  # directory under the home
    artifact: str
    excludes: tuple[tuple[str, str], ...]
    required: bool


def _maven_errors(log: Path) -> str:
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    errors = [ln.removeprefix("[ERROR] ").strip() for ln in lines if ln.startswith("[ERROR]")]
    errors = [
        e for e in errors if e and not e.startswith(("To see", "Re-run", "For more", "[Help"))
    ]
    return " | ".join(errors[:3]) or "see the log"


def _run_maven(
    cmd: list[str], cwd: str, env: Mapping[str, str], log: Path, watch: Callable[[str], None]
) -> int | str:
    """Run Maven with its output appended to ``log``; call ``watch(new log text)`` about every
    :data:`STEP_REPORT_INTERVAL` seconds. Return its exit code, or why it could not run."""
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        start = out.tell()
        try:
            proc = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=cwd, env=dict(env),
            )  # fmt: skip
        except OSError as exc:
            return f"cannot run {cmd[0]}: {exc}"
    deadline = time.monotonic() + MAVEN_TIMEOUT_SECS
    with log.open("r", errors="replace") as reader:
        reader.seek(start)
        while True:
            try:
                code = proc.wait(timeout=STEP_REPORT_INTERVAL)
            except subprocess.TimeoutExpired:
                code = None
            watch(reader.read())
            if code is not None:
                return code
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                return f"Maven took longer than {MAVEN_TIMEOUT_SECS} s"


def copy_dependencies(
    mvn: str,
    home: Path,
    step: MavenStep,
    version: str,
    log: Path,
    env: Mapping[str, str],
    report: Callable[[int, int, int, int], None] = lambda *_: None,
) -> str | None:
    """Run Maven for one step; return None on success or the error summary on failure.

    ``report(downloads, download_bytes, jars, jar_bytes)`` is called while Maven runs.
    """
    partial = home / f"{step.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=f"stormbridge-{step.name}-") as tmp:
        pom_file = Path(tmp) / "pom.xml"
        pom_file.write_text(pom(version, step.artifact, step.excludes))
        cmd = [
            mvn, "-B", "-f", str(pom_file),
            f"{DEPENDENCY_PLUGIN}:copy-dependencies",
            f"-DoutputDirectory={partial}",
            "-DincludeScope=runtime",
        ]  # fmt: skip
        seen = [0, 0]

        def watch(text: str) -> None:
            files, size = maven_downloads(text)
            seen[0] += files
            seen[1] += size
            report(seen[0], seen[1], *jars_in(partial))

        code = _run_maven(cmd, tmp, env, log, watch)
    if isinstance(code, str):
        shutil.rmtree(partial, ignore_errors=True)
        return code
    if code != 0:
        shutil.rmtree(partial, ignore_errors=True)
        return _maven_errors(log)
    jar = partial / f"{step.artifact}-{version}.jar"
    if not jar.exists():
        shutil.rmtree(partial, ignore_errors=True)
        return f"Maven succeeded but {jar.name} is not among the copied jars"
    target = home / step.name
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return None
