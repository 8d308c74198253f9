"""The recipe on screen (the photo, the styles with their blend weights, the settings) written to
the settings file as it changes, so that a kill, a crash or a logout loses none of it
(issue 16.13): a clean close used to be the only time it was written, and a session ended
by SIGTERM or SIGKILL came back as an empty window.

Writes are debounced (a dragged slider or a blend spin box changes many times a second) and
synced to disk at once; QSettings writes the INI file through a temporary file and a rename,
so a kill in the middle of a write leaves the previous recipe, never half of one.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from nst_desktop.gui.held_inputs import is_file
from nst_desktop.gui.inputs_panel import InputsPanel
from nst_desktop.gui.settings import Settings
from nst_desktop.recipe.document import Document

SAVE_DELAY_MS = 500  # after the last change: short enough that a kill loses at most half a second


class RecipeKeeper(QObject):
    """Writes the document's recipe ``delay_ms`` after its last change (``saved`` once on disk);
    :meth:`save_now` writes it at once (the window's close)."""

    saved = Signal()

    def __init__(self, settings: Settings, document: Document, inputs: InputsPanel,
                 parent: QObject | None = None, delay_ms: int = SAVE_DELAY_MS) -> None:
        super().__init__(parent)
        self._settings = settings
        self._document = document
        self._inputs = inputs  # asked whether it is still reading; reopens the recipe at launch
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._on_timeout)
        document.recipeChanged.connect(lambda _recipe: self.schedule())

    def reopen(self) -> bool:
        """Reopen the recipe last written (read in the background), or on the very first launch
        the sample photo and style; True on that first launch."""
        settings = self._settings
        if settings.read("inputs/initialised"):
            self._inputs.restore(settings.read("inputs/content"), settings.read("inputs/styles"))
            return False
        self._inputs.load_first_launch()
        settings.write("inputs/initialised", True)
        settings.sync()  # on disk now: a crash must not make the next start a "first" one
        return True

    def schedule(self) -> None:
        """Write the recipe once no change has come for the delay (restarts the delay)."""
        self._timer.start()

    def pending(self) -> bool:
        """Whether a change is waiting for its write."""
        return self._timer.isActive()

    def _on_timeout(self) -> None:
        self.save_now()
        if self._inputs.loading():  # the inputs were left out: written once the read is over
            self._timer.start()

    def save_now(self) -> None:
        """Write the recipe and sync the file. While photos or styles are still being read (the
        launch's reopening, a new photo), the inputs last written stay: the panel does not yet
        hold the recipe, and writing it would turn a kill during a slow read into an empty window."""
        self._timer.stop()
        recipe = self._document.recipe
        if not self._inputs.loading():  # the files only: a pasted image is in no file to reopen
            self._settings.write("inputs/content", recipe.photo if is_file(recipe.photo) else "")
            styles = [[s.path, s.weight] for s in recipe.styles if is_file(s.path)]
            self._settings.write("inputs/styles", styles)
        self._settings.write_params(recipe.params)
        self._settings.sync()
        self.saved.emit()
