"""The tweak loop around a run: live edits, quick looks, promoting a picture to full size,
and variations.

Kept out of the main window, which only wires it. What it does:

* **Live edits.** While a run paints, a change of a look control (style strength,
  smoothness, content weight, colours, style scale) or of a style's blend goes to the
  running engine (``RunThread.edit``), which applies it at its next step. Until the engine's
  event says it landed, the status bar says it is pending (a step or a set-up of the styles
  can take a minute: an edit must not look applied before it is), then "changed at step N",
  numbered as the progress line numbers its steps. Changes that need a new run (size, steps,
  layers...) wait for the next run, and the status bar says so.
* **Quick look.** The current settings at 256 px (``engine.spec.presets.quick_look``).
* **Promote.** "Render full size" goes on from the picture on show (a quick look, a
  variation, a stopped or smaller picture) with ``start_from``: only the larger scales are
  painted, and the composition the artist picked is kept.
* **Variations.** A sweep of one control as a grid of quick looks
  (``gui.variations_dialog``); a click takes that variation's settings and picture.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot

from nst_desktop.engine.spec.events import ProgressEvent
from nst_desktop.engine.spec.live import BLEND, LIVE_FIELDS
from nst_desktop.engine.spec.params import Params
from nst_desktop.gui.run_panel import describe_changes
from nst_desktop.gui.worker import RunRequest
from nst_desktop.io.masks import with_start_pixels

if TYPE_CHECKING:
    from nst_desktop.gui.main_window import MainWindow

log = logging.getLogger(__name__)


def live_changes(running: Params, started: Params, wanted: Params) -> tuple[dict[str, Any], list[str]]:
    """(changes a running picture can take now, labels of those that must wait for a new run).

    ``running`` is the look of the running picture; ``started`` the panel's settings when it
    started (they differ in size and steps for a quick look); ``wanted`` the panel's now.
    """
    live = {name: getattr(wanted, name) for name in LIVE_FIELDS
            if getattr(wanted, name) != getattr(running, name)}
    waiting = [Params.__dataclass_fields__[f].metadata["label"]
               for f in Params.__dataclass_fields__
               if f not in LIVE_FIELDS and getattr(wanted, f) != getattr(started, f)]
    return live, waiting


class TweakLoop(QObject):
    """Live edits, quick look, promote and variations for one main window."""

    variationsOpened = Signal(object)  # VariationsDialog: the render queue holds while it paints (18.3)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._running_params: Params | None = None  # the look of the running picture, after edits
        self._started_params: Params | None = None  # the panel's settings when it started
        self._running_blend: tuple[float, ...] = ()
        self._pending: dict[str, Any] = {}  # sent to the engine, not yet reported landed
        self._preparing = False  # the engine is setting up the styles (no step for a while)
        self.variations_dialog: Any = None
        window.session.pictureShown.connect(self._on_picture_shown)

    # --- starting ----------------------------------------------------------------------------
    @Slot()
    def start_quick_look(self) -> bool:
        from nst_desktop.engine.spec.presets import QUICK_LOOK_SIZE, quick_look
        from nst_desktop.engine.spec.schedule import min_long_side

        session = self.window.session
        if self.window.runner.running or session.wait_for_inputs(self.start_quick_look):
            return False  # as Start: pressed while the launch reopens the photo, it waits for it
        request = session.make_request()
        if request is None:
            return False
        # A panorama strip is looked at just large enough to paint (the full size is: make_request).
        long_side = max(QUICK_LOOK_SIZE, min_long_side(request.params, request.content.shape[:2]))
        quick = quick_look(request.params, long_side)
        return self.window.start_request(replace(request, params=quick, kind="quick"))

    @Slot()
    def promote(self) -> bool:
        """Render full size from the picture on show (see the module docstring)."""
        session = self.window.session
        picture = session.result_image
        if picture is None or not self.can_promote():
            return False
        request = self.window.session.make_request()
        if request is None:
            return False
        # Replayed by --params first, with the mask it was painted with (repainted since or not).
        source = with_start_pixels(dict(session.metadata), session.mask) if session.metadata else None
        return self.window.start_request(replace(request, start_from=picture, kind="promote",
                                                 continued_from=source))

    def can_promote(self) -> bool:
        return not self.promote_problem()

    def promote_problem(self) -> str:
        """Why the picture on show cannot go on to full size now; "" when it can: a picture of
        the photo on screen, smaller than the output size or stopped before its end."""
        session, window = self.window.session, self.window
        if session.result_image is None:
            return "Needs a quick look, a variation or a stopped picture to go on from"
        if window.runner.running:
            return "Wait for the run to end"
        content = window.inputs.content()
        if not session.painted_from.is_photo(content):
            # Going on from another photo's picture would paint that picture over this photo.
            return ("The picture on show was painted from another photo: open that photo again, "
                    "or paint this one first")
        long_side = max(session.result_image.shape[:2])
        stopped = bool(session.metadata and session.metadata.get("stopped"))
        if long_side >= window.params_panel.params().size and not stopped:
            return "The picture on show is already at the output size: raise Output size to go on"
        return ""

    def refresh_promote(self) -> None:
        problem = self.promote_problem()
        size = self.window.params_panel.params().size
        tip = problem or (f"Go on from the picture on show up to {size} px, keeping its composition "
                          "(Ctrl+Shift+F)")
        self.window.run_panel.set_can_promote(not problem, tip)
        action = self.window.menu_actions.promote
        action.setEnabled(not problem)
        action.setToolTip(tip)
        action.setStatusTip(tip)  # the menu shows the status tip: the reason reaches the status bar

    @Slot(object)
    def _on_picture_shown(self, _picture: object) -> None:
        self.refresh_promote()  # e.g. a history entry: promotable when it is of the photo on screen

    # --- live edits -----------------------------------------------------------------------------
    def run_started(self, request: RunRequest) -> None:
        self._running_params = request.params
        self._started_params = self.window.params_panel.params()
        self._running_blend = tuple(s.weight for s in request.styles)
        self._pending, self._preparing = {}, False
        self.refresh_promote()

    def run_done(self) -> None:
        if self._pending:  # sent after the last step: the picture does not have it
            self.window.statusBar().showMessage(f"{describe_changes(self._pending)}: the run ended before "
                                                "it could land; it applies to the next run.", 8000)
        self._running_params, self._pending = None, {}
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
            self.window.statusBar().showMessage(
                f"{describe_changes(landed)}: changed at step {event.total_step}.", 8000)

    def _send(self, changes: dict[str, Any]) -> None:
        self.window.runner.edit(changes)
        self._pending.update(changes)
        self._say_pending()

    def _say_pending(self) -> None:
        wait = "until the styles are prepared, then lands at the next step" if self._preparing \
            else "for the next step"
        # No time-out: it stays until the edit lands (run_progressed) or the run ends (run_done).
        self.window.statusBar().showMessage(f"{describe_changes(self._pending)}: waits {wait}…")

    def params_changed(self, wanted: Params) -> None:
        """A control moved: hand what a running picture can take to the engine now."""
        running, started = self._running_params, self._started_params
        if running is None or started is None or not self.window.runner.running:
            self.refresh_promote()
            return
        changes, waiting = live_changes(running, started, wanted)
        if changes:
            self._running_params = running.with_changes(**changes)
            self._send(changes)
        if waiting:
            self.window.statusBar().showMessage(
                f"{', '.join(waiting)}: applies to the next run (the painting goes on as it was).", 8000)

    def inputs_changed(self) -> None:
        """Blend weights moved during a run: a live edit when the styles are the same ones.
        Otherwise (another photo, perhaps): whether the picture on show can still be promoted."""
        if self._running_params is None or not self.window.runner.running:
            self.refresh_promote()
            return
        blend = tuple(s.weight for s in self.window.inputs.styles())
        if blend == self._running_blend:
            return
        if len(blend) != len(self._running_blend) or sum(blend) <= 0:
            self.window.statusBar().showMessage("New styles apply to the next run.", 8000)
            return
        self._running_blend = blend
        self._send({BLEND: list(blend)})

    # --- variations -----------------------------------------------------------------------------
    def open_variations(self, sweep: str) -> None:
        from nst_desktop.engine.spec.variations import variations
        from nst_desktop.gui.variations_dialog import VariationsDialog

        window = self.window
        if window.runner.running or self.variations_dialog is not None:
            return
        content, styles = window.inputs.content(), window.inputs.styles()
        if content is None or not window.inputs.ready():
            window.show_error("Add a photo and at least one style first.")
            return
        blend = [s.weight for s in styles]
        names = [s.loaded.name for s in styles]
        sweep_list = variations(window.params_panel.params(), blend, sweep, names=names)
        request = window.session.make_request()  # loads a start image if the settings need one
        if request is None:
            return
        dialog = VariationsDialog(content.image, request.styles, sweep_list, window,
                                  stylize_fn=window.stylize_fn, init_image=request.init_image)
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

        params, n_styles = self.window.params_panel.params(), len(self.window.inputs.styles())
        for sweep, action in self.window.menu_actions.variations.items():
            problem = sweep_problem(sweep, params, n_styles)
            action.setEnabled(not problem)
            action.setToolTip(problem or action.statusTip())

    def close_variations(self) -> None:
        if self.variations_dialog is not None:
            self.variations_dialog.close()

    def _on_variations_running(self, running: bool) -> None:
        self.window.menu_actions.set_running(running)
        self.window.run_panel.set_running(running)
        if not running:
            self.window.menu_actions.stop.setEnabled(False)

    def _on_variations_closed(self, *_: object) -> None:
        self.variations_dialog = None
        self._on_variations_running(False)

    def _on_variation_chosen(self, chosen: Any) -> None:
        """Take the variation's settings and picture; it can then be promoted."""
        variation = chosen.variation
        window = self.window
        window.params_panel.set_params(variation.params)
        for index, weight in enumerate(variation.blend):
            window.inputs.set_style_weight(index, weight)
        window.session.adopt(chosen.result, list(variation.blend))
        text = f"Took the variation '{variation.label}': Render full size to go on."
        window.run_panel.plot.clear()  # its curves are not the variation's
        window.run_panel.status_label.setText(text)
        window.statusBar().showMessage(text, 8000)
        self.refresh_promote()
