"""Progress of long work: a bar on a terminal (done, per second, time
left), plain lines otherwise, nothing when nobody watches.

>>> import io, rich.console
>>> out = io.StringIO()
>>> with progress_on(rich.console.Console(file=out)) as progress:
...     task = progress.task("Cowboy: filing", 3)
...     task.advance(3)
...     task.finish()
>>> print(out.getvalue())
Cowboy: filing: 3/3 in ... s (... per second)
"""

import contextlib
import time

from rich.progress import BarColumn
from rich.progress import MofNCompleteColumn
from rich.progress import Progress
from rich.progress import ProgressColumn
from rich.progress import TextColumn
from rich.progress import TimeRemainingColumn
from rich.text import Text

#: How often plain lines are printed, in seconds.
LINE_INTERVAL = 2.0


class NoProgress:
    """Reports nothing."""

    def task(self, label, total):
        return Task(label, total)


class Task:
    """The progress of one piece of work, of ``total`` steps."""

    def __init__(self, label, total):
        self.label = label
        self.total = total
        self.completed = 0
        self.started = time.monotonic()

    def advance(self, steps):
        self.completed += steps

    def finish(self):
        pass

    def rate(self):
        elapsed = time.monotonic() - self.started
        return self.completed / elapsed if elapsed > 0 else 0.0


class LineTask(Task):
    """Prints a line every :data:`LINE_INTERVAL` seconds, and when done."""

    def __init__(self, console, label, total):
        super().__init__(label, total)
        self.console = console
        self.printed = self.started

    def advance(self, steps):
        super().advance(steps)
        now = time.monotonic()
        if now - self.printed >= LINE_INTERVAL:
            self.printed = now
            rate = self.rate()
            left = (self.total - self.completed) / rate if rate else float("inf")
            self.console.print(
                f"{self.label}: {self.completed}/{self.total}, {rate:.0f} per "
                f"second, {left:.0f} s left",
                highlight=False,
            )

    def finish(self):
        elapsed = time.monotonic() - self.started
        self.console.print(
            f"{self.label}: {self.completed}/{self.total} in {elapsed:.1f} s "
            f"({self.rate():.0f} per second)",
            highlight=False,
        )


class Lines:
    """Plain lines on ``console``."""

    def __init__(self, console):
        self.console = console

    def task(self, label, total):
        return LineTask(self.console, label, total)


class RateColumn(ProgressColumn):
    """Steps per second."""

    def render(self, task):
        speed = task.finished_speed or task.speed
        return Text(
            "" if speed is None else f"{speed:.0f}/s", style="progress.data.speed"
        )


class BarTask(Task):
    def __init__(self, bar, label, total):
        super().__init__(label, total)
        self.bar = bar
        self.id = bar.add_task(label, total=total)

    def advance(self, steps):
        super().advance(steps)
        self.bar.update(self.id, advance=steps)

    def finish(self):
        self.bar.update(self.id, completed=self.completed, total=self.completed)


class Bar:
    """A rich progress bar."""

    def __init__(self, bar):
        self.bar = bar

    def task(self, label, total):
        return BarTask(self.bar, label, total)


@contextlib.contextmanager
def progress_on(console):
    """What reports progress on ``console``: a bar on a terminal, lines
    otherwise."""
    if not console.is_terminal:
        yield Lines(console)
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        yield Bar(bar)
