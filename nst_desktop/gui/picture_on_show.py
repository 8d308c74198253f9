"""The picture on show, in the document: ``document.picture`` follows the session's picture
(a run's, a variation's, a history entry's), and a restore, undone or redone, puts its picture
back on show from the document's ``pictureChanged``.

One handler per session signal calls the after-touches, then the document, in that order (the
document's touches follow the picture's): nothing depends on the order slots were connected in.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, Slot

from nst_desktop.engine.spec.events import ImageArray
from nst_desktop.engine.spec.touches import Touches
from nst_desktop.gui.after_touches import AfterTouches, ShownTouches
from nst_desktop.gui.run_session import RunSession, ShownPicture
from nst_desktop.recipe.document import Document
from nst_desktop.recipe.picture import Picture
from nst_desktop.recipe.recipe import Recipe

Shown = tuple[ShownPicture, ShownTouches]  # what the session and the after-touches need to show it again


class PictureOnShow(QObject):
    """Keeps ``document.picture`` the session's picture on show, and the other way round on undo."""

    def __init__(self, document: Document, session: RunSession, touches: AfterTouches,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document, self.session, self.touches = document, session, touches
        self._shown: dict[Picture | None, Shown] = {}  # the pictures a restore step holds
        self._following = False  # the document is being told what the session shows: no echo back
        self._restoring = False
        session.pictureKept.connect(self._on_picture_kept)
        session.entryShown.connect(self._on_entry_shown)
        document.pictureChanged.connect(self._on_document_picture)

    @Slot(object)
    def _on_picture_kept(self, photo: ImageArray | None) -> None:
        self.touches.on_picture_kept(photo)  # a new picture starts untouched
        self._follow(Touches())

    @Slot(object)
    def _on_entry_shown(self, entry: Any) -> None:
        self.touches.on_entry_activated(entry)  # with the touches it was saved with
        if not self._restoring:  # a restore makes it one undo step with its recipe
            self._follow(self.touches.touches())

    def _follow(self, touches: Touches) -> None:
        self._following = True
        try:
            self.document.show(self.session.picture(), touches)
        finally:
            self._following = False

    def restore(self, entry: Any, recipe: Recipe) -> None:
        """Show ``entry`` and make ``recipe`` (with the entry's touches) the document's, as one
        undo step with the picture: undone, the picture that was on show comes back."""
        before_picture, before = self.document.picture, self._snapshot()
        self._restoring = True
        try:
            self.session.on_entry_activated(entry)
        finally:
            self._restoring = False
        picture = self.session.picture()  # the entry's; the one before when it could not be loaded (said)
        self._shown[before_picture] = before
        self._shown[picture] = self._snapshot()
        self._following = True
        try:
            self.document.restore(replace(recipe, touches=self.touches.touches()), picture)
        finally:
            self._following = False

    def _snapshot(self) -> Shown:
        return self.session.shown(), self.touches.shown()

    @Slot(object)
    def _on_document_picture(self, picture: Picture | None) -> None:
        """An undo or redo of a restore: its picture back on show, with its own touches."""
        shown = self._shown.get(picture)
        if self._following or shown is None:
            return
        self.session.show_again(shown[0])
        self.touches.show_again(shown[1])  # after the session: the touched picture is drawn last
