"""Variations: paint a small quick look of each variation of one control, shown as a grid.

The dialog owns its own :class:`RunThread` (the main window's stays free for its own
picture; the window disables its Start while ``runningChanged(True)``) and paints the
variations one after another: two at once would only share the same CPU cores and make
the first picture arrive later. Clicking a finished picture (or its "Use this" button)
emits ``variationChosen`` with a :class:`ChosenVariation` and closes the dialog: taking a
variation means going back to the main window with its settings.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCursor, QMouseEvent, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from nst_desktop.engine.spec.events import ImageArray, PreviewArray, ProgressEvent, RunResult, StyleInput
from nst_desktop.engine.spec.presets import VARIATION_SIZE
from nst_desktop.engine.spec.variations import Variation
from nst_desktop.formatting import format_duration
from nst_desktop.gui.qimage import array_to_qimage
from nst_desktop.gui.run_request import Outcome, RunRequest
from nst_desktop.gui.worker import RunThread
from nst_desktop.service.render import StylizeFn

# A cell's states, shown as its status line.
WAITING, PAINTING, DONE = "waiting", "painting", "done"
FAILED, STOPPED, NOT_RUN = "failed", "stopped", "not run"  # not run: skipped by a stop
SHUTDOWN_MS = 30000  # a 192 px step takes well under a second, so a stop lands long before this


@dataclass(frozen=True)
class ChosenVariation:
    """What a click hands the main window: the variation (full params, blend) and its picture."""

    variation: Variation
    result: RunResult


def progress_text(states: Sequence[str], elapsed_s: float, running: bool) -> str:
    """One line under the grid, e.g. "2 of 4 done, 0:37 so far"."""
    done, failed = states.count(DONE), states.count(FAILED)
    text = f"{done} of {len(states)} done"
    if failed:
        text += f", {failed} failed"
    if running:
        return f"{text}, {format_duration(elapsed_s)} so far"
    if states and not any(s in (WAITING, STOPPED, NOT_RUN) for s in states):
        return f"{text} in {format_duration(elapsed_s)}"
    return f"Stopped: {text}, after {format_duration(elapsed_s)}" if elapsed_s else text


class VariationCell(QFrame):
    """One variation: its label, its live preview then finished picture, and a status line."""

    clicked = Signal()  # a click on a finished picture or on "Use this"

    def __init__(self, variation: Variation, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.variation = variation
        self.result: RunResult | None = None
        self.state = WAITING
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(variation.label)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture = QLabel()
        self.picture.setFixedSize(VARIATION_SIZE, VARIATION_SIZE)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setFrameShape(QFrame.Shape.Box)
        self.status = QLabel()
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.use_button = QPushButton("Use this")
        self.use_button.setToolTip("Take these settings (at your full size and steps) to the main window")
        self.use_button.clicked.connect(self._on_use_clicked)
        layout = QVBoxLayout(self)
        for widget in (self.title, self.picture, self.status, self.use_button):
            layout.addWidget(widget, alignment=Qt.AlignmentFlag.AlignHCenter)
        self.set_state(WAITING)

    @property
    def has_picture(self) -> bool:
        pixmap = self.picture.pixmap()
        return pixmap is not None and not pixmap.isNull()

    def set_state(self, state: str, detail: str = "") -> None:
        self.state = state
        self.status.setText(f"{state}: {detail}" if detail and state == PAINTING else state)
        self.status.setToolTip(detail if state == FAILED else "")
        choosable = state == DONE and self.result is not None
        self.use_button.setEnabled(choosable)
        shape = Qt.CursorShape.PointingHandCursor if choosable else Qt.CursorShape.ArrowCursor
        self.setCursor(QCursor(shape))
        self.setToolTip("Click to use these settings" if choosable else "")

    def show_image(self, image: PreviewArray | ImageArray) -> None:
        pixmap = QPixmap.fromImage(array_to_qimage(image))
        self.picture.setPixmap(pixmap.scaled(self.picture.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.SmoothTransformation))

    def finish(self, result: RunResult) -> None:
        self.result = result
        self.show_image(result.image)
        self.set_state(DONE)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.state == DONE:
            event.accept()  # take the press so the release comes here too
            return
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.state == DONE:
            self.clicked.emit()
        super().mouseReleaseEvent(event)

    @Slot()
    def _on_use_clicked(self) -> None:
        self.clicked.emit()


class VariationsDialog(QDialog):
    """Paints ``variations``' quick looks one after another and lets the artist take one."""

    variationChosen = Signal(object)  # ChosenVariation
    allFinished = Signal()  # every variation has been painted (or failed); not after a stop
    runningChanged = Signal(bool)
    queueAllRequested = Signal(object)  # list[Variation]: each painted at full size by the queue (issue 18.3)

    def __init__(self, content: ImageArray, styles: Sequence[StyleInput], variations: list[Variation],
                 parent: QWidget | None = None, *, stylize_fn: StylizeFn | None = None,
                 init_image: ImageArray | None = None, title: str = "Variations") -> None:
        super().__init__(parent)
        if not variations:
            raise ValueError("No variations to paint.")
        if any(len(v.blend) != len(styles) for v in variations):
            raise ValueError(f"Each variation needs one blend weight per style ({len(styles)}).")
        self.setWindowTitle(title)
        self._content = content
        self._styles = tuple(styles)
        self._init_image = init_image
        self._cells = [VariationCell(v) for v in variations]
        self._current: int | None = None
        self._started_at: float | None = None
        self._ended_at: float | None = None
        self._running = False
        self._aborted = False
        self._runner = RunThread(stylize_fn, self)
        self._connect_worker()
        self._clock = QTimer(self)
        self._clock.setInterval(1000)  # the "so far" time: seconds are all it shows
        self._clock.timeout.connect(self._update_progress)
        self._build()

    # --- public ---------------------------------------------------------------------------------
    @property
    def cells(self) -> list[VariationCell]:
        return list(self._cells)

    @property
    def running(self) -> bool:
        return self._running

    @property
    def runner(self) -> RunThread:
        return self._runner

    def start(self) -> bool:
        """Start painting (once); False if it has already started."""
        if self._started_at is not None:
            return False
        self._started_at = time.monotonic()
        self._set_running(True)
        self._clock.start()
        self._start_next()
        return True

    def stop(self) -> None:
        """Stop the picture being painted and skip the rest; what is finished stays choosable."""
        if not self._running or self._aborted:
            return
        self._aborted = True
        self._runner.stop()
        for cell in self._cells:
            if cell.state == WAITING:
                cell.set_state(NOT_RUN)
        self.stop_button.setEnabled(False)
        self._update_progress()

    def done(self, result: int) -> None:
        """Every way of closing (Close, Escape, the title bar, a choice) ends the runs and the thread."""
        self.stop()
        self._runner.shutdown(SHUTDOWN_MS)
        self._finish_sweep()
        super().done(result)

    # --- building -------------------------------------------------------------------------------
    def _build(self) -> None:
        intro = QLabel(f"Small quick looks ({VARIATION_SIZE} px) of each variation, painted one after "
                       "another. Click a finished one to use its settings.")
        intro.setWordWrap(True)
        grid = QGridLayout()
        columns = len(self._cells) if len(self._cells) <= 3 else (2 if len(self._cells) == 4 else 3)
        for index, cell in enumerate(self._cells):
            cell.clicked.connect(lambda i=index: self._on_cell_clicked(i))
            grid.addWidget(cell, index // columns, index % columns)
        self.progress = QLabel(progress_text([c.state for c in self._cells], 0.0, False))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.stop_button = buttons.addButton("Stop", QDialogButtonBox.ButtonRole.ActionRole)
        self.stop_button.setToolTip("Stop the picture being painted and skip the rest")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        buttons.rejected.connect(self.reject)
        self.queue_all_button = buttons.addButton("Queue all", QDialogButtonBox.ButtonRole.ActionRole)
        self.queue_all_button.setToolTip("Paint every variation at full size, in the background "
                                         "(the Queue panel)")
        self.queue_all_button.clicked.connect(
            lambda: self.queueAllRequested.emit([cell.variation for cell in self._cells]))
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addWidget(self.progress)
        layout.addWidget(buttons)

    def _connect_worker(self) -> None:
        worker = self._runner.worker
        worker.previewReady.connect(self._on_preview)
        worker.progressed.connect(self._on_progressed)
        worker.finished.connect(self._on_finished)
        worker.stopped.connect(self._on_stopped)
        worker.failed.connect(self._on_failed)
        worker.done.connect(self._on_done)

    # --- running --------------------------------------------------------------------------------
    def _start_next(self) -> None:
        waiting = [i for i, cell in enumerate(self._cells) if cell.state == WAITING]
        if self._aborted or not waiting:
            self._finish_sweep()
            if not self._aborted:
                self.allFinished.emit()
            return
        self._current = waiting[0]
        cell = self._cells[self._current]
        variation = cell.variation
        styles = tuple(replace(s, weight=w) for s, w in zip(self._styles, variation.blend, strict=True))
        cell.set_state(PAINTING)
        # Small and short as recipe.jobs paints a variation (run_params), through job_for.
        self._runner.start(RunRequest.of_images(self._content, styles, variation.params, kind="variation",
                                                init_image=self._init_image, preview_every=2))
        self._update_progress()

    def _finish_sweep(self) -> None:
        if self._ended_at is None and self._started_at is not None:
            self._ended_at = time.monotonic()
        self._current = None
        self._clock.stop()
        self.stop_button.setEnabled(False)
        self._set_running(False)
        self._update_progress()

    def _set_running(self, running: bool) -> None:
        if running != self._running:
            self._running = running
            self.stop_button.setEnabled(running and not self._aborted)
            self.runningChanged.emit(running)

    def _current_cell(self) -> VariationCell | None:
        return None if self._current is None else self._cells[self._current]

    def _update_progress(self) -> None:
        if self._started_at is None:
            return
        elapsed = (self._ended_at or time.monotonic()) - self._started_at
        self.progress.setText(progress_text([c.state for c in self._cells], elapsed, self._running))

    # --- worker signals (queued into the GUI thread) -------------------------------------------
    @Slot(object)
    def _on_preview(self, preview: PreviewArray) -> None:
        cell = self._current_cell()
        if cell is not None and not self._aborted:
            cell.show_image(preview)

    @Slot(object)
    def _on_progressed(self, event: ProgressEvent) -> None:
        cell = self._current_cell()
        if cell is not None and not self._aborted:
            cell.set_state(PAINTING, f"{round(100 * event.fraction)} %")

    @Slot(object)
    def _on_finished(self, outcome: Outcome) -> None:
        cell = self._current_cell()
        if cell is not None and outcome.result is not None:  # ended just before a stop: keep it
            cell.finish(outcome.result)

    @Slot(object)
    def _on_stopped(self, outcome: Outcome) -> None:
        cell = self._current_cell()
        if cell is not None:
            cell.set_state(STOPPED)

    @Slot(str, object)
    def _on_failed(self, text: str, outcome: Outcome) -> None:
        cell = self._current_cell()
        if cell is not None:
            cell.set_state(FAILED, text)

    @Slot()
    def _on_done(self) -> None:
        if self._current is None:
            return  # the dialog was closed meanwhile: the sweep is over
        self._current = None
        self._start_next()

    @Slot()
    def _on_cell_clicked(self, index: int) -> None:
        cell = self._cells[index]
        if cell.state != DONE or cell.result is None:
            return
        self.variationChosen.emit(ChosenVariation(cell.variation, cell.result))
        self.accept()
