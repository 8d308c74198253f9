"""The estimate line under the picture: asking the estimator for the settings on screen,
showing its answer, the first launch's switch to Draft on a slow computer (said in view, with
a way back), and learning this computer's speed from finished runs.

It also warms the engine up: once the first estimate is in (the estimate times a convolution
to gauge the computer's speed, which a warm-up running beside it would make look slow), or
:data:`WARM_UP_FALLBACK_MS` after the inputs load when no estimate is coming (no style yet).

Split out of the main window, as tweak_loop.py is: it owns the window's estimate state
(``first_launch``, ``launch_params``) and is given the panels, the estimator, the runner and the
settings it works with, never the window (issue 17.2).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QStatusBar

from nst_desktop.gui.estimator import Estimator
from nst_desktop.gui.inputs_panel import InputsPanel
from nst_desktop.gui.learned_speed import to_settings
from nst_desktop.gui.params_panel import ParamsPanel
from nst_desktop.gui.run_panel import RunPanel, format_estimate
from nst_desktop.gui.run_request import Outcome
from nst_desktop.gui.settings import Settings
from nst_desktop.gui.worker import RunThread

FIRST_PICTURE_BUDGET_S = 120.0  # above this estimate, a first launch switches to the quick preset
QUICK_PRESET = "draft"
LEARNED_SPEED_KEY = "estimate/learned_speed"  # gui.learned_speed.to_settings
WARM_UP_FALLBACK_MS = 2000


class EstimateLine(QObject):
    """Keeps the run panel's estimate in step with the photo, styles and params."""

    def __init__(self, estimator: Estimator, runner: RunThread, inputs: InputsPanel,
                 params_panel: ParamsPanel,
                 run_panel: RunPanel, status: QStatusBar, settings: Settings,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.estimator, self.runner, self.inputs, self.params_panel = estimator, runner, inputs, params_panel
        self.run_panel, self.status, self.settings = run_panel, status, settings
        self.first_launch = False  # a new user's first start: the app may pick Draft once
        self.launch_params: Any = None  # the params it started with ("Keep my settings")
        estimator.estimated.connect(self._on_estimated)
        estimator.unavailable.connect(self._on_unavailable)
        run_panel.keepSettingsRequested.connect(self.keep_launch_settings)
        runner.worker.finished.connect(self.learn_speed)
        inputs.changed.connect(self.request)
        params_panel.paramsChanged.connect(self.request)

    def first_launch_began(self, new_user: bool) -> None:
        """The app's first launch: for a new user (no pictures in the history yet), the first
        estimate may switch the settings on screen now to Draft (issue 8.4)."""
        self.first_launch = new_user
        self.launch_params = self.params_panel.params()

    def inputs_loaded(self) -> None:
        """The launch's inputs are on their way: an estimate, and the warm-up's fallback timer."""
        self.request()
        QTimer.singleShot(WARM_UP_FALLBACK_MS, self, self.on_warm_up_timer)

    @Slot()
    def request(self) -> None:
        """Ask for an estimate of the settings on screen (debounced by the estimator)."""
        content = self.inputs.content()
        if content is not None and self.inputs.styles():
            self.estimator.request(self.params_panel.params(), content.full_hw, len(self.inputs.styles()))

    def on_warm_up_timer(self) -> None:
        if not self.estimator.busy():  # else the estimate's answer starts the warm-up
            self.warm_up_engine()

    def warm_up_engine(self) -> None:
        # While the user looks at the window, not during their first run (see worker.py);
        # once only (the runner ignores later calls).
        if not self.runner.running:
            self.runner.warm_up(self.params_panel.params())

    @Slot(str)
    def _on_unavailable(self, text: str) -> None:
        self.run_panel.set_estimate_text(text)
        self.warm_up_engine()

    @Slot(object, str)
    def _on_estimated(self, estimate: Any, device: str) -> None:
        self.warm_up_engine()
        untouched = self.params_panel.params() == self.launch_params
        if (self.first_launch and untouched and estimate.seconds > FIRST_PICTURE_BUDGET_S
                and not self.runner.running):
            # The first picture should come quickly: on a slow computer start with Draft. Said in
            # view, in the run panel with a way back, not only in the status bar.
            self.first_launch = False
            self.params_panel.apply_preset(QUICK_PRESET)
            text = (f"The first picture would take {format_estimate(estimate.seconds)} here, so the app "
                    "switched to the Draft preset to show one quickly.")
            self.run_panel.show_notice(text)
            self.status.showMessage(text, 10000)
            return
        self.first_launch = False
        self.run_panel.set_estimate(estimate.seconds, estimate.peak_bytes, device,
                                    first_guess=not self.estimator.calibrated,
                                    quick_seconds=getattr(estimate, "quick_seconds", None),
                                    tile=getattr(estimate, "tile", 0),
                                    brush=self._brush_cost(estimate))

    def _brush_cost(self, estimate: Any) -> tuple[float, float] | None:
        """(brush size, seconds it adds) when the brush is above 1x and the estimate costed it."""
        seconds = getattr(estimate, "brush_seconds", None)
        return None if seconds is None else (self.params_panel.params().brush_size, seconds)

    @Slot()
    def keep_launch_settings(self) -> None:
        """The notice's "Keep my settings": back to the settings the app started with."""
        if self.launch_params is not None:
            self.params_panel.set_params(self.launch_params)
            self.status.showMessage("Back to your settings.", 5000)

    @Slot(object)
    def learn_speed(self, outcome: Outcome) -> None:
        """A finished run tells how fast this computer really is: later estimates use it."""
        result = outcome.result
        request = outcome.request
        if result is None or request.start_from is not None:
            return  # a promoted run skipped scales: its time says nothing of a whole run
        # The photo that was painted, not the one on screen now (another may be open by then).
        factor = self.estimator.learn(result.params, request.content_hw, len(request.styles),
                                      result.elapsed_s)
        if factor is not None:
            self.settings.write(LEARNED_SPEED_KEY, to_settings(self.estimator.learned))
