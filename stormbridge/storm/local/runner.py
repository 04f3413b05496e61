"""The local-mode runner's files: ``java/LocalRunner.java`` compiled once per Storm home, and
the per-run log4j2 configuration from ``java/local-log4j2.xml``.

The runner is compiled with ``javac`` rather than started with the JDK's source launcher
(``java File.java``): the source launcher keeps classes in a memory class loader that Storm's
``Class.forName`` cannot see, and ``nimbus.thrift.transport`` names a class of the runner
(``LocalRunner$LoopbackTransportPlugin``, the Nimbus Thrift server bound to 127.0.0.1).
``javac`` takes 2-3 s once; the classes are cached by source hash.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from ...errors import StormHomeError
from ..home import StormHome, default_cache_root

__all__ = [
    "LOG4J2_TEMPLATE",
    "RUNNER_CLASS",
    "RUNNER_SOURCE",
    "compile_runner",
    "render_log4j2",
]

_JAVA_DIR = Path(__file__).with_name("java")
RUNNER_SOURCE = _JAVA_DIR / "LocalRunner.java"
LOG4J2_TEMPLATE = _JAVA_DIR / "local-log4j2.xml"
RUNNER_CLASS = "stormbridge.local.LocalRunner"


def render_log4j2(log_file: Path, component_ids: Iterable[str]) -> str:
    """The log4j2 configuration of one local run (see ``java/local-log4j2.xml``)."""
    loggers = []
    for component_id in sorted(set(component_ids)):
        loggers.append(
            f'    <Logger name={quoteattr(component_id)} level="INFO" additivity="false">\n'
            '      <AppenderRef ref="TERMINAL"/>\n'
            '      <AppenderRef ref="FILE"/>\n'
            "    </Logger>"
        )
    template = LOG4J2_TEMPLATE.read_text(encoding="utf-8")
    attr = escape(str(log_file), {'"': "&quot;"})  # the template has the quotes
    return template.replace("@LOG_FILE@", attr).replace("@COMPONENT_LOGGERS@", "\n".join(loggers))


def compile_runner(
    home: StormHome,
    *,
    java: str | None = None,
    cache_root: Path | None = None,
    timeout: float = 300.0,
) -> Path:
    """The directory of compiled runner classes for ``home`` (``javac`` once, then cached).

    The cache key is the runner's source, the Storm version and the home's path, so a changed
    source or another Storm is compiled afresh.
    """
    source = RUNNER_SOURCE.read_bytes()
    key = hashlib.sha256(
        b"\0".join([source, home.version.encode(), str(home.path).encode()])
    ).hexdigest()[:16]
    root = (cache_root or default_cache_root()) / "local-runner"
    dest = root / key
    if (dest / "stormbridge" / "local" / "LocalRunner.class").is_file():
        return dest
    javac = _find_javac(java)
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=root))
    try:
        try:
            result = subprocess.run(
                [
                    javac,
                    "-nowarn",
                    "-encoding",
                    "UTF-8",
                    "-d",
                    str(work),
                    "-cp",
                    str(home.lib / "*"),
                    str(RUNNER_SOURCE),
                ],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise StormHomeError(f"javac did not finish within {timeout:g} s") from exc
        except OSError as exc:
            raise StormHomeError(f"cannot run {javac}: {exc.strerror or exc}") from exc
        if result.returncode != 0:
            raise StormHomeError(
                f"compiling the local-mode runner against {home.lib} failed "
                f"(is the Storm home complete? `sparse cluster provision`):\n"
                f"{result.stderr.strip()[-2000:]}"
            )
        try:
            work.rename(dest)
        except OSError:
            if not dest.is_dir():  # another process won the race: theirs is as good
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def _find_javac(java: str | None) -> str:
    candidates = []
    if java:
        candidates.append(Path(java).resolve().parent / "javac")
    which = shutil.which("javac")
    if which:
        candidates.append(Path(which))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise StormHomeError(
        "javac (a Java 17 JDK, not only a JRE) is needed to build the local-mode runner; "
        "install it with `make system-deps` (or `apt-get install openjdk-17-jdk-headless`)"
    )
