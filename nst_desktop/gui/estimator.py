"""Time and memory estimates for the chosen settings, computed off the GUI thread.

``engine.run.stylize.estimate`` imports torch and times a small convolution once per device,
so it runs in the thread pool; requests are debounced (edits come in bursts while a
slider moves) and only the newest answer is shown.

The engine's figure comes from its cost model (the same one the countdown during a run
uses); each finished run, full or quick look, tells how fast this computer really is
(``gui.learned_speed``: the ratio measured / modelled, kept with the calibrated speed it was
measured against, per device and precision, and per kind of run), and later estimates use
that speed and ratio, in this launch and the next ones, so they match what the user actually
waits. Every answer carries the quick look's time too (``Forecast.quick_seconds``).

Until a run has measured this computer the calibration gives a first guess, and it is timed
only once the app's other background work (the photo, thumbnails) is done or
:data:`QUIET_WAIT_MS` has passed: a decode beside it on 2 cores made it 1.5-3x too slow.
"""

from __future__ import annotations

import dataclasses
import logging

from PySide6.QtCore import QObject, QTimer, Signal

from nst_desktop.engine.spec.errors import NSTError
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.presets import quick_look
from nst_desktop.gui import background
from nst_desktop.gui.background import BackgroundJob, run_in_background
from nst_desktop.gui.learned_speed import LearnedSpeed

log = logging.getLogger(__name__)
DEBOUNCE_MS = 400
#: Shorter runs say little about speed (timer resolution, a hiccup); a quick look on a fast
#: computer takes 5-10 s, and its forecast must be learnt too.
MIN_LEARN_S = 3.0
QUIET_WAIT_MS = 5000  # the longest a first calibration waits for other background jobs to end
QUIET_POLL_MS = 100
KEPT_ANSWERS = 16  # raw answers kept to learn from (a run started with one of them on show)

Request = tuple[Params, tuple[int, int], int]  # params, content (h, w), number of styles


@dataclasses.dataclass(frozen=True)
class Forecast:
    """What the estimate line shows: a full run of the settings, and a quick look of them."""

    seconds: float
    peak_bytes: int
    quick_seconds: float | None = None
    tile: int = 0  # > 0: the full run's last scale is painted in tiles of this many px
    speed_key: str = ""  # engine.run.cost.speed_key: what the speed used is valid for
    speed: dict[str, float | bool] = dataclasses.field(default_factory=dict)  # the Speed used, as values
    brush_seconds: float | None = None  # what a brush size above 1x adds to the full run (None: 1x)


def _forecast(params: Params, hw: tuple[int, int], n_styles: int,
              learned: dict[str, dict[str, float | bool]]) -> tuple[Forecast, str]:
    """In a pool thread: the forecast and the device's name (imports torch the first time), at
    the speed learnt for this device and precision if there is one, else at a calibrated one."""
    from nst_desktop.engine.model.devices import pick_device
    from nst_desktop.engine.run.cost import Speed, calibrated_speed, speed_key
    from nst_desktop.engine.run.stylize import estimate

    device = pick_device(params.device).type.upper()
    key = speed_key(params)
    stored = learned.get(key)
    speed = Speed(**stored) if stored is not None else calibrated_speed(params)  # type: ignore[arg-type]
    full = estimate(params, hw, n_styles, params.device, speed=speed)
    quick = estimate(quick_look(params), hw, n_styles, params.device, speed=speed)
    brush = None
    if params.brush_size != 1.0:  # the same run at 1x, by the same model: the brush's own cost
        plain = estimate(params.with_changes(brush_size=1.0), hw, n_styles, params.device, speed=speed)
        brush = full.seconds - plain.seconds
    return Forecast(full.seconds, full.peak_bytes, quick.seconds, full.tile, key,
                    dataclasses.asdict(speed), brush), device


