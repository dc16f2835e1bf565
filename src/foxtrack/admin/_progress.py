"""How long commands report: a progress callback the logic calls, and the command line's rendering of it
(a rich progress bar on stderr, so ``--json`` output on stdout stays parseable)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Progress(Protocol):
    def start(self, description: str, total: int | None) -> None:
        """A new stage of ``total`` steps (None: unknown) begins."""

    def advance(self, steps: int = 1) -> None:
        """``steps`` more steps of the current stage are done."""


class Silent:
    """Progress nobody watches (tests, library use)."""

    def start(self, description: str, total: int | None) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass


class Counting:
    """Progress that remembers what it was told (for tests and summaries)."""

    def __init__(self) -> None:
        self.stages: dict[str, int] = {}
        self.totals: dict[str, int | None] = {}
        self._current = ""

    def start(self, description: str, total: int | None) -> None:
        self._current = description
        self.stages.setdefault(description, 0)
        self.totals[description] = total

    def advance(self, steps: int = 1) -> None:
        self.stages[self._current] = self.stages.get(self._current, 0) + steps


class RichProgress:
    """One rich bar per stage, on stderr."""

    def __init__(self, enabled: bool = True) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bars

        self._bars = Bars(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=Console(stderr=True), disable=not enabled, transient=False)
        self._task: TaskID | None = None

    def start(self, description: str, total: int | None) -> None:
        self._task = self._bars.add_task(description, total=total)

    def advance(self, steps: int = 1) -> None:
        if self._task is not None:
            self._bars.advance(self._task, steps)

    @contextmanager
    def shown(self) -> Iterator[RichProgress]:
        with self._bars:
            yield self
