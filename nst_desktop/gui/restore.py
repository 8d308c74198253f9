"""Restore a history entry's whole recipe: the photo, every style with its blend weight (in
order) and every param, so that the next Start paints the same picture; the entry's picture
is shown with its own after-touches.

The entry's record becomes a recipe by the one conversion of a record (``recipe.from_record``,
which checks it whole first): a damaged one (a NaN, a bad live edit or touch) is refused with
one message naming the entry, and nothing in the window changes. What cannot be brought back
from a sound record (a file moved or deleted, a pasted image) is named in one message, and the
rest is restored anyway; the current photo or styles stay when none of the recorded ones can be
loaded. The whole restore is one undo step: undone, the picture that was on show comes back
with its own touches.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Slot

from nst_desktop.engine.spec.errors import ImageError, NSTError, ParamsError
from nst_desktop.gui.document_views import DocumentViews
from nst_desktop.gui.errors import ReportError
from nst_desktop.gui.held_inputs import inputs_state
from nst_desktop.gui.input_files import pretty_name
from nst_desktop.gui.loaded_image import LoadedImage, load_file
from nst_desktop.gui.mask_dock import MaskDock
from nst_desktop.gui.picture_on_show import PictureOnShow
from nst_desktop.io.masks import MASK_KEY
from nst_desktop.io.metadata import inputs_from_metadata
from nst_desktop.recipe.recipe import Recipe, from_record
from nst_desktop.resources import resource_path

NO_PHOTO_FILE = "(pasted photo)"  # a record's photo without a file, for its recipe only


class HistoryRestore(QObject):
    """Restore requests of the history strip, carried out through the document (one undo step
    with the picture: ``PictureOnShow.restore``) and the Mask dock (issue 17.2: never the window)."""

    def __init__(self, history: Any, pictures: PictureOnShow, views: DocumentViews, mask_dock: MaskDock,
                 report_error: ReportError, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pictures, self.views, self.mask_dock = pictures, views, mask_dock
        self._report_error = report_error
        if history is not None:
            history.restoreRequested.connect(self.restore)

    @Slot(object)
    def restore(self, entry: Any) -> list[str]:
        """Show ``entry`` and bring back its recipe; the problems told to the user (none: all well)."""
        metadata = entry.metadata if isinstance(entry.metadata, dict) else {}
        recipe = _entry_recipe(entry, metadata)
        if isinstance(recipe, str):  # before anything changes: half a damaged recipe would mix with ours
            self._report_error(recipe)
            return [recipe]
        problems: list[str] = []
        photo = _load_photo(inputs_from_metadata(metadata)["content"], problems)
        styles = _load_styles(list(recipe.style_paths), list(recipe.blend), problems)
        current_photo, current_styles = inputs_state(self.views.inputs)
        wanted = self.views.restore_inputs((photo or current_photo, styles or current_styles))
        self.pictures.restore(entry, wanted.with_params(recipe.params))  # the picture, with its touches
        mask_problem = self.mask_dock.restore(metadata, Path(entry.image_path).parent)
        if mask_problem:
            problems.append(mask_problem)
        if problems:
            self._report_error("Could not restore everything from this picture: " + "; ".join(problems) + ".")
        return problems


def _entry_recipe(entry: Any, metadata: dict[str, Any]) -> Recipe | str:
    """The recipe the entry's picture ended with (its live edits replayed: ``Recipe.ended``),
    through the one conversion of a record, which checks it whole (``recipe.from_record``); or
    why the entry cannot be restored at all."""
    record = _photo_named(metadata)
    try:
        # Its weights are not checked: a restore sets the knobs and paints nothing yet.
        try:
            recipe = from_record(record, folder=Path(entry.image_path).parent, check_weights=False)
        except ImageError:  # its mask PNG cannot be read: the Mask dock says so, the rest is restored
            recipe = from_record({k: v for k, v in record.items() if k != MASK_KEY}, check_weights=False)
        return recipe.ended()
    except ParamsError as exc:
        return f"Cannot restore the picture of {entry.title} ({entry.id}): {exc.user_text()}"


def _photo_named(metadata: dict[str, Any]) -> dict[str, Any]:
    """The record, its photo named even when it had no file (pasted): such a restore keeps the
    photo on screen (said by ``_load_photo``), and its styles and settings still come back."""
    inputs = metadata.get("inputs")
    if not isinstance(inputs, dict) or inputs.get("content"):
        return metadata
    return {**metadata, "inputs": {**inputs, "content": NO_PHOTO_FILE}}


def _load(path: str) -> tuple[LoadedImage | None, str]:
    """The image, or None and why not (in a few words)."""
    file = Path(path)
    if not file.is_file():
        return None, "is missing"
    try:
        loaded = load_file(file)
    except NSTError as exc:
        return None, f"cannot be read ({exc.user_text()})"
    if file.parent == resource_path("styles"):
        loaded.name = pretty_name(file)  # as the Ready styles menu names it
    return loaded, ""


def _load_photo(path: str | None, problems: list[str]) -> LoadedImage | None:
    if path is None:
        problems.append("the photo was not opened from a file, so the current photo is kept")
        return None
    loaded, why = _load(path)
    if loaded is None:
        problems.append(f"the photo {path} {why}, so the current photo is kept")
    return loaded


def _load_styles(paths: list[str], weights: list[float],
                 problems: list[str]) -> list[tuple[LoadedImage, float]]:
    styles: list[tuple[LoadedImage, float]] = []
    for path, weight in zip(paths, weights, strict=True):
        loaded, why = _load(path)
        if loaded is None:
            problems.append(f"the style {path} {why}")
        else:
            styles.append((loaded, weight))
    if paths and not styles:
        problems[-1] += ", so the current styles are kept"
    return styles
