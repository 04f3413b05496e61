"""The presentation of the local-mode JVM's log lines (stormbridge.storm.local.output)."""

from __future__ import annotations

import json

import pytest

from stormbridge.storm.local.output import (
    LogEvent,
    TerminalPresenter,
    format_event,
    is_java_frame,
    parse_event,
)


def line(time: str, level: str, logger: str, message: str, throwable: str = "") -> str:
    """A JVM stdout line as java/local-log4j2.xml prints it (JSON-escaped fields)."""

    def enc(text: str) -> str:
        return json.dumps(text)[1:-1]

    return "\t".join([time, level, logger, enc(message), enc(throwable)]) + "\n"


SHELL_BOLT = "org.apache.storm.task.ShellBolt"
REPORT = "org.apache.storm.executor.error.ReportError"

PY_TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "bolts/boom.py", line 13, in process\n'
    '    raise ValueError("boom")\n'
    "ValueError: boom\n"
)
JAVA_THROWABLE = (
    "java.lang.Exception: Shell Process Exception: " + PY_TRACEBACK + "\n"
    "\tat org.apache.storm.task.ShellBolt.handleError(ShellBolt.java:211)\n"
    "\tat java.base/java.lang.Thread.run(Thread.java:840)\n"
    "Caused by: java.io.IOException: Broken pipe\n"
    "\t... 6 more\n"
)


def test_parse_event_unescapes_message_and_throwable() -> None:
    event = parse_event(line("12:00:01", "ERROR", REPORT, "Error\twith tab", JAVA_THROWABLE))
    assert event == LogEvent("12:00:01", "ERROR", REPORT, "Error\twith tab", JAVA_THROWABLE)


@pytest.mark.parametrize(
    "text",
    ["", "plain text from the JVM", "a\tb\tc", "12:00\tnot a level!\tx\ty\tz"],
)
def test_parse_event_rejects_other_lines(text: str) -> None:
    assert parse_event(text) is None


def test_python_log_line_is_compact() -> None:
    msg = (
        "ShellLog pid:4321, name:count_bolt 2026-11-26 07:32:16,291 - "
        "pystorm.component.count_bolt - counted [3,000] words [pid=4321]"
    )
    event = parse_event(line("07:32:16", "INFO", SHELL_BOLT, msg))
    assert event is not None
    expected = "07:32:16 count_bolt[4321] INFO counted [3,000] words [pid=4321]"
    assert format_event(event) == [expected]


@pytest.mark.parametrize(
    "logger",
    [
        "org.apache.storm.task.ShellBolt",
        "org.apache.storm.spout.ShellSpout",
        "stormbridge.multilang.BatchShellBolt",
        "stormbridge.multilang.BatchShellSpout",
    ],
)
def test_python_log_lines_of_storms_and_the_batched_shell_classes_look_alike(
    logger: str,
) -> None:
    msg = "ShellLog pid:9, name:count_bolt 2026-11-26 07:32:16,291 - x.count_bolt - counted"
    event = parse_event(line("07:32:16", "WARN", logger, msg))
    assert event is not None
    assert format_event(event) == ["07:32:16 count_bolt[9] WARN counted"]


def test_a_shelllog_message_of_another_logger_is_not_taken_for_a_python_log() -> None:
    event = LogEvent("07:00:00", "INFO", "org.example.NotAShellBolt", "ShellLog pid:1, name:x y")
    assert format_event(event) == ["07:00:00 INFO  ShellLog pid:1, name:x y"]


def test_python_log_line_without_the_runtime_prefix_is_kept_whole() -> None:
    event = LogEvent("07:00:00", "WARN", "org.apache.storm.spout.ShellSpout",
                     "ShellLog pid:7, name:spout first\nsecond")  # fmt: skip
    assert format_event(event) == ["07:00:00 spout[7] WARN first", "second"]


