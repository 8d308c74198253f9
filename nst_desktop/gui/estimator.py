"""Time and memory estimates for the chosen settings, computed off the GUI thread.

``engine.stylize.estimate`` imports torch and times a small convolution once per device,
so it runs in the thread pool; requests are debounced (edits come in bursts while a
slider moves) and only the newest answer is shown.

The engine's figure comes from its cost model (the same one the countdown during a run
uses); each finished run, full or quick look, tells how fast this computer really is, and
later estimates are scaled by that measured ratio (kept in the settings, averaged with the
previous one so one run on a busy machine does not swing it), so they match what the user
actually waits. Every answer carries the quick look's time too (``Forecast.quick_seconds``).
"""

from __future__ import annotations

import dataclasses
import logging
import math

from PySide6.QtCore import QObject, QTimer, Signal

from nst_desktop.engine.errors import NSTError
from nst_desktop.engine.params import Params
from nst_desktop.engine.presets import quick_look
from nst_desktop.gui import background
from nst_desktop.gui.background import Job, run_in_background

log = logging.getLogger(__name__)
DEBOUNCE_MS = 400
MIN_LEARN_S = 10.0  # shorter runs are mostly start-up overhead: they say little about speed
SPEED_FACTOR_RANGE = (0.05, 20.0)  # beyond this a measurement is more likely wrong than the model
NEW_RUN_SHARE = 0.5  # weight of the latest run in the learnt factor (geometric mean with the old one)

Request = tuple[Params, tuple[int, int], int]  # params, content (h, w), number of styles


@dataclasses.dataclass(frozen=True)
class Forecast:
    """What the estimate line shows: a full run of the settings, and a quick look of them."""

    seconds: float
    peak_bytes: int
    quick_seconds: float | None = None
    tile: int = 0  # > 0: the full run's last scale is painted in tiles of this many px


def _forecast(params: Params, hw: tuple[int, int], n_styles: int) -> tuple[Forecast, str]:
    """In a pool thread: the forecast and the device's name (imports torch the first time)."""
    from nst_desktop.engine.devices import pick_device
    from nst_desktop.engine.stylize import estimate

    device = pick_device(params.device).type.upper()
    full = estimate(params, hw, n_styles, params.device)
    quick = estimate(quick_look(params), hw, n_styles, params.device)
    return Forecast(full.seconds, full.peak_bytes, quick.seconds, full.tile), device


class Estimator(QObject):
    """``request(...)`` (debounced) -> ``estimated(Forecast, device)`` or ``unavailable(text)``.

    One estimate is computed at a time (two at once would time their convolutions against
    each other); a request made meanwhile waits for it, and the older answer is dropped."""

    estimated = Signal(object, str)
    unavailable = Signal(str)

    def __init__(self, parent: QObject | None = None, debounce_ms: int = DEBOUNCE_MS,
                 speed_factor: float | None = None) -> None:
        super().__init__(parent)
        self.speed_factor = speed_factor  # measured / modelled time; None until a run measured it
        self._answer: tuple[object, Forecast, str] | None = None  # (request key, raw answer, device)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self._submit)
        self._pending: Request | None = None
        self._last_key: object = None
        self._request_id = 0
        self._job: Job | None = None

    def request(self, params: Params, content_hw: tuple[int, int], n_styles: int) -> None:
        key = (params, content_hw, n_styles)
        if key == self._last_key:
            return
        self._pending = (params, content_hw, n_styles)
        self._timer.start()

    def _submit(self) -> None:
        if self._pending is None or self._job is not None:
            return  # a job on its way submits the pending request when it ends
        params, hw, n_styles = self._last_key = self._pending
        self._pending = None
        self._request_id += 1
        request_id = self._request_id
        self._job = run_in_background(
            _forecast, params, hw, n_styles, parent=self,
            on_success=lambda answer: self._on_answered(request_id, *answer),
            on_failure=lambda exc: self._on_failed(request_id, exc))
        self._job.ended.connect(self._on_job_ended)

    def _on_job_ended(self) -> None:
        self._job = None
        self._submit()

    def _on_failed(self, request_id: int, exc: BaseException) -> None:
        # An estimate is a nicety: a failure is shown as text, never breaks the app.
        log.info("estimate failed: %s", exc)
        text = exc.user_text() if isinstance(exc, NSTError) else str(exc)
        self._on_answered(request_id, None, text)

    def _on_answered(self, request_id: int, result: Forecast | None, text: str) -> None:
        if request_id != self._request_id or self._pending is not None:
            return  # an older request: the settings changed since
        if result is None:
            self.unavailable.emit(text)
        else:
            self._answer = (self._last_key, result, text)
            self.estimated.emit(self._corrected(result), text)

    def _corrected(self, result: Forecast) -> Forecast:
        if self.speed_factor is None:
            return result
        quick = result.quick_seconds
        return dataclasses.replace(result, seconds=result.seconds * self.speed_factor,
                                   quick_seconds=None if quick is None else quick * self.speed_factor)

    def learn(self, params: Params, content_hw: tuple[int, int], n_styles: int, elapsed_s: float
              ) -> float | None:
        """After a finished run of these settings (or of their quick look): measure how far the
        model was off, re-emit the current estimate corrected, and return the new factor
        (None: nothing learnt)."""
        if self._answer is None or elapsed_s < MIN_LEARN_S:
            return None
        key, raw, device = self._answer
        modelled = _modelled_seconds(key, raw, (params, content_hw, n_styles))
        if modelled is None:
            return None  # the estimate shown was for other settings
        low, high = SPEED_FACTOR_RANGE
        measured = elapsed_s / modelled
        if self.speed_factor is not None:  # in log space: 2x too slow and 2x too fast cancel out
            measured = math.exp(NEW_RUN_SHARE * math.log(measured)
                                + (1 - NEW_RUN_SHARE) * math.log(self.speed_factor))
        self.speed_factor = min(high, max(low, measured))
        self.estimated.emit(self._corrected(raw), device)
        return self.speed_factor

    @property
    def calibrated(self) -> bool:
        """True once a real run has measured this computer's speed."""
        return self.speed_factor is not None

    def busy(self) -> bool:
        """True while an estimate is waiting for its debounce or being computed."""
        return self._timer.isActive() or self._pending is not None or self._job is not None

    def wait(self, timeout_ms: int = 10000) -> bool:
        """Block until background work is done (closing, tests); its answer is not delivered."""
        return background.wait_idle(timeout_ms)


def _modelled_seconds(key: object, raw: Forecast, ran: Request) -> float | None:
    """The model's seconds for the run that finished: the full run's or the quick look's of the
    settings last estimated; None when that run had other settings."""
    if not isinstance(key, tuple) or key[1:] != ran[1:]:
        return None
    if key[0] == ran[0]:
        seconds: float | None = raw.seconds
    else:
        seconds = raw.quick_seconds if quick_look(key[0]) == ran[0] else None
    return seconds if seconds is not None and seconds > 0 else None
