"""Rendering the progress the library reports, on stderr: live bars (rich) on a terminal, plain
lines when stderr is a pipe or a file, so CI logs stay clean.

Library code only calls callbacks (``upload_jar(progress=...)``, ``provision(on_step=...)``);
:class:`ProgressView` turns them into output. On a terminal a transfer is one rich bar with
bytes, speed and time left; otherwise it is a line when it starts, one at each quarter and one
when it ends. Colour follows rich's rules (none when not a terminal, none with ``NO_COLOR``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from ..storm.maven import StepProgress
from ._common import human_size

__all__ = ["ProgressView", "Transfer"]

#: ``update(done_bytes, total_bytes)``, the shape of ``NimbusClient.upload_jar(progress=...)``.
Transfer = Callable[[int, int], None]
#: Seconds between two plain progress lines of a long provisioning step.
PLAIN_INTERVAL = 15.0


class ProgressView:
    """``with ProgressView() as view:`` then ``view.say(...)``, ``view.transfer(...)``,
    ``view.provision_step``; ``stream`` defaults to stderr."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.console = Console(file=self.stream, highlight=False, soft_wrap=True)
        #: Live bars only on a real, capable terminal.
        self.live = self.console.is_terminal and not self.console.is_dumb_terminal
        self._bars: Progress | None = None
        self._steps: dict[str, TaskID] = {}
        self._last_plain: dict[str, float] = {}

    def __enter__(self) -> ProgressView:
        if self.live:
            self._bars = Progress(
                SpinnerColumn(finished_text="[green]✓[/]"),
                TextColumn("{task.description}"),
                BarColumn(bar_width=30),
                DownloadColumn(binary_units=True),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=self.console,
                transient=False,
            )
            self._bars.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bars is not None:
            self._bars.stop()
            self._bars = None

    # -- lines -----------------------------------------------------------------------------

    def say(self, message: str) -> None:
        """One line of status (above the bars on a terminal)."""
        if self._bars is not None:
            self._bars.console.print(message, markup=False, highlight=False)
        else:
            print(message, file=self.stream, flush=True)

    # -- byte transfers --------------------------------------------------------------------

    def transfer(self, description: str, total: int) -> Transfer:
        """A callback ``update(done, total)`` for one transfer of ``total`` bytes."""
        if self._bars is not None:
            bars = self._bars
            task = bars.add_task(description, total=total)

            def update_bar(done: int, total: int) -> None:
                bars.update(task, completed=done, total=total)

            return update_bar
        return _PlainTransfer(self, description, total)

    # -- provisioning ----------------------------------------------------------------------

    def provision_step(self, event: StepProgress) -> None:
        """Render a :class:`~stormbridge.storm.maven.StepProgress` from ``provision``."""
        text = (
            f"[{event.number}/{event.steps}] {event.step}/: {event.downloads} files downloaded "
            f"({human_size(event.download_bytes)}), {event.jars} jars"
        )
        if self._bars is None:
            # plain: provision's own message carries the totals when a step ends; while Maven
            # works, a line every PLAIN_INTERVAL seconds
            now = time.monotonic()
            if not event.done and now - self._last_plain.get(event.step, now) >= PLAIN_INTERVAL:
                self.say(f"  {text} so far")
                self._last_plain[event.step] = now
            self._last_plain.setdefault(event.step, now)
            return
        task = self._steps.get(event.step)
        if task is None:
            task = self._steps[event.step] = self._bars.add_task(text, total=None)
        self._bars.update(
            task,
            description=text,
            completed=event.jar_bytes or event.download_bytes,
            total=event.jar_bytes if event.done else None,
        )


class _PlainTransfer:
    """A transfer as plain lines: at the start, at each quarter, and at the end."""

    def __init__(self, view: ProgressView, description: str, total: int) -> None:
        self._view = view
        self._description = description
        self._started = time.monotonic()
        self._next_quarter = 1
        view.say(f"{description}: {human_size(total)}")

    def __call__(self, done: int, total: int) -> None:
        if total <= 0:
            return
        if done >= total:
            if self._next_quarter <= 4:
                seconds = time.monotonic() - self._started
                self._view.say(f"{self._description}: done, {human_size(total)} in {seconds:.1f} s")
                self._next_quarter = 5
            return
        quarter = done * 4 // total
        if quarter >= self._next_quarter:
            self._next_quarter = quarter + 1
            self._view.say(
                f"{self._description}: {quarter * 25}% ({human_size(done)} of {human_size(total)})"
            )
