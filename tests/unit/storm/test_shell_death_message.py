"""What the batched shell classes say when their Python process dies (``ShellComponents
.deathMessage``), printed by a small Java main against the real compiled classes.

Needs a JDK and the provisioned Storm (skipped without them).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .java_harness import JavaHarness, compile_harness

HARNESS = Path(__file__).with_name("java") / "stormbridge/multilang/DeathMessageHarness.java"
FACTS = "Python subprocess of component 'count' task 3 (pid 4242) "
ADVICE = (
    "On a cluster the worker exits and Storm restarts it. For the cause, read this component's"
    " log lines"
)


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> JavaHarness:
    return compile_harness(
        tmp_path_factory,
        HARNESS,
        "stormbridge.multilang.DeathMessageHarness",
        "the death message harness",
    )


def test_what_each_death_says(harness: JavaHarness) -> None:
    killed = harness.run("sigkill")
    assert killed.startswith(FACTS + "was killed by signal 9 (SIGKILL) (exit status 137). ")
    assert ADVICE in killed and "worker.log" in killed
    # the UI shows 200 characters of "java.lang.RuntimeException: " + this: the facts fit
    assert len("java.lang.RuntimeException: " + killed.split(". ", 1)[0]) < 200

    exited = harness.run("exit")
    # the first line of stderr (the runtime's exception summary) right after the facts,
    # the rest after the advice
    assert exited.startswith(FACTS + "exited with code 1; stderr: ZeroDivisionError: boom. ")
    assert exited.endswith("\nIts stderr went on:\nTraceback (most recent call last):\n  x"), exited

    hung = harness.run("heartbeat")
    assert hung.startswith(
        FACTS + "sent no heartbeat for 31 s (topology.subprocess.timeout.secs is 30); "
        "it is killed with its worker. " + ADVICE
    )

    running = harness.run("running")
    assert running.startswith(
        FACTS + "had not exited 1 s after the JVM stopped talking to it "
        "(java.lang.RuntimeException: Acked a non-existent id: 7). " + ADVICE
    )
