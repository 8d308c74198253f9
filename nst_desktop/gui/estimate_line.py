"""The estimate line under the picture: asking the estimator for the settings on screen,
showing its answer, the first launch's switch to Draft on a slow computer (said in view, with
a way back), and learning this computer's speed from finished runs.

Split out of the main window, as tweak_loop.py is: it owns the window's estimate state
(``first_launch``, ``launch_params``) and talks to the window's panels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Slot

from nst_desktop.gui.learned_speed import to_settings
from nst_desktop.gui.run_panel import format_estimate
from nst_desktop.gui.worker import Outcome

if TYPE_CHECKING:
    from nst_desktop.gui.main_window import MainWindow

FIRST_PICTURE_BUDGET_S = 120.0  # above this estimate, a first launch switches to the quick preset
QUICK_PRESET = "draft"
LEARNED_SPEED_KEY = "estimate/learned_speed"  # gui.learned_speed.to_settings


class EstimateLine(QObject):
    """Keeps the run panel's estimate in step with the photo, styles and params."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.first_launch = False  # a new user's first start: the app may pick Draft once
        self.launch_params: Any = None  # the params it started with ("Keep my settings")
        estimator = window.estimator
        estimator.estimated.connect(self._on_estimated)
        estimator.unavailable.connect(self._on_unavailable)
        window.run_panel.keepSettingsRequested.connect(self.keep_launch_settings)
        window.runner.worker.finished.connect(self.learn_speed)

    def request(self) -> None:
        """Ask for an estimate of the settings on screen (debounced by the estimator)."""
        inputs = self.window.inputs
        content = inputs.content()
        if content is not None and inputs.styles():
            self.window.estimator.request(self.window.params_panel.params(), content.full_hw,
                                          len(inputs.styles()))

    @Slot(str)
    def _on_unavailable(self, text: str) -> None:
        self.window.run_panel.set_estimate_text(text)
        self.window.warm_up_engine()

    @Slot(object, str)
    def _on_estimated(self, estimate: Any, device: str) -> None:
        window = self.window
        window.warm_up_engine()
        untouched = window.params_panel.params() == self.launch_params
        if (self.first_launch and untouched and estimate.seconds > FIRST_PICTURE_BUDGET_S
                and not window.runner.running):
            # The first picture should come quickly: on a slow computer start with Draft. Said in
            # view, in the run panel with a way back, not only in the status bar.
            self.first_launch = False
            window.params_panel.apply_preset(QUICK_PRESET)
            text = (f"The first picture would take {format_estimate(estimate.seconds)} here, so the app "
                    "switched to the Draft preset to show one quickly.")
            window.run_panel.show_notice(text)
            window.statusBar().showMessage(text, 10000)
            return
        self.first_launch = False
        window.run_panel.set_estimate(estimate.seconds, estimate.peak_bytes, device,
                                      first_guess=not window.estimator.calibrated,
                                      quick_seconds=getattr(estimate, "quick_seconds", None),
                                      tile=getattr(estimate, "tile", 0))

    @Slot()
    def keep_launch_settings(self) -> None:
        """The notice's "Keep my settings": back to the settings the app started with."""
        if self.launch_params is not None:
            self.window.params_panel.set_params(self.launch_params)
            self.window.statusBar().showMessage("Back to your settings.", 5000)

    @Slot(object)
    def learn_speed(self, outcome: Outcome) -> None:
        """A finished run tells how fast this computer really is: later estimates use it."""
        window = self.window
        result = outcome.result
        request = outcome.request
        if result is None or request.start_from is not None:
            return  # a promoted run skipped scales: its time says nothing of a whole run
        # The photo that was painted, not the one on screen now (another may be open by then).
        factor = window.estimator.learn(result.params, request.content_hw, len(request.styles),
                                        result.elapsed_s)
        if factor is not None:
            window.settings.write(LEARNED_SPEED_KEY, to_settings(window.estimator.learned))
