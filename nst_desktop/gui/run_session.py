"""What happens around a run: building the request from the panels, receiving the result,
adding it to the history (with its time-lapse frames), and the picture on show.

Kept apart from the main window so the window only does layout and wiring; it is given the
panels and the library it works with, never the window (issue 17.2). What others must follow
it says by its signals, each emitted once its own state is up to date: ``pictureKept`` for a
run's (or a variation's) new picture, ``entryShown`` for a history entry on show. Nobody has to
be connected after it to the worker's or the history's signals (no connection order matters).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QStatusBar, QWidget

from nst_desktop.engine.spec.errors import NSTError
from nst_desktop.engine.spec.events import ImageArray, PreviewArray, RunResult
from nst_desktop.engine.spec.region_masks import RegionMask
from nst_desktop.engine.spec.schedule import check_shape
from nst_desktop.engine.spec.touches import Touches
from nst_desktop.gui.errors import ReportError
from nst_desktop.gui.held_inputs import HeldInputs
from nst_desktop.gui.history_saver import HistorySaver
from nst_desktop.gui.inputs_panel import InputsPanel
from nst_desktop.gui.loaded_image import LoadedImage
from nst_desktop.gui.run_panel import RunPanel
from nst_desktop.gui.run_request import Outcome, RunRequest
from nst_desktop.io.overwrite import same_file
from nst_desktop.recipe.document import Document
from nst_desktop.recipe.jobs import HeldImages, JobKind
from nst_desktop.recipe.picture import Picture, PictureKind
from nst_desktop.recipe.recipe import Recipe
from nst_desktop.recipe.validate import check
from nst_desktop.service.render import Rendered

MaskForRun = Callable[[], RegionMask | None]  # the mask the next run paints with (None: none)

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class PaintedFrom:
    """The photo a picture was painted from: the one held in memory (a run's) and/or its file
    (a history entry knows only the file)."""

    photo: LoadedImage | None
    path: str | None

    def is_photo(self, current: LoadedImage | None) -> bool:
        """Whether ``current`` is that photo: the same pixels in memory, or the same file."""
        if current is None:
            return False
        if self.photo is current:
            return True
        return (self.path is not None and current.path is not None
                and same_file(self.path, current.path))


@dataclass(frozen=True, eq=False)
class ShownPicture:
    """The session's picture on show and what goes with it (see :meth:`RunSession.shown`)."""

    result: RunResult | None
    picture: Picture | None
    timelapse_path: Path | None
    inputs: tuple[str | None, list[str], list[float]]
    painted_from: PaintedFrom


def _open_library(library: Any) -> Any:
    if library is not None:
        return library
    from nst_desktop.io.library import Library

    return Library()


class RunSession(QObject):
    pictureShown = Signal(object)  # ImageArray to put on the canvas; None: no picture, the photo
    pictureKept = Signal(object)  # ImageArray: the photo a new picture (a run's, a variation's) is of
    entryShown = Signal(object)  # a history entry is on show (loaded): its picture and record are ours
    resultChanged = Signal(bool, bool)  # a picture is on show; it has frames (a time-lapse) to export
    runEnded = Signal(str, object)  # what happened, seconds taken (None if unknown)
    errorOccurred = Signal(str)  # user-facing text
    captionChanged = Signal(str)  # what the picture on show is, when that needs saying

    """The current picture, its metadata and frames; the history strip.

    A QObject living in the GUI thread, so that the worker's signals reach its slots
    queued, in the GUI thread (a plain Python callable would run in the worker thread).
    """

    def __init__(self, document: Document, held: HeldInputs, inputs: InputsPanel, run_panel: RunPanel,
                 mask_for_run: MaskForRun, report_error: ReportError, status: QStatusBar,
                 dialog_parent: QWidget, library: Any = None) -> None:
        super().__init__(dialog_parent)
        self.document, self.held = document, held  # a run paints the document's recipe, from held images
        self.inputs, self.run_panel = inputs, run_panel
        self._mask_for_run, self._report_error, self._status = mask_for_run, report_error, status
        self._dialog_parent = dialog_parent
        # The picture on show: the very object the document holds (gui.picture_on_show), not a copy.
        self._picture: Picture | None = None
        self.result: RunResult | None = None  # its run's result (None: a history entry's)
        self.timelapse_path: Path | None = None  # the stored animation of a history entry on show
        self.compare_dialog: Any = None
        self._inputs: tuple[str | None, list[str], list[float]] = (None, [], [])  # of the run
        self._run_photo = PaintedFrom(None, None)  # the photo of the run
        # The photo of the picture on show: only a picture of the photo on screen may be promoted.
        self.painted_from = PaintedFrom(None, None)
        # of the picture on show: names its exported file
        self.shown_inputs: tuple[str | None, list[str], list[float]] = self._inputs
        self.library: Any = None
        self.history: Any = None
        self._open_history(library)
        self._start_when_read: Callable[[], object] | None = None  # a Start pressed while inputs are read
        inputs.busyChanged.connect(self._on_inputs_busy_changed)
        self.saver = HistorySaver(self)
        self.saver.saved.connect(self._on_saved)
        self.saver.failed.connect(report_error)
        if self.history is not None:
            self.history.entryActivated.connect(self.on_entry_activated)
            self.history.compareRequested.connect(self.on_compare)

    def _open_history(self, library: Any) -> None:
        """The history strip; a history that cannot be opened, or damaged entries in it, are
        said once when the window shows (no history is better than no app)."""
        from nst_desktop.gui.history_panel import HistoryPanel, damaged_text

        try:
            self.library = _open_library(library)
            self.history = HistoryPanel(self.library)
        except (NSTError, OSError) as exc:
            log.warning("history unavailable: %s", exc)
            problem = exc.user_text() if isinstance(exc, NSTError) else f"The history is off: {exc}"
            QTimer.singleShot(0, self, lambda: self._report_error(problem))
            return
        notice = damaged_text(self.history.damaged)
        if notice:
            QTimer.singleShot(0, self, lambda: self._status.showMessage(notice, 30_000))

    # --- starting ------------------------------------------------------------------------------
    def wait_for_inputs(self, start: Callable[[], object]) -> bool:
        """True, and ``start`` is called once they are read, while the photo or styles are still
        being read and not yet enough for a run: Start pressed as the launch reopens the last
        photo waits for it instead of saying "Add a photo first". A read that fails then gets
        that message from ``start`` as before."""
        inputs = self.inputs
        if not inputs.loading() or inputs.ready():
            return False
        self._start_when_read = start  # pressed twice: still one start
        self.run_panel.status_label.setText(
            "Opening the photo and styles: painting starts once they are read…")
        return True

    def _on_inputs_busy_changed(self, text: str) -> None:
        if text or self._start_when_read is None:
            return  # still reading, or no Start waiting
        start, self._start_when_read = self._start_when_read, None
        start()

    def make_request(self, kind: JobKind = "full", from_picture: Picture | None = None) -> RunRequest | None:
        """A run of ``kind`` of the document's recipe (the thread's hand-over), painted from the
        images the window holds; None, and said, when it cannot be painted. ``from_picture``: the
        picture a promote goes on from, which the caller found to be of the photo on screen."""
        recipe = self.document.recipe
        images = self.held.state_of(recipe)
        content, styles = images if images is not None else (None, [])
        if content is None:
            self.errorOccurred.emit("Add a photo first: File ▸ Open photo, or drop one on the left.")
            return None
        if not any(weight > 0 for _, weight in styles):
            self.errorOccurred.emit("Add at least one style image with a blend weight above 0.")
            return None
        run_recipe = _run_recipe(recipe, content, styles, self._mask_for_run())
        try:  # the one check of a recipe; a panorama strip too: said now, not by the engine after its start
            check(run_recipe, files=False)
            check_shape(run_recipe.params, content.image.shape[:2], str(content.path or content.name))
        except NSTError as exc:
            self.errorOccurred.emit(exc.user_text())
            return None
        params, init_image = run_recipe.params, None
        if params.init == "image" and params.init_image:
            from nst_desktop.gui.loaded_image import load_file

            try:
                init_image = load_file(params.init_image).image
            except NSTError as exc:
                self.errorOccurred.emit(exc.user_text())
                return None
        content_path = str(content.path) if content.path else None
        self._inputs = (content_path, list(run_recipe.style_paths), list(run_recipe.blend))
        self._run_photo = PaintedFrom(content, content_path)
        if from_picture is not None:  # of this photo in memory (PaintedFrom.is_photo), pasted or not
            from_picture = replace(from_picture, painted_from=run_recipe.photo)
        held = HeldImages(content.image, tuple(loaded.image for loaded, _ in styles), init_image)
        return RunRequest(run_recipe, held, kind, from_picture, photo=content)

    # --- outcomes ------------------------------------------------------------------------------
    @Slot(object)
    def on_finished(self, outcome: Outcome) -> None:
        assert outcome.rendered is not None
        self._keep(outcome.rendered, list(outcome.frames), outcome.request.content,
                   _kind_of(outcome.request))
        done = {"quick": self._quick_look_done(), "promote": "Finished at full size."}.get(
            outcome.request.kind, "Finished.")
        self.runEnded.emit(done, outcome.rendered.result.elapsed_s)

    def _quick_look_done(self) -> str:
        """Render full size goes on only from a picture of the photo on screen (issue 16.3): a
        photo opened during the quick look must not be promised one."""
        if self.painted_from.is_photo(self.inputs.content()):
            return "Quick look finished: Render full size goes on from it."
        return "Quick look finished, of the photo before: open it again to render it at full size."

    @Slot(object)
    def on_stopped(self, outcome: Outcome) -> None:
        assert outcome.rendered is not None
        result = outcome.rendered.result
        self._keep(outcome.rendered, list(outcome.frames), outcome.request.content,
                   _kind_of(outcome.request))
        height, width = result.image.shape[:2]
        self.runEnded.emit(f"Stopped at {max(height, width)} px of {result.params.size}: kept the best "
                           "picture so far.", result.elapsed_s)

    @Slot(str, object)
    def on_failed(self, text: str, outcome: Outcome) -> None:
        partial = outcome.rendered
        if partial is not None:  # the last good picture, before it went wrong
            self.result, self.shown_inputs, self.painted_from = partial.result, self._inputs, self._run_photo
            frames = self._picture.frames if self._picture is not None else ()  # those before stay, as ever
            self._picture = Picture(partial.image, partial.metadata, _kind_of(outcome.request),
                                    self._run_photo.path, partial.mask, frames)
            self.pictureShown.emit(partial.image)
            self.pictureKept.emit(outcome.request.content)
        self.runEnded.emit("Failed: the last good picture is kept.", None)
        self.errorOccurred.emit(text)

    def _keep(self, rendered: Rendered, frames: list[PreviewArray], photo: ImageArray | None,
              kind: PictureKind) -> None:
        """The run's picture (of ``photo``) becomes the one on show, with its record, and goes to
        the history."""
        self.result, self.timelapse_path = rendered.result, None
        self.shown_inputs, self.painted_from = self._inputs, self._run_photo
        # Its record is made by the render service, like the CLI's.
        self._picture = Picture(rendered.image, rendered.metadata, kind, self._run_photo.path, rendered.mask,
                                tuple(frames))
        self.pictureShown.emit(rendered.image)
        self.captionChanged.emit(_caption(rendered.metadata))
        self.pictureKept.emit(photo)  # before its history write: that is how its entry is recognised
        self._add_to_history(rendered.result)

    def picture(self) -> Picture | None:
        """The picture on show, the object the document holds (None: none)."""
        return self._picture

    @property
    def result_image(self) -> ImageArray | None:
        return self._picture.image if self._picture is not None else None

    @property
    def metadata(self) -> dict[str, Any] | None:
        return self._picture.record if self._picture is not None else None

    @property
    def mask(self) -> RegionMask | None:
        """The picture's mask (its record names the PNG)."""
        return self._picture.mask if self._picture is not None else None

    @property
    def frames(self) -> list[PreviewArray]:
        return list(self._picture.frames) if self._picture is not None else []  # type: ignore[arg-type]

    def record_changed(self, record: dict[str, Any]) -> None:
        """The picture on show has this record now (its after-touches written into its entry):
        changed in place, so that the picture stays the one the document and its undo steps hold."""
        if self._picture is not None:
            self._picture.record.clear()
            self._picture.record.update(record)

    def shown(self) -> ShownPicture:
        """The picture on show with what goes with it, to show again with :meth:`show_again`."""
        return ShownPicture(self.result, self._picture, self.timelapse_path, self.shown_inputs,
                            self.painted_from)

    def show_again(self, shown: ShownPicture) -> None:
        """Put a picture of :meth:`shown` back on show (an undone restore); none: the photo."""
        self.result, self._picture, self.timelapse_path = shown.result, shown.picture, shown.timelapse_path
        self.shown_inputs, self.painted_from = shown.inputs, shown.painted_from
        self.pictureShown.emit(self.result_image)  # None: the photo
        self.captionChanged.emit(_caption(self.metadata) if self.metadata else "")
        has_frames = bool(self.frames) or shown.timelapse_path is not None
        self.resultChanged.emit(self.result_image is not None, has_frames)

    def adopt(self, result: RunResult, blend: list[float]) -> None:
        """Make a picture painted elsewhere (a variation) the current one, with its history entry."""
        from nst_desktop.service.render import record

        request = self.make_request()  # of the recipe now: the variation's settings and blend are in it
        if request is None:
            return
        painted = request.recipe.with_styles(request.recipe.style_paths, blend).with_params(result.params)
        job = replace(request, recipe=painted).held_job()  # painted from the copy held
        self._keep(Rendered(result, record(job, result)), [], request.content, "variation")

    def _add_to_history(self, result: RunResult) -> None:
        if self.library is not None and self.metadata is not None:
            self.saver.save(self.library, result.image, self.metadata, self.frames, self.mask)

    @Slot(object, object)
    def _on_saved(self, entry: Any, _record: object) -> None:
        if self.history is not None:
            self.history.add_entry(entry)

    # --- history ---------------------------------------------------------------------------------
    @Slot(object)
    def on_entry_activated(self, entry: Any) -> None:
        from nst_desktop.gui.loaded_image import load_file

        try:
            loaded = load_file(entry.image_path)
        except NSTError as exc:
            self.errorOccurred.emit(exc.user_text())
            return
        # The entry's stored animation stands in for the frames (exported by re-encoding it).
        path = entry.timelapse_path
        self.result, self.timelapse_path = None, path if path is not None and Path(path).is_file() else None
        self.shown_inputs = _inputs_of(entry.metadata)
        self.painted_from = PaintedFrom(None, self.shown_inputs[0])
        self._picture = Picture(loaded.image, dict(entry.metadata), "full", self.shown_inputs[0],
                                _entry_mask(entry), entry_id=entry.id)
        self.pictureShown.emit(loaded.image)
        self.captionChanged.emit(_caption(entry.metadata))
        self.resultChanged.emit(True, self.timelapse_path is not None)
        self.entryShown.emit(entry)

    @Slot(object, object)
    def on_compare(self, first: Any, second: Any) -> None:
        """The two pictures (split or side by side) and a table of the settings that differ."""
        from nst_desktop.gui.compare_dialog import CompareDialog

        if self.compare_dialog is not None:
            self.compare_dialog.close()
        dialog = CompareDialog(first, second, self._dialog_parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(self._on_compare_closed)
        self.compare_dialog = dialog
        dialog.show()  # not modal: the artist can keep it open while trying a variation

    @Slot()
    def _on_compare_closed(self) -> None:
        self.compare_dialog = None

def _inputs_of(metadata: dict[str, Any]) -> tuple[str | None, list[str], list[float]]:
    """(content, styles, weights) recorded in a history entry; empty where it has none."""
    inputs = metadata.get("inputs")
    inputs = inputs if isinstance(inputs, dict) else {}
    content, styles, weights = inputs.get("content"), inputs.get("styles"), inputs.get("style_weights")
    try:
        weight_list = [float(w) for w in weights] if isinstance(weights, list) else []
    except (TypeError, ValueError):  # hand-edited metadata: the weights only matter for display
        weight_list = []
    return (content if isinstance(content, str) else None,
            [str(s) for s in styles] if isinstance(styles, list) else [], weight_list)


def _run_recipe(recipe: Recipe, photo: LoadedImage, styles: list[tuple[LoadedImage, float]],
                mask: RegionMask | None) -> Recipe:
    """The document's recipe as a run paints it: its inputs named as the record names them (a
    pasted image by its name, as ever), the mask only while the Mask dock paints one, no
    after-touches (they belong to the picture on show, not to the next one: issue 16.6)."""
    named = recipe.with_styles([str(loaded.path or loaded.name) for loaded, _ in styles],
                               [weight for _, weight in styles])
    return replace(named, photo=str(photo.path) if photo.path else "", touches=Touches(), mask=mask).fresh()


def _kind_of(request: RunRequest) -> PictureKind:
    return {"quick": "quick", "promote": "promoted"}.get(request.kind, "full")  # type: ignore[return-value]


def _entry_mask(entry: Any) -> RegionMask | None:
    """A history entry's mask (its PNG beside the picture); None without one or if it is unreadable."""
    from nst_desktop.io.masks import mask_from_record

    try:
        return mask_from_record(entry.metadata, Path(entry.image_path).parent)
    except NSTError:
        return None  # the picture is still worth showing; an export then goes without the mask


def _caption(metadata: dict[str, Any]) -> str:
    """'Stopped at 256 px of 512' on the canvas for a stopped picture; nothing otherwise."""
    from nst_desktop.io.metadata import stopped_at_text

    return stopped_at_text(metadata)