class Estimator(QObject):
    """``request(...)`` (debounced) -> ``estimated(Forecast, device)`` or ``unavailable(text)``.

    One estimate is computed at a time (two at once would time their convolutions against
    each other); a request made meanwhile waits for it, and the older answer is dropped."""

    estimated = Signal(object, str)
    unavailable = Signal(str)

    def __init__(self, parent: QObject | None = None, debounce_ms: int = DEBOUNCE_MS,
                 learned: dict[str, LearnedSpeed] | None = None) -> None:
        super().__init__(parent)
        self.learned = dict(learned or {})  # by engine.run.cost.speed_key: what runs measured
        self._quiet_waited_ms = 0  # how long the first calibration has waited for the pool
        self._answer: tuple[object, Forecast, str] | None = None  # (request key, raw answer, device)
        # The last few raw answers by request: a run is learnt from the forecast of its own photo
        # and settings, even when another photo is on screen (and estimated) when it ends.
        self._answers: dict[object, Forecast] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self._submit)
        self._pending: Request | None = None
        self._last_key: object = None
        self._request_id = 0
        self._job: BackgroundJob | None = None

    def request(self, params: Params, content_hw: tuple[int, int], n_styles: int) -> None:
        key = (params, content_hw, n_styles)
        if key == self._last_key:
            return
        self._pending = (params, content_hw, n_styles)
        self._timer.start()

    def _submit(self) -> None:
        if self._pending is None or self._job is not None:
            return  # a job on its way submits the pending request when it ends
        if self._should_wait_for_quiet():
            QTimer.singleShot(QUIET_POLL_MS, self, self._submit)
            return
        params, hw, n_styles = self._last_key = self._pending
        self._pending = None
        self._request_id += 1
        request_id = self._request_id
        speeds = {key: entry.speed for key, entry in self.learned.items()}
        self._job = run_in_background(
            _forecast, params, hw, n_styles, speeds, parent=self,
            on_success=lambda answer: self._on_answered(request_id, *answer),
            on_failure=lambda exc: self._on_failed(request_id, exc))
        self._job.ended.connect(self._on_job_ended)

    def _should_wait_for_quiet(self) -> bool:
        """True while a first calibration should wait: other background jobs would share the
        cores with its timing (a learnt speed needs no timing, but which one applies is only
        known in the pool thread, so every first estimate waits)."""
        if self._answer is not None or self._quiet_waited_ms >= QUIET_WAIT_MS or background.pending() == 0:
            return False
        self._quiet_waited_ms += QUIET_POLL_MS
        return True

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
            self._answers.pop(self._last_key, None)
            self._answers[self._last_key] = result
            while len(self._answers) > KEPT_ANSWERS:
                del self._answers[next(iter(self._answers))]
            self.estimated.emit(self._corrected(result), text)

    def _corrected(self, result: Forecast) -> Forecast:
        entry = self.learned.get(result.speed_key)
        if entry is None:
            return result
        full, quick = entry.factor("full") or 1.0, entry.factor("quick") or 1.0
        return dataclasses.replace(result, seconds=result.seconds * full,
                                   quick_seconds=None if result.quick_seconds is None
                                   else result.quick_seconds * quick,
                                   brush_seconds=None if result.brush_seconds is None
                                   else result.brush_seconds * full)

    def learn(self, params: Params, content_hw: tuple[int, int], n_styles: int, elapsed_s: float
              ) -> float | None:
        """After a finished run of these settings (or of their quick look) on a photo of
        ``content_hw``: measure how far the model was off, re-emit the current estimate
        corrected, and return the new ratio for that kind of run (None: nothing learnt)."""
        if self._answer is None or elapsed_s < MIN_LEARN_S:
            return None
        found = _modelled_seconds(self._answers, (params, content_hw, n_styles))
        if found is None:
            return None  # no estimate was made for these settings on this photo
        raw, kind, modelled = found
        if not raw.speed_key:
            return None
        entry = self.learned.get(raw.speed_key)
        if entry is None or entry.speed != raw.speed:  # ratios hold only for the speed they were measured at
            entry = LearnedSpeed(raw.speed, {})
        self.learned[raw.speed_key] = entry = entry.learnt(kind, elapsed_s / modelled)
        _key, shown, device = self._answer
        self.estimated.emit(self._corrected(shown), device)  # the line shows the settings on screen
        return entry.factors[kind]

    @property
    def calibrated(self) -> bool:
        """True once a real run has measured this computer's speed for the settings on show."""
        return self._answer is not None and self._answer[1].speed_key in self.learned

    def busy(self) -> bool:
        """True while an estimate is waiting for its debounce or being computed."""
        return self._timer.isActive() or self._pending is not None or self._job is not None

    def wait(self, timeout_ms: int = 10000) -> bool:
        """Block until background work is done (closing, tests); its answer is not delivered."""
        return background.wait_idle(timeout_ms)


def _modelled_seconds(answers: dict[object, Forecast], ran: Request) -> tuple[Forecast, str, float] | None:
    """The raw answer, kind ("full" or "quick") and model's seconds of the run that finished: a
    full run of settings estimated, or the quick look of them; None if none was estimated."""
    params, hw, n_styles = ran
    raw = answers.get(ran)
    if raw is not None and raw.seconds > 0:
        return raw, "full", raw.seconds
    for key, raw in reversed(answers.items()):
        if (isinstance(key, tuple) and key[1:] == (hw, n_styles) and raw.quick_seconds
                and quick_look(key[0]) == params):
            return raw, "quick", raw.quick_seconds
    return None
