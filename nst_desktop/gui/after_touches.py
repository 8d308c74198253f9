"""After-touches on the picture on show: re-rendered from the untouched result on every
change (a few ms, so on the GUI thread; no engine call), exported with the picture, and
written into the picture's history entry (its record, and its thumbnail remade touched).

The touches belong to one picture: a new picture starts without any (it never takes over
those of the picture that was on show), viewing a history entry shows that entry's
touches, and a change goes to the entry of the picture on show, found by the very record
the session handed to the history (two runs can have equal records). Each picture keeps
its own photo (the run's, or the entry's recorded file), fitted to its size once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QStatusBar

from nst_desktop.engine.spec.errors import NSTError
from nst_desktop.engine.spec.events import ImageArray
from nst_desktop.engine.spec.touches import Touches, apply_touches
from nst_desktop.gui.canvas import Canvas
from nst_desktop.gui.entry_looks import touches_from_metadata_or_none
from nst_desktop.gui.errors import user_message
from nst_desktop.gui.qimage import array_to_qimage
from nst_desktop.gui.touches_panel import TouchesPanel
from nst_desktop.io.metadata import inputs_from_metadata, touches_from_metadata, with_touches

if TYPE_CHECKING:
    from nst_desktop.gui.run_request import RunRequest
    from nst_desktop.gui.run_session import RunSession

log = logging.getLogger(__name__)

NO_TOUCHES = Touches()  # what a new picture starts with
SAVE_DELAY_MS = 500  # a slider drag ends in one history write, not one per step
Picture = tuple[ImageArray, dict[str, Any] | None]  # the pixels and the record to save with them


@dataclass(frozen=True, eq=False)
class ShownTouches:
    """A picture on show as the after-touches know it: its touches, pixels, photo and entry."""

    touches: Touches
    base: ImageArray | None
    photo: ImageArray | None
    photo_path: str | None
    fitted: ImageArray | None
    entry_id: str | None
    metadata: dict[str, Any] | None
    awaited: dict[str, Any] | None


class AfterTouches(QObject):
    """Owns the touches of the picture on show; ``edited(old, new)`` after a user edit."""

    edited = Signal(object, object)  # Touches before, Touches after

    def __init__(self, panel: TouchesPanel, session: RunSession, canvas: Canvas, status: QStatusBar,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel, self.session, self.canvas, self.status = panel, session, canvas, status
        self._touches = Touches()
        self._base: ImageArray | None = None  # the untouched picture on show
        self._photo: ImageArray | None = None  # its photo, as loaded
        self._photo_path: str | None = None  # a history entry's photo, loaded on first need
        self._fitted: ImageArray | None = None  # the photo at the picture's size (cached)
        self._painting = False  # a run's live previews are on show, not a finished picture
        self._entry_id: str | None = None  # the picture's history entry, once written
        self._metadata: dict[str, Any] | None = None  # that entry's metadata
        self._awaited: dict[str, Any] | None = None  # a new picture's record, not in the history yet
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.flush)
        panel.touchesChanged.connect(self._on_panel_changed)
        # A new picture's record reaches the history later: its touches go to that entry.
        session.saver.saved.connect(self.on_entry_saved)

    # --- public API ----------------------------------------------------------------------------
    def touches(self) -> Touches:
        return self._touches

    def set_touches(self, touches: Touches, picture: object = None) -> None:
        """Show and apply ``touches`` as a program change (undo, redo): no ``edited``. With
        ``picture`` (a :meth:`picture_key`), only while that picture is on show."""
        if picture is not None and picture is not self._base:
            self.status.showMessage("That after-touch was made on another picture: view it "
                                                "from the history to change it.", 8000)
            return
        self.panel.set_touches(touches)
        self._apply(touches)

    def picture_key(self) -> object:
        """What identifies the picture on show (None: none), for :meth:`set_touches`."""
        return self._base

    def shown(self) -> ShownTouches:
        """The picture on show with its touches and entry, to show again with :meth:`show_again`."""
        self.flush()
        return ShownTouches(self._touches, self._base, self._photo, self._photo_path, self._fitted,
                            self._entry_id, self._metadata, self._awaited)

    def show_again(self, shown: ShownTouches) -> None:
        """Show a picture of :meth:`shown` again (an undone restore), with its own touches."""
        self.flush()  # the picture leaving keeps its pending touches
        self._touches, self._base, self._photo, self._photo_path = (shown.touches, shown.base, shown.photo,
                                                                    shown.photo_path)
        self._fitted, self._entry_id, self._metadata, self._awaited = (shown.fitted, shown.entry_id,
                                                                       shown.metadata, shown.awaited)
        self.panel.set_touches(self._touches)
        self._render()

    @Slot(object)
    def run_started(self, _request: RunRequest | None = None) -> None:
        """A run started: until it ends the previews are on show, which take no touches."""
        self.flush()
        self._painting = True
        self._update_availability()

    def picture(self, image: ImageArray, metadata: dict[str, Any] | None) -> Picture:
        """What to export for the picture on show: touched, with the touches recorded."""
        if image is not self._base:
            return image, metadata
        return self.touched(), (with_touches(metadata, self._touches) if metadata is not None else None)

    def touched(self) -> ImageArray:
        """The picture on show with its touches (the untouched one when its photo is missing)."""
        if self._base is None:
            raise ValueError("No picture on show.")
        photo = self._fitted_photo() if not self._touches.is_identity else None
        return self._base if photo is None else apply_touches(self._base, photo, self._touches)

    def flush(self) -> None:
        """Write pending touches into the history entry now (also on close)."""
        self._save_timer.stop()
        library = self.session.library
        if self._entry_id is None or self._metadata is None or library is None:
            return
        if touches_from_metadata_or_none(self._metadata) == self._touches:
            return
        metadata = with_touches(self._metadata, self._touches)
        try:  # the thumbnail too: the history strip shows the picture as it looks
            entry = library.update_metadata(self._entry_id, metadata, looks=self._looks())
        except (NSTError, KeyError, OSError) as exc:
            log.warning("after-touches not written to the history: %s", exc)
            self.status.showMessage(f"The after-touches could not be saved in the history. "
                                                f"{user_message(exc)}", 10000)
            return
        self._metadata = metadata
        history = self.session.history
        if history is not None:
            history.update_entry(entry)
        if self.session.result_image is self._base:
            self.session.record_changed(metadata)

    # --- what is on show -------------------------------------------------------------------------
    @Slot(object)
    def on_picture_kept(self, photo: ImageArray | None) -> None:
        """The session kept a new picture of ``photo`` (a run's, even a failed run's last good one,
        or a chosen variation): it starts untouched."""
        self._painting = False
        self._new_picture(photo, None)
        self._awaited = self.session.metadata  # the record it is saved with

    @Slot(object)
    def on_entry_activated(self, entry: Any) -> None:
        """A history entry is on show (after the session loaded it): show its touches."""
        if self.session.result_image is self._base:
            return  # already ours
        try:
            touches = touches_from_metadata(entry.metadata)
        except NSTError as exc:
            self.status.showMessage(f"Ignoring this picture's after-touches: {exc.user_text()}",
                                                10000)
            touches = Touches()
        self._new_picture(None, inputs_from_metadata(entry.metadata)["content"], touches)
        self._entry_id, self._metadata = entry.id, dict(entry.metadata)

    @Slot(object, object)
    def on_entry_saved(self, entry: Any, record: object) -> None:
        """A picture reached the history with ``record``: when it is the picture on show (the
        same record object, not an equal one), later touches go to its entry."""
        if self._awaited is None or record is not self._awaited:
            return
        self._entry_id, self._metadata, self._awaited = entry.id, dict(entry.metadata), None
        if touches_from_metadata_or_none(self._metadata) != self._touches:
            self._save_timer.start()  # touched while it was being written

    @Slot()
    def on_run_done(self) -> None:
        self._painting = False
        self._update_availability()

    # --- internals ---------------------------------------------------------------------------------
    def _new_picture(self, photo: ImageArray | None, photo_path: str | None,
                     touches: Touches = NO_TOUCHES) -> None:
        """The session's picture is now on show, with ``touches`` (a new one has none)."""
        self.flush()  # the previous picture's pending touches go to its own entry
        self._base = self.session.result_image
        self._photo, self._photo_path, self._fitted = photo, photo_path, None
        self._entry_id = self._metadata = self._awaited = None
        self._touches = touches
        self.panel.set_touches(touches)
        self._render()

    def _on_panel_changed(self, touches: Touches) -> None:
        old = self._touches
        self._apply(touches)
        if touches != old:
            self.edited.emit(old, touches)

    def _apply(self, touches: Touches) -> None:
        self._touches = touches
        self._render()
        if self._entry_id is not None:
            self._save_timer.start()  # restarts: one write after the last change

    def _render(self) -> None:
        self._update_availability()
        if self._base is None or self._painting:
            return  # the live preview is on show
        self.canvas.set_image(array_to_qimage(self.touched()))

    def _looks(self) -> ImageArray | None:
        """The picture on show as it looks now, for its entry's thumbnail (None: none on show)."""
        return self.touched() if self._base is not None else None

    def _fitted_photo(self) -> ImageArray | None:
        if self._fitted is None and self._base is not None:
            photo = self._photo if self._photo is not None else self._load_entry_photo()
            if photo is not None:
                from nst_desktop.io.resize import fit_photo

                self._fitted = fit_photo(photo, self._base.shape[:2])
        return self._fitted

    def _load_entry_photo(self) -> ImageArray | None:
        if self._photo_path is None:
            return None
        from nst_desktop.gui.loaded_image import load_file

        try:
            self._photo = load_file(self._photo_path).image
        except NSTError as exc:
            log.info("photo of the picture unavailable: %s", exc.user_text())
            self._photo_path = None  # tried once: the note says it is missing
            self._update_availability()
        return self._photo

    def _update_availability(self) -> None:
        if self._base is None or self._painting:
            self.panel.set_available(False)
        elif self._photo is None and (self._photo_path is None or not Path(self._photo_path).is_file()):
            self.panel.set_available(False, "The photo of this picture is not available: "
                                            "the after-touches need it.")
        else:
            self.panel.set_available(True)
