"""The tweak loop around a run: live edits, quick looks, promoting a picture to full size,
and variations.

Kept out of the main window, which only wires it. What it does:

* **Live edits.** What of the document's recipe the running picture can take now, and what
  waits for the next run, is the document's (``Document.live_changes``). While a run paints,
  a change of a look control (style strength,
  smoothness, content weight, colours, style scale) or of a style's blend goes to the
  running engine (``RunThread.edit``), which applies it at its next step. Until the engine's
  event says it landed, the status bar says it is pending (a step or a set-up of the styles
  can take a minute: an edit must not look applied before it is), then "changed at step N",
  numbered as the progress line numbers its steps. Changes that need a new run (size, steps,
  layers...) wait for the next run, and the status bar says so.
* **Quick look.** The current settings small and short: a run of kind "quick", whose Job
  ``recipe.jobs.job_for`` makes (``run_params``), as for every window run.
* **Promote.** "Render full size" goes on from the picture on show (a quick look, a
  variation, a stopped or smaller picture), given to ``job_for`` as ``from_picture``: only the
  larger scales are painted, and the composition the artist picked is kept.
* **Variations.** A sweep of one control as a grid of quick looks
  (``gui.variations_dialog``); a click takes that variation's settings and picture.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QStatusBar, QWidget

from nst_desktop.engine.spec.events import ProgressEvent
from nst_desktop.engine.spec.live import BLEND
from nst_desktop.gui.actions import Actions
from nst_desktop.gui.errors import ReportError
from nst_desktop.gui.inputs_panel import InputsPanel
from nst_desktop.gui.params_panel import ParamsPanel
from nst_desktop.gui.run_controller import RunController
from nst_desktop.gui.run_panel import RunPanel, describe_changes
from nst_desktop.gui.run_request import RunRequest
from nst_desktop.recipe.document import Document
from nst_desktop.recipe.recipe import Recipe
from nst_desktop.service.render import StylizeFn

log = logging.getLogger(__name__)


class TweakLoop(QObject):
    """Live edits, quick look, promote and variations, around the runs of ``runs``."""

    variationsOpened = Signal(object)  # VariationsDialog: the render queue holds while it paints (18.3)

    def __init__(self, document: Document, runs: RunController, inputs: InputsPanel,
                 params_panel: ParamsPanel,
                 run_panel: RunPanel, actions: Actions, status: QStatusBar, report_error: ReportError,
                 dialog_parent: QWidget, stylize_fn: StylizeFn | None = None) -> None:
        super().__init__(dialog_parent)
        self.document, self.runs, self.session, self.runner = document, runs, runs.session, runs.runner
        self._seen = document.recipe  # the last recipe seen: tells what moved, the settings or the blend
        self.inputs, self.params_panel, self.run_panel = inputs, params_panel, run_panel
        self.actions, self.status, self._report_error = actions, status, report_error
        self._dialog_parent, self._stylize_fn = dialog_parent, stylize_fn
        self._pending: dict[str, Any] = {}  # sent to the engine, not yet reported landed
        self._preparing = False  # the engine is setting up the styles (no step for a while)
        self.variations_dialog: Any = None
        runs.add_blocker(lambda: self.variations_dialog is not None)  # the grid holds the engine
        self._connect()

    def _connect(self) -> None:
        a, worker = self.actions, self.runner.worker
        self.session.pictureShown.connect(self._on_picture_shown)
        self.runs.runStarted.connect(self.run_started)
        worker.done.connect(self.run_done)
        worker.progressed.connect(self.run_progressed)
        self.document.recipeChanged.connect(self._on_recipe_changed)
        self.run_panel.quickLookRequested.connect(self.start_quick_look)
        self.run_panel.promoteRequested.connect(self.promote)
        a.quick_look.triggered.connect(self.start_quick_look)
        a.promote.triggered.connect(self.promote)
        for sweep, action in a.variations.items():
            action.triggered.connect(lambda _=False, s=sweep: self.open_variations(s))
        a.variations_menu.aboutToShow.connect(self.refresh_variations_menu)
        self.refresh_promote()

    # --- starting ----------------------------------------------------------------------------
    @Slot()
    def start_quick_look(self) -> bool:
        session = self.session
        if self.runner.running or session.wait_for_inputs(self.start_quick_look):
            return False  # as Start: pressed while the launch reopens the photo, it waits for it
        request = session.make_request("quick")  # small and short: recipe.jobs.run_params
        return request is not None and self.runs.start_request(request)

    @Slot()
    def promote(self) -> bool:
        """Render full size from the picture on show (see the module docstring)."""
        picture = self.session.picture()
        if picture is None or not self.can_promote():
            return False
        # recipe.jobs.job_for goes on from it, its record and mask kept for a replay.
        request = self.session.make_request("promote", from_picture=picture)
        return request is not None and self.runs.start_request(request)

    @Slot(int)
    def promote_to(self, long_side: int) -> bool:
        """Export's "Render at print size": the Output size raised to ``long_side`` (an undo step,
        as the Print button's sizes), then promoted; big sizes are painted in tiles by the engine."""
        if self.params_panel.params().size != long_side:
            self.params_panel.update_fields(size=long_side)
        problem = self.promote_problem()
        if problem:
            self._report_error(f"Render at print size: {problem}.")
            return False
        return self.promote()

    def can_promote(self) -> bool:
        return not self.promote_problem()

    def promote_problem(self) -> str:
        """Why the picture on show cannot go on to full size now; "" when it can: a picture of
        the photo on screen, smaller than the output size or stopped before its end."""
        session = self.session
        if session.result_image is None:
            return "Needs a quick look, a variation or a stopped picture to go on from"
        if self.runner.running:
            return "Wait for the run to end"
        content = self.inputs.content()
        if not session.painted_from.is_photo(content):
            # Going on from another photo's picture would paint that picture over this photo.
            return ("The picture on show was painted from another photo: open that photo again, "
                    "or paint this one first")
        long_side = max(session.result_image.shape[:2])
        stopped = bool(session.metadata and session.metadata.get("stopped"))
        if long_side >= self.params_panel.params().size and not stopped:
            return "The picture on show is already at the output size: raise Output size to go on"
        return ""

    def refresh_promote(self) -> None:
        problem = self.promote_problem()
        size = self.params_panel.params().size
        tip = problem or (f"Go on from the picture on show up to {size} px, keeping its composition "
                          "(Ctrl+Shift+F)")
        self.run_panel.set_can_promote(not problem, tip)
        action = self.actions.promote
        action.setEnabled(not problem)
        action.setToolTip(tip)
        action.setStatusTip(tip)  # the menu shows the status tip: the reason reaches the status bar

    @Slot(object)
    def _on_picture_shown(self, _picture: object) -> None:
        self.refresh_promote()  # e.g. a history entry: promotable when it is of the photo on screen

    # --- live edits -----------------------------------------------------------------------------
    @Slot(object)
    def run_started(self, _request: RunRequest) -> None:
        self._pending, self._preparing = {}, False
        self.refresh_promote()

    def run_done(self) -> None:
        if self._pending:  # sent after the last step: the picture does not have it
            self.status.showMessage(f"{describe_changes(self._pending)}: the run ended before "
                                                "it could land; it applies to the next run.", 8000)
        self._pending = {}
        self.refresh_promote()

    def run_progressed(self, event: ProgressEvent) -> None:
        """The engine's event: a pending edit landed (``event.edit``), or a set-up started."""
        preparing_changed = self._preparing != (not event.is_step)
        self._preparing = not event.is_step
        landed = {key: value for key, value in (event.edit or {}).items()
                  if key in self._pending and self._pending[key] == value}  # not re-sent since
        for key in landed:
            del self._pending[key]
        if self._pending and (landed or preparing_changed):
            self._say_pending()
        elif landed:
            self.status.showMessage(
                f"{describe_changes(landed)}: changed at step {event.total_step}.", 8000)

    def _send(self, changes: dict[str, Any]) -> None:
        self.runner.edit(changes)
        self.document.sent(changes)  # the running picture's look now
        self._pending.update(changes)
        self._say_pending()

    def _say_pending(self) -> None:
        wait = "until the styles are prepared, then lands at the next step" if self._preparing \
            else "for the next step"
        # No time-out: it stays until the edit lands (run_progressed) or the run ends (run_done).
        self.status.showMessage(f"{describe_changes(self._pending)}: waits {wait}…")

    @Slot(object)
    def _on_recipe_changed(self, recipe: Recipe) -> None:
        seen, self._seen = self._seen, recipe
        if self.document.running is None or not self.runner.running:
            self.refresh_promote()  # e.g. another photo: can the picture on show still go on?
            return
        if recipe.params != seen.params:
            self._settings_changed()
        if recipe.styles != seen.styles:
            self._blend_changed(recipe.blend)

    def _settings_changed(self) -> None:
        """A control moved: hand what a running picture can take to the engine now."""
        changes, waiting = self.document.live_changes()
        look = {name: value for name, value in changes.items() if name != BLEND}
        if look:
            self._send(look)
        if waiting:
            self.status.showMessage(
                f"{', '.join(waiting)}: applies to the next run (the painting goes on as it was).", 8000)

    def _blend_changed(self, blend: tuple[float, ...]) -> None:
        """Blend weights moved during a run: a live edit when the styles are the same ones."""
        running = self.document.running
        if running is None or blend == running.blend:
            return
        if len(blend) != len(running.blend) or sum(blend) <= 0:
            self.status.showMessage("New styles apply to the next run.", 8000)
            return
        self._send({BLEND: list(blend)})

    # --- variations -----------------------------------------------------------------------------
    def open_variations(self, sweep: str) -> None:
        from nst_desktop.engine.spec.variations import variations
        from nst_desktop.gui.variations_dialog import VariationsDialog

        if self.runner.running or self.variations_dialog is not None:
            return
        content, styles = self.inputs.content(), self.inputs.styles()
        if content is None or not self.inputs.ready():
            self._report_error("Add a photo and at least one style first.")
            return
        blend = [s.weight for s in styles]
        names = [s.loaded.name for s in styles]
        sweep_list = variations(self.params_panel.params(), blend, sweep, names=names)
        request = self.session.make_request()  # loads a start image if the settings need one
        if request is None:
            return
        dialog = VariationsDialog(content.image, request.styles, sweep_list, self._dialog_parent,
                                  stylize_fn=self._stylize_fn, init_image=request.init_image)
        dialog.variationChosen.connect(self._on_variation_chosen)
        dialog.runningChanged.connect(self._on_variations_running)
        dialog.finished.connect(self._on_variations_closed)
        self.variations_dialog = dialog
        self.variationsOpened.emit(dialog)
        dialog.show()
        dialog.start()

    def refresh_variations_menu(self) -> None:
        """Disable the sweeps that would show nothing (seed without noise, one style), and say why."""
        from nst_desktop.engine.spec.variations import sweep_problem

        params, n_styles = self.params_panel.params(), len(self.inputs.styles())
        for sweep, action in self.actions.variations.items():
            problem = sweep_problem(sweep, params, n_styles)
            action.setEnabled(not problem)
            action.setToolTip(problem or action.statusTip())

    def close_variations(self) -> None:
        if self.variations_dialog is not None:
            self.variations_dialog.close()

    def _on_variations_running(self, running: bool) -> None:
        self.actions.set_running(running)
        self.run_panel.set_running(running)
        if not running:
            self.actions.stop.setEnabled(False)

    def _on_variations_closed(self, *_: object) -> None:
        self.variations_dialog = None
        self._on_variations_running(False)

    def _on_variation_chosen(self, chosen: Any) -> None:
        """Take the variation's settings and picture; it can then be promoted."""
        variation = chosen.variation
        self.params_panel.set_params(variation.params)
        for index, weight in enumerate(variation.blend):
            self.inputs.set_style_weight(index, weight)
        self.session.adopt(chosen.result, list(variation.blend))
        text = f"Took the variation '{variation.label}': Render full size to go on."
        self.run_panel.plot.clear()  # its curves are not the variation's
        self.run_panel.status_label.setText(text)
        self.status.showMessage(text, 8000)
        self.refresh_promote()
