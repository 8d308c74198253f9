"""The run's clock: time so far and time left, moving between the engine's events.

The engine reports its elapsed time and a time left with every step, and before each set-up
(``engine.spec.events.PREPARING``). A step at print size, or the set-up of the styles after the style
scale was raised, can take a minute with no event: a clock that moves only with the events
froze for that long and the window looked hung (issue 16.7). Between events this clock counts
on locally: the time so far goes up and the time left goes down, from the last event's values.
A pause stops it (the engine does not count paused time either).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

TICK_MS = 1000  # the clock shows whole seconds


class RunClock(QObject):
    """Elapsed and remaining seconds of the run on show; ``ticked`` every second while it runs."""

    ticked = Signal()

    def __init__(self, parent: QObject | None = None, now: Callable[[], float] = time.monotonic) -> None:
        super().__init__(parent)
        self._now = now
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self.ticked)
        self._elapsed_s = 0.0  # at the last event (or the last pause/resume)
        self._remaining_s = math.inf
        self._since: float | None = None  # when it last started counting; None: stopped or paused

    @property
    def running(self) -> bool:
        return self._since is not None

    def start(self) -> None:
        """A new run: from zero, time left unknown."""
        self._elapsed_s, self._remaining_s = 0.0, math.inf
        self._since = self._now()
        self._timer.start()

    def stop(self) -> None:
        self._fix()
        self._timer.stop()

    def set_paused(self, paused: bool) -> None:
        if paused:
            self.stop()
        elif not self.running:
            self._since = self._now()
            self._timer.start()

    def set(self, elapsed_s: float, remaining_s: float) -> None:
        """The engine's figures at an event: the clock goes on from them."""
        self._elapsed_s, self._remaining_s = elapsed_s, remaining_s
        if self._since is not None:
            self._since = self._now()

    def elapsed(self) -> float:
        return self._elapsed_s + self._counted()

    def remaining(self) -> float:
        """The time left, counted down since the last event; never below zero (inf: unknown)."""
        return max(0.0, self._remaining_s - self._counted())

    def _counted(self) -> float:
        return 0.0 if self._since is None else self._now() - self._since

    def _fix(self) -> None:
        """Keep what was counted so far, and count no more."""
        self._elapsed_s, self._remaining_s = self.elapsed(), self.remaining()
        self._since = None
