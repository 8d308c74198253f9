"""Write finished runs to the library off the GUI thread.

Encoding the time-lapse of a run takes seconds (an animated WebP of up to ~150 frames);
done in the GUI thread it would freeze the window right when the picture appears.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from nst_desktop.gui.errors import user_message

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Carries results from the pool thread to the GUI thread (queued signals)."""

    saved = Signal(object)  # Entry
    failed = Signal(str)


class _SaveJob(QRunnable):
    """Writes one entry (image, thumbnail, time-lapse) in a pool thread."""

    def __init__(self, relay: _Relay, library: Any, image: Any, metadata: dict[str, Any],
                 frames: Sequence[Any]) -> None:
        super().__init__()
        self.relay, self.library, self.image, self.metadata, self.frames = (
            relay, library, image, metadata, frames)

    def run(self) -> None:
        try:
            entry = self.library.add(self.image, self.metadata, list(self.frames) or None)
        except Exception as exc:  # a full disk must not take the app down
            log.warning("history save failed: %s", exc)
            self.relay.failed.emit(f"The picture could not be added to the history. {user_message(exc)}")
        else:
            self.relay.saved.emit(entry)


class HistorySaver(QObject):
    """``save(...)`` returns at once; ``saved(Entry)`` or ``failed(text)`` follows."""

    saved = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._relay = _Relay()
        self._relay.saved.connect(self.saved)
        self._relay.failed.connect(self.failed)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # entries are written in the order the runs ended

    def save(self, library: Any, image: Any, metadata: dict[str, Any], frames: Sequence[Any]) -> None:
        self.pool.start(_SaveJob(self._relay, library, image, metadata, frames))

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until every queued entry is written (used when the window closes)."""
        return bool(self.pool.waitForDone(timeout_ms))
