"""The menu commands about the picture on show and the settings: Export, Export time-lapse,
Copy, the Weights dialog and About.

Split out of the run session (issue 17.2): they are given the session (the picture on show
and its record), the after-touches (how it looks), the panels and the window's dialogs, as
collaborators; they never reach through the window.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QStatusBar, QWidget

from nst_desktop.engine.spec.events import PreviewArray
from nst_desktop.gui.after_touches import AfterTouches
from nst_desktop.gui.inputs_panel import InputsPanel
from nst_desktop.gui.params_panel import ParamsPanel
from nst_desktop.gui.run_session import RunSession

ConfirmFn = Callable[[QWidget, str, str], bool]  # (parent, title, question): the answer is Yes


def ask_yes_no(parent: QWidget, title: str, text: str) -> bool:
    """The window's :data:`ConfirmFn` (tests pass their own)."""
    answer = QMessageBox.question(parent, title, text,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


class PictureCommands(QObject):
    """Export, copy, the weights and the About dialog, for the window ``parent``.
    ``export_options``: the export options dialog (``gui.export_dialog.ask_export_options``)."""

    renderAtPrintSizeRequested = Signal(int)  # the long side: Export's "Render at print size"
    queueAtPrintSizeRequested = Signal(int)  # ... "Queue at print size", offered while ``can_queue``

    def __init__(self, session: RunSession, touches: AfterTouches, inputs: InputsPanel,
                 params_panel: ParamsPanel, status: QStatusBar, parent: QWidget, *,
                 save_dialog: Any = None, confirm: ConfirmFn, export_options: Any = None) -> None:
        super().__init__(parent)
        self.session, self.touches, self.inputs, self.params_panel = session, touches, inputs, params_panel
        self.status, self.parent_widget = status, parent
        self.save_dialog, self.confirm, self.export_options = save_dialog, confirm, export_options
        self.can_queue = False  # the window has a render queue (set once it is built)

    def default_stem(self) -> str:
        from nst_desktop.gui.export import default_file_stem

        content, styles, _ = self.session.shown_inputs
        return default_file_stem(content, [s for s in styles if Path(s).suffix])

    @Slot()
    def export_image(self) -> Path | None:
        session = self.session
        if session.result_image is None:
            return None
        from nst_desktop.gui.export import export_image

        image, metadata = self.touches.picture(session.result_image, session.metadata)
        parent = self.parent_widget
        return export_image(parent, image, metadata, self.default_stem(), self.save_dialog,
                            mask=session.mask, inputs=self._export_inputs(),
                            confirm=lambda _p, title, text: self.confirm(parent, title, text),
                            options=self.export_options, render_at_size=self.renderAtPrintSizeRequested.emit,
                            queue_at_size=self.queueAtPrintSizeRequested.emit if self.can_queue else None)

    def _export_inputs(self) -> list[tuple[str, str | Path | None]]:
        """The files an export must not replace unasked: the picture's photo and styles, and
        those open in the window (another photo may have been opened since)."""
        content, styles, _ = self.session.shown_inputs
        shown = self.inputs.content()
        return [("the photo this picture was painted from", content),
                *(("a style this picture was painted with", s) for s in styles),
                ("the photo open in the window", shown.path if shown is not None else None),
                *(("a style open in the window", s.loaded.path) for s in self.inputs.styles())]

    @Slot()
    def export_timelapse(self) -> Path | None:
        source: list[PreviewArray] | Path | None = self.session.frames or self.session.timelapse_path
        if not source:
            return None
        from nst_desktop.gui.export import export_timelapse

        return export_timelapse(self.parent_widget, source, self.default_stem(), self.save_dialog)

    @Slot()
    def copy_image(self) -> None:
        if self.session.result_image is not None:
            from nst_desktop.gui.export import copy_image_to_clipboard

            copy_image_to_clipboard(self.touches.picture(self.session.result_image, None)[0])
            self.status.showMessage("Picture copied to the clipboard.", 4000)

    @Slot()
    def choose_weights(self) -> None:
        from nst_desktop.gui.weights_dialog import WeightsDialog

        dialog = WeightsDialog(self.params_panel.params().weights, self.parent_widget)
        if dialog.exec():
            self.params_panel.update_fields(weights=dialog.selected_spec())

    @Slot()
    def show_about(self) -> None:
        from nst_desktop.gui.about_dialog import AboutDialog

        AboutDialog(self.parent_widget).exec()
