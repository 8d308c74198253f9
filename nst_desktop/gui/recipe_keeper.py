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

from nst_desktop.gui.inputs_panel import InputsPanel
from nst_desktop.gui.params_panel import ParamsPanel
from nst_desktop.gui.settings import Settings

SAVE_DELAY_MS = 500  # after the last change: short enough that a kill loses at most half a second


class RecipeKeeper(QObject):
    """Writes the window's recipe ``delay_ms`` after its last change (``saved`` once on disk);
    :meth:`save_now` writes it at once (the window's close)."""

    saved = Signal()

    def __init__(self, settings: Settings, inputs: InputsPanel, params_panel: ParamsPanel,
                 parent: QObject | None = None, delay_ms: int = SAVE_DELAY_MS) -> None:
        super().__init__(parent)
        self._settings = settings
        self._inputs = inputs
        self._params_panel = params_panel
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._on_timeout)
        inputs.changed.connect(self.schedule)
        params_panel.paramsChanged.connect(self.schedule)

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
        if not self._inputs.loading():
            content, styles = self._inputs.state()
            self._settings.write("inputs/content", content)
            self._settings.write("inputs/styles", styles)
        self._settings.write_params(self._params_panel.params())
        self._settings.sync()
        self.saved.emit()
