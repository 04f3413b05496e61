"""A Storm home: the directory layout Storm's daemons expect, provisioned from Maven Central.

An official Storm distribution has ``lib/`` (daemons), ``lib-worker/`` (worker JVMs),
``lib-webapp/`` (UI, logviewer), ``public/`` (the UI's static files), ``conf/``, ``log4j2/``,
``extlib/`` and ``extlib-daemon/``. :func:`provision` builds the same layout in a per-user cache
with Maven's ``copy-dependencies`` on throw-away poms, one step at a time:

* each step writes into ``<dir>.partial`` and renames it when Maven succeeded, then drops a
  ``.step-<name>`` marker: an interrupted run resumes at the first unfinished step;
* ``.complete`` (JSON) is written last: once it exists, :func:`provision` does nothing.

Progress reaches the caller through two callbacks: ``progress(message)`` for each step, and
``on_step(StepProgress)`` about twice a second while Maven works (artifacts and bytes it
downloaded so far, read from its log; jars and bytes in the step's directory) and once when
the step is done. Only ``cli/`` renders them.

:func:`resolve_home` prefers ``$STORM_HOME`` when it points at an official distribution.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import StormHomeError
from . import DEFAULT_STORM_VERSION
from .maven import (
    DEPENDENCY_PLUGIN,
    MavenStep,
    StepCallback,
    StepProgress,
    copy_dependencies,
    jars_in,
)

__all__ = [
    "DEPENDENCY_PLUGIN",
    "INSTALL_HINT",
    "LOOPBACK_PLUGIN",
    "StepProgress",
    "StormHome",
    "default_cache_root",
    "find_java",
    "find_maven",
    "provision",
    "resolve_home",
    "storm_version",
]

INSTALL_HINT = (
    "install it with `make system-deps` (or `apt-get install openjdk-17-jdk-headless maven`)"
)

Progress = Callable[[str], None]

_TEMPLATES = Path(__file__).with_name("templates")
_LOOPBACK_SOURCE = Path(__file__).with_name("java") / "LoopbackTransportPlugin.java"
#: Our Thrift transport plugin that binds Nimbus and supervisors to one address (extlib/ is on
#: the classpath of daemons and workers alike).
LOOPBACK_JAR = "stormbridge-loopback-transport.jar"
LOOPBACK_PLUGIN = "stormbridge.LoopbackTransportPlugin"
_COMPLETE = ".complete"

# Dependencies a Storm home does not need and that cannot be resolved or that clash:
# storm-clojure pulls carbonite from clojars.org (not Maven Central; only Clojure DSL
# topologies need it); ZooKeeper's reload4j binding would be a second slf4j backend.
_LIB_EXCLUDES: tuple[tuple[str, str], ...] = (
    ("org.apache.storm", "storm-clojure"),
    ("org.slf4j", "slf4j-reload4j"),
    ("ch.qos.reload4j", "reload4j"),
)
# As Storm's own binary assembly does for lib-webapp/.
_WEBAPP_EXCLUDES: tuple[tuple[str, str], ...] = (
    ("org.glassfish.jersey.ext", "jersey-metainf-services"),
    ("org.glassfish.jersey.ext", "jersey-bean-validation"),
    *_LIB_EXCLUDES,
)


def storm_version(env: Mapping[str, str] | None = None) -> str:
    """The Storm version to use: ``$STORMBRIDGE_STORM_VERSION`` or the pinned default."""
    env = os.environ if env is None else env
    return env.get("STORMBRIDGE_STORM_VERSION") or DEFAULT_STORM_VERSION


def default_cache_root(env: Mapping[str, str] | None = None) -> Path:
    """``$STORMBRIDGE_CACHE`` or ``~/.cache/stormbridge`` (``$XDG_CACHE_HOME`` respected)."""
    env = os.environ if env is None else env
    if env.get("STORMBRIDGE_CACHE"):
        return Path(env["STORMBRIDGE_CACHE"]).expanduser()
    xdg = env.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "stormbridge"


@dataclass(frozen=True)
class StormHome:
    """A Storm installation the daemons can run from."""

    path: Path
    version: str
    #: True for an official distribution taken from ``$STORM_HOME`` (read-only for us).
    official: bool = False

    @property
    def lib(self) -> Path:
        return self.path / "lib"

    @property
    def lib_worker(self) -> Path:
        return self.path / "lib-worker"

    @property
    def lib_webapp(self) -> Path:
        return self.path / "lib-webapp"

    @property
    def public(self) -> Path:
        return self.path / "public"

    @property
    def conf_dir(self) -> Path:
        return self.path / "conf"

    @property
    def log4j2_dir(self) -> Path:
        return self.path / "log4j2"

    @property
    def loopback_plugin(self) -> bool:
        """Whether our loopback-binding Thrift transport is installed (``extlib/``)."""
        return (self.path / "extlib" / LOOPBACK_JAR).is_file()

    @property
    def has_webapp(self) -> bool:
        """Whether the UI and logviewer can run (storm-webapp was provisioned)."""
        return any(self.lib_webapp.glob("storm-webapp-*.jar")) and self.public.is_dir()

    def daemon_classpath(self, *, webapp: bool = False) -> str:
        """The classpath ``bin/storm`` gives daemons (``lib-webapp/`` for UI and logviewer)."""
        parts = [self.path / "*", self.lib / "*", self.path / "extlib" / "*"]
        parts.append(self.path / "extlib-daemon" / "*")
        if webapp:
            parts.append(self.lib_webapp / "*")
        parts.append(self.conf_dir)
        return os.pathsep.join(str(p) for p in parts)

    def check(self) -> None:
        """Raise :class:`StormHomeError` naming what is missing from this home."""
        needed = {
            "lib/storm-server-*.jar": self.lib,
            "lib-worker/storm-client-*.jar": self.lib_worker,
        }
        missing = [
            pattern for pattern, d in needed.items() if not any(d.glob(pattern.split("/")[1]))
        ]
        for sub in ("log4j2/cluster.xml", "log4j2/worker.xml"):
            if not (self.path / sub).is_file():
                missing.append(sub)
        if missing:
            raise StormHomeError(
                f"the Storm home {self.path} is incomplete (missing {', '.join(missing)}); "
                "run `sparse cluster provision` (or `make storm`)"
            )


# --- tools --------------------------------------------------------------------------------


def find_java(env: Mapping[str, str] | None = None) -> str:
    """The ``java`` to run daemons with (``$JAVA_HOME/bin/java`` or PATH); Java 17+ required."""
    env = os.environ if env is None else env
    java_home = env.get("JAVA_HOME")
    java = (
        str(Path(java_home) / "bin" / "java")
        if java_home
        else shutil.which("java", path=env.get("PATH"))
    )
    if not java or not Path(java).exists():
        raise StormHomeError(
            f"Java 17 or newer is needed to run Storm but none was found; {INSTALL_HINT}"
        )
    try:
        out = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StormHomeError(f"cannot run {java} -version: {exc}; {INSTALL_HINT}") from exc
    major = _java_major(out.stderr + out.stdout)
    if major is None or major < 17:
        found = (out.stderr or out.stdout).strip().splitlines()[:1]
        raise StormHomeError(
            f"Storm 2.8 needs Java 17 or newer, but {java} is {found[0] if found else 'unknown'}; "
            f"{INSTALL_HINT}, or point JAVA_HOME at a JDK 17+"
        )
    return java


def _java_major(version_output: str) -> int | None:
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if not match:
        return None
    first = int(match.group(1))
    if first == 1 and match.group(2):  # "1.8.0_392"
        return int(match.group(2))
    return first


def find_maven(env: Mapping[str, str] | None = None) -> str:
    """The ``mvn`` executable (``$MAVEN`` or PATH)."""
    env = os.environ if env is None else env
    mvn = env.get("MAVEN") or shutil.which("mvn", path=env.get("PATH"))
    if not mvn:
        raise StormHomeError(
            f"Maven (mvn) is needed to download Storm from Maven Central but was not found; "
            f"{INSTALL_HINT}"
        )
    return mvn


# --- resolving an existing home ---------------------------------------------------------------


def _official_version(path: Path) -> str | None:
    """The version of an official distribution at ``path``, or None if it is not one."""
    if not (path / "bin" / "storm").exists():
        return None
    for jar in sorted((path / "lib").glob("storm-core-*.jar")):
        match = re.fullmatch(r"storm-core-(.+)\.jar", jar.name)
        if match:
            return match.group(1)
    return None


def resolve_home(
    version: str | None = None,
    cache_root: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> StormHome:
    """The Storm home to run: ``$STORM_HOME`` if it is an official distribution, else the
    provisioned cache. Raises :class:`StormHomeError` saying how to provision when neither
    exists."""
    env = os.environ if env is None else env
    storm_home = env.get("STORM_HOME")
    if storm_home:
        path = Path(storm_home).expanduser()
        found = _official_version(path)
        if found is not None:
            return StormHome(path=path, version=found, official=True)
    version = version or storm_version(env)
    path = (cache_root or default_cache_root(env)) / f"storm-{version}"
    if not (path / _COMPLETE).exists():
        hint = (
            f" ($STORM_HOME={storm_home} is not an official Storm distribution: "
            "no bin/storm and lib/storm-core-*.jar)"
            if storm_home
            else ""
        )
        raise StormHomeError(
            f"Storm {version} is not provisioned at {path}{hint}; "
            "run `sparse cluster provision` (or `make storm`) first"
        )
    home = StormHome(path=path, version=version)
    home.check()
    return home


# --- provisioning ---------------------------------------------------------------------------


def _steps() -> tuple[MavenStep, ...]:
    return (
        MavenStep("lib", "storm-core", _LIB_EXCLUDES, required=True),
        MavenStep("lib-worker", "storm-client", _LIB_EXCLUDES, required=True),
        MavenStep("lib-webapp", "storm-webapp", _WEBAPP_EXCLUDES, required=False),
    )


def _extract_public(home: Path, version: str) -> None:
    """Unpack ``WEB-INF/`` of the storm-webapp jar into ``public/`` (the UI's pages)."""
    jar = home / "lib-webapp" / f"storm-webapp-{version}.jar"
    partial = home / "public.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    with zipfile.ZipFile(jar) as zf:
        for info in zf.infolist():
            if not info.filename.startswith("WEB-INF/") or info.is_dir():
                continue
            rel = Path(info.filename).relative_to("WEB-INF")
            if ".." in rel.parts:
                continue
            dest = partial / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, dest.open("wb") as dst:
                shutil.copyfileobj(src, dst)
    shutil.rmtree(home / "public", ignore_errors=True)
    partial.rename(home / "public")


def _build_loopback_plugin(home: Path, java: str, log: Path) -> str | None:
    """Compile LoopbackTransportPlugin.java against lib-worker/ into extlib/; return None on
    success or why it failed (then Nimbus and supervisors listen on every interface)."""
    javac = Path(java).resolve().parent / "javac"
    if not javac.exists():
        found = shutil.which("javac")
        if not found:
            return "javac not found (install a JDK: openjdk-17-jdk-headless)"
        javac = Path(found)
    with tempfile.TemporaryDirectory(prefix="stormbridge-javac-") as tmp:
        cmd = [
            str(javac), "--release", "17", "-nowarn",
            "-cp", str(home / "lib-worker" / "*"), "-d", tmp, str(_LOOPBACK_SOURCE),
        ]  # fmt: skip
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=300, check=False,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"javac failed: {exc}"
        with log.open("a") as out:
            out.write(f"\n$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
        if proc.returncode != 0:
            return f"javac failed: {(proc.stderr or proc.stdout).strip()[:300]}"
        (home / "extlib").mkdir(parents=True, exist_ok=True)
        partial = home / "extlib" / f"{LOOPBACK_JAR}.partial"
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n")
            for cls in sorted(Path(tmp).rglob("*.class")):
                zf.write(cls, cls.relative_to(tmp).as_posix())
        partial.replace(home / "extlib" / LOOPBACK_JAR)
    return None


def _ensure_loopback_plugin(home: Path, env: Mapping[str, str], say: Progress) -> None:
    marker = home / ".step-loopback"
    if marker.exists():
        return
    say("  extlib/: stormbridge's loopback Thrift transport (javac)")
    error = _build_loopback_plugin(home, find_java(env), home / "provision.log")
    if error is None:
        marker.write_text("{}")
    else:
        say(f"  extlib/: {error}; Nimbus and supervisors will listen on every interface")


def _write_files(home: Path) -> None:
    """Our own conf/, log4j2/ and the empty extension directories."""
    for sub in ("extlib", "extlib-daemon", "conf", "log4j2"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    for name in ("cluster.xml", "worker.xml"):
        shutil.copyfile(_TEMPLATES / "log4j2" / name, home / "log4j2" / name)
    # Daemons started by stormbridge get their own storm.yaml via -Dstorm.conf.file; this one
    # only documents that and keeps Storm's classpath lookup of conf/ quiet.
    (home / "conf" / "storm.yaml").write_text(
        "# Provisioned by stormbridge. `sparse cluster up` writes one storm.yaml per cluster\n"
        "# (in its state directory) and passes it to every daemon with -Dstorm.conf.file.\n"
    )


def provision(
    version: str | None = None,
    cache_root: Path | None = None,
    progress: Progress | None = None,
    env: Mapping[str, str] | None = None,
    on_step: StepCallback | None = None,
) -> StormHome:
    """Provision Storm ``version`` into ``<cache_root>/storm-<version>`` and return it.

    Idempotent (a finished home is returned at once) and resumable (finished steps are
    skipped). Raises :class:`StormHomeError` when Java or Maven is missing or Maven fails.
    ``progress`` gets a message per step, ``on_step`` the counts and bytes of each Maven step
    (see :class:`StepProgress`).
    """
    env = dict(os.environ if env is None else env)
    say: Progress = progress or (lambda _msg: None)
    tell: StepCallback = on_step or (lambda _event: None)
    version = version or storm_version(env)
    home = (cache_root or default_cache_root(env)) / f"storm-{version}"
    if (home / _COMPLETE).exists():
        _ensure_loopback_plugin(home, env, say)  # homes provisioned before it existed
        say(f"Storm {version} is already provisioned at {home}")
        result = StormHome(path=home, version=version)
        result.check()
        return result
    find_java(env)
    mvn = find_maven(env)
    home.mkdir(parents=True, exist_ok=True)
    log = home / "provision.log"
    say(f"provisioning Storm {version} into {home} (Maven log: {log})")
    notes: dict[str, str] = {}
    steps = _steps()
    for number, step in enumerate(steps, 1):
        marker = home / f".step-{step.name}"
        if marker.exists():
            say(f"  {step.name}/: done earlier")
            continue
        say(
            f"  [{number}/{len(steps)}] {step.name}/: {step.artifact} {version} and its "
            "dependencies (Maven)..."
        )
        last = StepProgress(step.name, number, len(steps))

        def report(
            downloads: int, dl_bytes: int, jars: int, jar_bytes: int, at: StepProgress = last
        ) -> None:
            nonlocal last
            last = StepProgress(at.step, at.number, at.steps, downloads, dl_bytes, jars, jar_bytes)
            tell(last)

        error = copy_dependencies(mvn, home, step, version, log, env, report)
        count, size = jars_in(home / step.name) if error is None else (0, 0)
        tell(
            StepProgress(
                step.name, number, len(steps), last.downloads, last.download_bytes, count, size,
                done=True,
            )
        )  # fmt: skip
        if error is None:
            marker.write_text(json.dumps({"jars": count, "bytes": size}))
            say(
                f"  {step.name}/: {count} jars, {size / 2**20:.1f} MiB "
                f"({last.downloads} files, {last.download_bytes / 2**20:.1f} MiB downloaded)"
            )
        elif step.required:
            raise StormHomeError(
                f"Maven could not fetch org.apache.storm:{step.artifact}:{version}: {error}. "
                f"Full log: {log}. Check that Maven Central is reachable and serves Storm "
                f"{version} (set STORMBRIDGE_STORM_VERSION to pick another version); "
                "re-running resumes at this step"
            )
        else:
            notes[step.name] = error
            say(
                f"  {step.name}/: unavailable ({error}); the Storm UI and logviewer "
                "will not be started"
            )
    if "lib-webapp" not in notes and not (home / ".step-public").exists():
        say("  public/: the UI's static files from the storm-webapp jar")
        _extract_public(home, version)
        (home / ".step-public").write_text("{}")
    say("  conf/, log4j2/, extlib/, extlib-daemon/")
    _write_files(home)
    _ensure_loopback_plugin(home, env, say)
    result = StormHome(path=home, version=version)
    result.check()
    (home / _COMPLETE).write_text(
        json.dumps({"version": version, "webapp": result.has_webapp, "notes": notes}, indent=2)
    )
    say(f"Storm {version} is ready at {home}")
    return result
