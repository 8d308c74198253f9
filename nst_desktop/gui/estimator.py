"""Time and memory estimates for the chosen settings, computed off the GUI thread.

``engine.stylize.estimate`` imports torch and times a small convolution once per device,
so it runs in the thread pool; requests are debounced (edits come in bursts while a
slider moves) and only the newest answer is shown.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from nst_desktop.engine.params import Params

log = logging.getLogger(__name__)
DEBOUNCE_MS = 400


class _Relay(QObject):
    """Carries the answer from the pool thread back to the GUI thread (queued signal)."""

    answered = Signal(int, object, str)  # request id, Estimate or None, device name or error text


class _Job(QRunnable):
    """One estimate, computed in a pool thread."""

    def __init__(self, request_id: int, params: Params, hw: tuple[int, int], n_styles: int,
                 relay: _Relay) -> None:
        super().__init__()
        self.request_id, self.params, self.hw, self.n_styles, self.relay = (
            request_id, params, hw, n_styles, relay)

    def run(self) -> None:
        try:
            from nst_desktop.engine.devices import pick_device
            from nst_desktop.engine.stylize import estimate

            device = pick_device(self.params.device).type.upper()
            result: Any = estimate(self.params, self.hw, self.n_styles, self.params.device)
            self.relay.answered.emit(self.request_id, result, device)
        except Exception as exc:  # an estimate is a nicety: never let it break the app
            log.info("estimate failed: %s", exc)
            text = exc.user_text() if hasattr(exc, "user_text") else str(exc)
            self.relay.answered.emit(self.request_id, None, text)


class Estimator(QObject):
    """``request(...)`` (debounced) -> ``estimated(Estimate, device)`` or ``unavailable(text)``."""

    estimated = Signal(object, str)
    unavailable = Signal(str)

    def __init__(self, parent: QObject | None = None, debounce_ms: int = DEBOUNCE_MS) -> None:
        super().__init__(parent)
        self._relay = _Relay()
        self._relay.answered.connect(self._on_answered)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self._submit)
        self._pending: tuple[Params, tuple[int, int], int] | None = None
        self._last_key: object = None
        self._request_id = 0
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)

    def request(self, params: Params, content_hw: tuple[int, int], n_styles: int) -> None:
        key = (params, content_hw, n_styles)
        if key == self._last_key:
            return
        self._pending = (params, content_hw, n_styles)
        self._timer.start()

    def _submit(self) -> None:
        if self._pending is None:
            return
        params, hw, n_styles = self._pending
        self._last_key = self._pending
        self._pending = None
        self._request_id += 1
        self.pool.start(_Job(self._request_id, params, hw, n_styles, self._relay))

    def _on_answered(self, request_id: int, result: Any, text: str) -> None:
        if request_id != self._request_id or self._pending is not None:
            return  # an older request: the settings changed since
        if result is None:
            self.unavailable.emit(text)
        else:
            self.estimated.emit(result, text)

    def wait(self, timeout_ms: int = 10000) -> bool:
        return bool(self.pool.waitForDone(timeout_ms))
