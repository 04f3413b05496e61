"""Which error a component shows as ``lastError`` (pure; ErrorInfo structs from our IDL)."""

from __future__ import annotations

from typing import Any

from stormbridge.thrift import storm_thrift
from stormbridge.ui.stats import last_error, last_error_fields, sorted_errors, with_kept_errors

PYTHON = (
    "java.lang.Exception: Shell Process Exception: Python ZeroDivisionError raised while "
    "processing Tuple ...\nTraceback (most recent call last):\nZeroDivisionError: boom"
)
DEATH = (
    "java.lang.RuntimeException: pid:4242, name:boom_bolt exitCode:1, errorString: \n"
    "\tat org.apache.storm.task.ShellBolt.die(ShellBolt.java:295)"
)


def _error(text: str, at: int, host: str = "127.0.0.1", port: int = 6700) -> Any:
    return storm_thrift().ErrorInfo(error=text, error_time_secs=at, host=host, port=port)


def test_the_most_recent_error_is_shown() -> None:
    errors = sorted_errors([_error("older", 100), _error("newer", 105)])
    assert last_error(errors).error == "newer"


def test_a_death_notice_does_not_hide_the_python_error_that_caused_it() -> None:
    errors = sorted_errors([_error(PYTHON, 100), _error(DEATH, 101)])
    assert last_error(errors).error == PYTHON
    assert last_error_fields(errors, now=110)["lastError"] == PYTHON[:200]


def test_a_death_notice_alone_or_from_elsewhere_is_shown() -> None:
    assert last_error([_error(DEATH, 101)]).error == DEATH
    other_worker = sorted_errors([_error(PYTHON, 100, port=6701), _error(DEATH, 101)])
    assert last_error(other_worker).error == DEATH
    long_before = sorted_errors([_error(PYTHON, 100), _error(DEATH, 200)])
    assert last_error(long_before).error == DEATH


def test_a_later_python_error_wins_over_an_earlier_death() -> None:
    errors = sorted_errors([_error(DEATH, 100), _error(PYTHON, 101)])
    assert last_error(errors).error == PYTHON


BATCHED_DEATH = (
    "java.lang.RuntimeException: Python subprocess of component 'boom_bolt' task 3 (pid 4242) "
    "exited with code 1. On a cluster the worker exits and Storm restarts it.\n"
    "\tat stormbridge.multilang.ShellComponents.dying(ShellComponents.java:91)"
)


def test_the_batched_transport_death_notice_does_not_hide_the_python_error() -> None:
    errors = sorted_errors([_error(PYTHON, 100), _error(BATCHED_DEATH, 101)])
    assert last_error(errors).error == PYTHON
    assert last_error([_error(BATCHED_DEATH, 101)]).error == BATCHED_DEATH


def test_kept_errors_join_the_recent_ones_once() -> None:
    recent = [_error("older", 100), _error(PYTHON, 105)]
    kept = {"a": [_error(PYTHON, 105)], "b": [_error(BATCHED_DEATH, 90)]}
    merged = with_kept_errors({"a": recent}, kept)
    assert [e.error for e in merged["a"]] == ["older", PYTHON]
    assert [e.error for e in merged["b"]] == [BATCHED_DEATH]
    # The recent errors vanished with their worker: the kept one is the last error.
    gone = with_kept_errors({"a": []}, {"a": [_error(BATCHED_DEATH, 110)]})
    assert last_error_fields(gone["a"], now=120)["lastError"] == BATCHED_DEATH[:200]
    assert with_kept_errors(None, None) == {}