def test_component_stderr_is_labelled_stderr_line_by_line() -> None:
    event = LogEvent("07:00:00", "INFO", "word_spout", "about to fail\n" + PY_TRACEBACK)
    lines = format_event(event, component_ids=["word_spout", "count_bolt"])
    assert lines[0] == "07:00:00 stderr: about to fail"
    assert "07:00:00 stderr: ValueError: boom" in lines
    assert all(x.startswith("07:00:00 stderr: ") for x in lines)


def test_errors_keep_the_python_traceback_and_drop_java_frames() -> None:
    event = LogEvent("07:00:00", "ERROR", REPORT, "Error", JAVA_THROWABLE)
    lines = format_event(event)
    text = "\n".join(lines)
    assert lines[0] == "07:00:00 ERROR Error"
    assert "ValueError: boom" in text
    assert 'raise ValueError("boom")' in text
    assert "Caused by: java.io.IOException: Broken pipe" in text
    assert "\tat " not in text and "... 6 more" not in text


@pytest.mark.parametrize(
    ("text", "frame"),
    [
        ("\tat org.apache.storm.task.ShellBolt.die(ShellBolt.java:295)", True),
        ("\tat java.base/java.lang.Thread.run(Thread.java:840)", True),
        ("\tat org.apache.storm.Foo$1.<init>(Unknown Source)", True),
        ("\t... 10 more", True),
        ('  File "bolts/boom.py", line 13, in process', False),
        ("ValueError: at the end", False),
        ("at org.apache.storm.X.y(X.java:1)", False),  # no indentation: not a frame
    ],
)
def test_is_java_frame(text: str, frame: bool) -> None:
    assert is_java_frame(text) is frame


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_presenter_shows_an_error_once_then_counts_repeats() -> None:
    clock = Clock()
    presenter = TerminalPresenter(["count_bolt"], log_file="/x/storm.log", clock=clock)
    first = presenter.feed(line("07:00:00", "ERROR", SHELL_BOLT, "ShellBolt died pid:11", "e"))
    assert first[0] == "07:00:00 ERROR ShellBolt died pid:11"
    # the same error with other numbers: hidden
    assert presenter.feed(line("07:00:01", "ERROR", SHELL_BOLT, "ShellBolt died pid:12", "e")) == []
    assert presenter.feed(line("07:00:01", "ERROR", SHELL_BOLT, "ShellBolt died pid:13", "e")) == []
    # another error: shown
    other = presenter.feed(line("07:00:02", "ERROR", REPORT, "Error", "java.lang.X: other"))
    assert other == ["07:00:02 ERROR Error", "java.lang.X: other"]
    assert presenter.summary() == ["... 2 repeated errors not shown (all in /x/storm.log)"]
    assert presenter.summary() == []


def test_presenter_notes_repeats_while_they_go_on() -> None:
    clock = Clock()
    presenter = TerminalPresenter(clock=clock)
    presenter.feed(line("07:00:00", "ERROR", REPORT, "Error", "boom"))
    assert presenter.feed(line("07:00:00", "ERROR", REPORT, "Error", "boom")) == []
    clock.now += TerminalPresenter.NOTE_EVERY
    out = presenter.feed(line("07:00:10", "ERROR", REPORT, "Error", "boom"))
    assert out == ["... 2 repeated errors not shown (all in the log file)"]


def test_presenter_never_hides_python_logs_or_stderr() -> None:
    presenter = TerminalPresenter(["count_bolt"])
    msg = "ShellLog pid:1, name:count_bolt counted [1,000] words"
    for _ in range(3):
        assert presenter.feed(line("07:00:00", "INFO", SHELL_BOLT, msg)) == [
            "07:00:00 count_bolt[1] INFO counted [1,000] words"
        ]
        assert presenter.feed(line("07:00:00", "ERROR", "count_bolt", "oops")) == [
            "07:00:00 stderr: oops"
        ]


def test_presenter_passes_other_stdout_lines_and_drops_frames() -> None:
    presenter = TerminalPresenter()
    assert presenter.feed("something the JVM printed\n") == ["something the JVM printed"]
    assert presenter.feed("\tat a.B.c(B.java:1)\n") == []
    assert presenter.feed("\n") == []
