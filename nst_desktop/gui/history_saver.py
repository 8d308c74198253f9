"""Write finished runs to the library off the GUI thread.

Encoding the time-lapse of a run takes seconds (an animated WebP of up to ~150 frames);
done in the GUI thread it would freeze the window right when the picture appears.

Entries are written one at a time, in the order the runs ended: one background job
(``gui.background``) drains a queue of saves and yields each outcome; a save asked for
while it runs joins its queue.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from nst_desktop.engine.spec.events import ImageArray, PreviewArray
from nst_desktop.engine.spec.region_masks import RegionMask
from nst_desktop.gui import background
from nst_desktop.gui.errors import user_message

if TYPE_CHECKING:
    from nst_desktop.io.library import Entry, Library

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Save:
    library: Library
    image: ImageArray
    metadata: dict[str, Any]
    frames: list[PreviewArray]
    mask: RegionMask | None = None


class HistorySaver(QObject):
    """``save(...)`` returns at once; ``saved(Entry, metadata)`` or ``failed(text)`` follows, and
    ``drained`` once the queue it joined is written. ``metadata`` is the very object given to
    ``save``: it tells which picture the entry is of (two runs can have equal records)."""

    saved = Signal(object, object)
    failed = Signal(str)
    drained = Signal()  # its background job ended: :meth:`busy` tells whether another began

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queue: deque[_Save] = deque()
        self._lock = threading.Lock()  # the queue and ``_draining``, shared with the job's thread
        self._draining = False

    def save(self, library: Library, image: ImageArray, metadata: dict[str, Any],
             frames: Sequence[PreviewArray], mask: RegionMask | None = None) -> None:
        with self._lock:
            self._queue.append(_Save(library, image, metadata, list(frames), mask))
            start, self._draining = not self._draining, True
        if start:
            # No parent: a save is never cancelled, even when the window goes.
            job = background.run_in_background(self._drain, on_yield=self._on_written)
            job.ended.connect(self.drained)

    def busy(self) -> bool:
        """True from a save until its entry is written (the job may not be in the pool yet)."""
        with self._lock:
            return self._draining

    def _drain(self) -> Iterator[tuple[Entry, dict[str, Any]] | str]:
        """In a pool thread: write the queued entries in order; yield each entry or error text."""
        while True:
            with self._lock:
                if not self._queue:
                    self._draining = False
                    return
                job = self._queue.popleft()
            outcome: tuple[Entry, dict[str, Any]] | str
            try:
                # Only when set, like service.render: a library without masks keeps working.
                masked: dict[str, Any] = {"mask": job.mask} if job.mask is not None else {}
                outcome = job.library.add(job.image, job.metadata, job.frames or None, **masked), job.metadata
            except Exception as exc:  # a full disk must not take the app down
                log.warning("history save failed: %s", exc)
                outcome = f"The picture could not be added to the history. {user_message(exc)}"
            yield outcome

    def _on_written(self, outcome: tuple[Entry, dict[str, Any]] | str) -> None:
        if isinstance(outcome, str):
            self.failed.emit(outcome)
        else:
            self.saved.emit(*outcome)

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until every queued entry is written (used when the window closes)."""
        return background.wait_idle(timeout_ms)
