"""Starting, pausing and stopping runs, and what the canvas shows: the photo until there is a
picture, a run's previews, the picture on show; the run controls under the picture, the Run
menu and the status bar, kept in step with the runner.

Split out of the main window (issue 17.2): it is given the runner, the session that builds a
run's request, the panels it updates and the status bar, never the window. Whoever must know
that a run started (the after-touches, the tweak loop) connects to :attr:`RunController.runStarted`;
whoever may forbid a start (an open variations grid, a close waiting for its run) registers a
blocker with :meth:`RunController.add_blocker`.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QStatusBar

from nst_desktop.engine.spec.events import ImageArray, ProgressEvent
from nst_desktop.formatting import format_duration
from nst_desktop.gui.actions import Actions
from nst_desktop.gui.canvas import Canvas
from nst_desktop.gui.inputs_panel import InputsPanel
from nst_desktop.gui.qimage import array_to_qimage
from nst_desktop.gui.run_panel import RunPanel
from nst_desktop.gui.run_request import RunRequest
from nst_desktop.gui.run_session import RunSession
from nst_desktop.gui.worker import RunThread
from nst_desktop.recipe.document import Document

STARTED_TEXT = {"quick": "Quick look…", "promote": "Going on to full size…"}


class RunController(QObject):
    """Start (full run), any prepared request, pause, stop; progress and previews on screen."""

    runStarted = Signal(object)  # RunRequest: the run that just started

    def __init__(self, document: Document, runner: RunThread, session: RunSession, inputs: InputsPanel,
                 canvas: Canvas, run_panel: RunPanel, actions: Actions, status: QStatusBar,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document, self.runner, self.session, self.inputs = document, runner, session, inputs
        self.canvas, self.run_panel, self.actions, self.status = canvas, run_panel, actions, status
        self._blockers: list[Callable[[], bool]] = []
        worker = runner.worker
        worker.progressed.connect(self._on_progress)
        worker.previewReady.connect(self._on_preview)
        worker.done.connect(self._on_run_done)
        # The session keeps each outcome's picture, then says so by its own signals.
        worker.finished.connect(session.on_finished)
        worker.stopped.connect(session.on_stopped)
        worker.failed.connect(session.on_failed)
        session.pictureShown.connect(self._on_picture_shown)
        session.runEnded.connect(self.run_ended)
        session.captionChanged.connect(canvas.set_caption)
        session.resultChanged.connect(actions.set_has_result)
        inputs.changed.connect(self.show_inputs)
        inputs.photoOpened.connect(self._on_photo_opened)
        for start in (actions.start.triggered, run_panel.startRequested):
            start.connect(self.start)
        actions.pause.toggled.connect(self.set_paused)
        run_panel.pauseToggled.connect(self.set_paused)
        actions.stop.triggered.connect(self.stop)
        run_panel.stopRequested.connect(self.stop)

    def add_blocker(self, blocks: Callable[[], bool]) -> None:
        """``blocks()`` True: no run may start now (another owner holds the engine or the window)."""
        self._blockers.append(blocks)

    # --- starting and stopping -------------------------------------------------------------------
    @Slot()
    def start(self) -> bool:
        """A full run of the recipe on screen (Start)."""
        if self.runner.running or self.session.wait_for_inputs(self.start):
            return False
        request = self.session.make_request()
        return request is not None and self.start_request(request)

    def start_request(self, request: RunRequest) -> bool:
        """Start a run (full, quick look or promote); False if one is going already or something
        (a blocker) holds it back."""
        if self.runner.running or any(blocks() for blocks in self._blockers):
            return False
        self.runner.start(request)
        self.document.start(request.kind)  # the run's look, which live edits change
        self.runStarted.emit(request)
        self.canvas.set_caption("")
        self.actions.set_running(True)
        self.run_panel.run_started()
        self.status.showMessage(STARTED_TEXT.get(request.kind, "Painting…"))
        return True

    @Slot()
    def stop(self) -> None:
        if self.runner.running:
            self.runner.stop()
            self.run_panel.show_stopping("Stopping: keeping the best picture so far…")

    @Slot(bool)
    def set_paused(self, paused: bool) -> None:
        if not self.runner.running:
            return
        if paused:
            self.runner.pause()
        else:
            self.runner.resume()
        self.actions.pause.blockSignals(True)  # the menu's check follows the panel's, without a loop
        self.actions.pause.setChecked(paused)
        self.actions.pause.blockSignals(False)
        self.run_panel.set_paused(paused)
        self.status.showMessage("Paused." if paused else "Painting…")

    # --- on screen --------------------------------------------------------------------------------
    @Slot(object)
    def _on_progress(self, event: ProgressEvent) -> None:
        self.run_panel.update_progress(event)

    @Slot(object)
    def _on_preview(self, preview: ImageArray) -> None:
        self.canvas.set_image(array_to_qimage(preview))

    @Slot(object)
    def _on_picture_shown(self, image: ImageArray | None) -> None:
        """The session's picture on show; None: none, so the photo is shown."""
        if image is not None:
            self.canvas.set_image(array_to_qimage(image))
            return
        content = self.inputs.content()
        if content is not None:
            self.canvas.set_image(content.display_image())

    @Slot()
    def show_inputs(self) -> None:
        """The photo as the picture's "before" (and on show until there is a picture)."""
        content = self.inputs.content()
        if content is not None:
            # Converted once per photo, in the thread that read it: a blend tick costs nothing.
            before = content.display_image()
            self.canvas.set_before(before)
            if self.session.result_image is None and not self.runner.running:
                self.canvas.set_image(before)  # show the photo until there is a picture

    @Slot()
    def _on_photo_opened(self) -> None:
        """A photo the user just opened is what the canvas shows, not the last painting,
        until a run or a history view replaces it (a running run's previews stay)."""
        content = self.inputs.content()
        if content is not None and not self.runner.running:
            self.canvas.set_image(content.display_image())
            self.canvas.set_caption("")

    @Slot()
    def _on_run_done(self) -> None:
        self.document.run_ended(None)  # its picture (if any) is on show already: PictureOnShow
        self.actions.set_running(False)
        self.run_panel.set_running(False)
        self.actions.set_has_result(self.session.result_image is not None, bool(self.session.frames))

    @Slot(str, object)
    def run_ended(self, message: str, elapsed: float | None = None) -> None:
        """The session's outcome of a run, for the panel and the status bar."""
        text = f"{message} ({format_duration(elapsed)})" if elapsed is not None else message
        self.run_panel.run_ended(text)
        self.status.showMessage(text, 8000)
