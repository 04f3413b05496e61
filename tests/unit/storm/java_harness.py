"""A test's small Java main, compiled against stormbridge's multilang classes and the
provisioned Storm, and run with its output returned (skips the test without a JDK or Storm)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from stormbridge.errors import StormBridgeError
from stormbridge.storm.home import resolve_home
from stormbridge.storm.javac import compile_java
from stormbridge.storm.multilang import serializer_jar


class JavaHarness:
    """``java -cp <classes>:<multilang jar>:<Storm's worker jars> MAIN ARGS``."""

    def __init__(self, classpath: str, main: str) -> None:
        self.classpath = classpath
        self.main = main

    def run(self, *args: str, data: bytes = b"", timeout: float = 120) -> str:
        """Its stdout for ``args`` (``data`` on its stdin); fails the test on a non-zero exit."""
        proc = subprocess.run(
            ["java", "-cp", self.classpath, self.main, *args],
            input=data,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
        return proc.stdout.decode()


def compile_harness(
    tmp_path_factory: pytest.TempPathFactory, source: Path, main: str, what: str
) -> JavaHarness:
    """``source`` compiled (with a fresh cache) into a harness running class ``main``."""
    try:
        home = resolve_home()
        cache = tmp_path_factory.mktemp("javac")
        jar = serializer_jar(home, cache_root=cache)
        classes = compile_java(
            [source],
            classpath=f"{jar}:{home.lib_worker / '*'}",
            name=source.stem.lower(),
            what=what,
            cache_root=cache,
        )
    except StormBridgeError as exc:  # no JDK or no Storm here
        pytest.skip(f"needs javac and a provisioned Storm: {exc}")
    return JavaHarness(f"{classes}:{jar}:{home.lib_worker / '*'}", main)
