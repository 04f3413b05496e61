"""The local-mode runner's files: ``java/LocalRunner.java`` compiled once per Storm home, and
the per-run log4j2 configuration from ``java/local-log4j2.xml``.

The runner is compiled with ``javac`` rather than started with the JDK's source launcher
(``java File.java``): the source launcher keeps classes in a memory class loader that Storm's
``Class.forName`` cannot see, and ``nimbus.thrift.transport`` names a class of the runner
(``LocalRunner$LoopbackTransportPlugin``, the Nimbus Thrift server bound to 127.0.0.1).
``javac`` takes 2-3 s once; the classes are cached by source hash.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from ..home import StormHome
from ..javac import compile_java

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
    return compile_java(
        [RUNNER_SOURCE],
        classpath=str(home.lib / "*"),
        name="local-runner",
        depends_on=[home.version, str(home.path)],
        what="the local-mode runner",
        java=java,
        cache_root=cache_root,
        timeout=timeout,
    )
