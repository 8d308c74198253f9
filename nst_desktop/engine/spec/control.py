"""How the caller steers a running stylize call from another thread: :class:`RunControl`.

Its own module, not engine.spec.events: events are what the engine reports, this is what the
engine is told (pause, resume, stop, live edits).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from nst_desktop.engine.spec.live import EditQueue


class RunControl:
    """Thread-safe pause / resume / stop / live edits for a running :func:`stylize` call.

    The engine calls :meth:`checkpoint` once per step: it blocks while paused and
    returns ``True`` when the run must stop (the engine then returns the best image).
    At print sizes it also reads :attr:`stopped` between the tiles of a step (engine.run.tiled_pass).
    """

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()  # set = not paused
        self._running.set()
        self.edits = EditQueue()

    def edit(self, changes: Mapping[str, Any]) -> None:
        """Change the look of the running picture from the next step on (see engine.spec.live)."""
        self.edits.submit(changes)

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # wake a paused run so it can see the stop

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def checkpoint(self) -> bool:
        """Block while paused; return True if the run should stop now."""
        while not self._running.wait(timeout=0.1):
            if self._stop.is_set():
                break
        return self._stop.is_set()
