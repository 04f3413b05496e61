"""What the batched shell classes say when their Python process dies (``ShellComponents
.deathMessage``), printed by a small Java main against the real compiled classes.

Needs a JDK and the provisioned Storm (skipped without them).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from stormbridge.errors import StormBridgeError
from stormbridge.storm.home import resolve_home
from stormbridge.storm.javac import compile_java
from stormbridge.storm.multilang import serializer_jar

HARNESS = Path(__file__).with_name("java") / "stormbridge/multilang/DeathMessageHarness.java"
FACTS = "Python subprocess of component 'count' task 3 (pid 4242) "
ADVICE = (
    "On a cluster the worker exits and Storm restarts it. For the cause, read this component's"
    " log lines"
)


@pytest.fixture(scope="module")
def classpath(tmp_path_factory: pytest.TempPathFactory) -> str:
    try:
        home = resolve_home()
        cache = tmp_path_factory.mktemp("javac")
        jar = serializer_jar(home, cache_root=cache)
        classes = compile_java(
            [HARNESS],
            classpath=f"{jar}:{home.lib_worker / '*'}",
            name="death-harness",
            what="the death message harness",
            cache_root=cache,
        )
    except StormBridgeError as exc:  # no JDK or no Storm here
        pytest.skip(f"needs javac and a provisioned Storm: {exc}")
    return f"{classes}:{jar}:{home.lib_worker / '*'}"


def message(classpath: str, case: str) -> str:
    proc = subprocess.run(
        ["java", "-cp", classpath, "stormbridge.multilang.DeathMessageHarness", case],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    return proc.stdout.decode()


def test_what_each_death_says(classpath: str) -> None:
    killed = message(classpath, "sigkill")
    assert killed.startswith(FACTS + "was killed by signal 9 (SIGKILL) (exit status 137). ")
    assert ADVICE in killed and "worker.log" in killed
    # the UI shows 200 characters of "java.lang.RuntimeException: " + this: the facts fit
    assert len("java.lang.RuntimeException: " + killed.split(". ", 1)[0]) < 200

    exited = message(classpath, "exit")
    # the first line of stderr (the runtime's exception summary) right after the facts,
    # the rest after the advice
    assert exited.startswith(FACTS + "exited with code 1; stderr: ZeroDivisionError: boom. ")
    assert exited.endswith("\nIts stderr went on:\nTraceback (most recent call last):\n  x"), exited

    hung = message(classpath, "heartbeat")
    assert hung.startswith(
        FACTS + "sent no heartbeat for 31 s (topology.subprocess.timeout.secs is 30); "
        "it is killed with its worker. " + ADVICE
    )

    running = message(classpath, "running")
    assert running.startswith(
        FACTS + "had not exited 1 s after the JVM stopped talking to it "
        "(java.lang.RuntimeException: Acked a non-existent id: 7). " + ADVICE
    )
