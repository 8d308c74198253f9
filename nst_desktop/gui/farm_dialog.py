"""Settings ▸ Render farm (issue 19): the farm's address, its token and "Test connection".

"Test connection" asks the farm in the background (``gui.background``: never on the GUI thread)
and shows its nodes, CPUs, GPUs and version, or the one line of what is wrong (unreachable,
refused token, another version). The app needs no Ray for this: ``farm.client`` is plain HTTP.
The token is kept in the app's settings file, readable by this user only as that file is.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from nst_desktop.engine.spec.errors import NSTError
from nst_desktop.farm.client import FarmClient, FarmStatus
from nst_desktop.gui.background import LatestJob
from nst_desktop.gui.settings import Settings

URL_KEY, TOKEN_KEY = "farm/url", "farm/token"


def ask_farm(url: str, token: str) -> FarmStatus:
    """The farm's status (a pool thread); FarmError with one line if it cannot say."""
    return FarmClient(url, token, timeout_s=10).status()


def status_text(status: FarmStatus) -> str:
    """What the dialog shows of a farm: the summary line, then a line per node."""
    nodes = [f"  {n.get('address', '?')}: {float(n.get('cpus', 0)):g} CPUs, "
             f"{float(n.get('gpus', 0)):g} GPUs" for n in status.nodes]
    return "\n".join([status.text(), *nodes])


class FarmDialog(QDialog):
    """The farm's address and token, kept in the settings on OK; ``tested(text)`` after a test."""

    tested = Signal(str)

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Render farm")
        self._settings = settings
        self.url = QLineEdit(str(settings.read(URL_KEY)))
        self.url.setPlaceholderText("http://render-pc:8765 or https://farm.studio.lan")
        self.token = QLineEdit(str(settings.read(TOKEN_KEY)))
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("the first line of the farm's --token-file")
        self.test = QPushButton("Test connection")
        self.answer = QLabel("Jobs can be painted on a farm of Linux machines (see the README).")
        self.answer.setWordWrap(True)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("Address", self.url)
        form.addRow("Token", self.token)
        choices = QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        buttons = QDialogButtonBox(choices)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.test, alignment=Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.answer)
        layout.addWidget(buttons)
        self._asking = LatestJob(self)
        self.test.clicked.connect(self._on_test_clicked)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.setMinimumWidth(460)

    def _on_test_clicked(self) -> None:
        self.test.setEnabled(False)
        self.answer.setText("Asking the farm…")
        self._asking.start(ask_farm, self.url.text().strip(), self.token.text().strip(),
                           on_success=self._on_answered, on_failure=self._on_failed)

    def _on_answered(self, status: FarmStatus) -> None:
        self._show(status_text(status))

    def _on_failed(self, exc: object) -> None:
        self._show(exc.user_text() if isinstance(exc, NSTError) else f"The farm could not be asked: {exc}")

    def _show(self, text: str) -> None:
        self.test.setEnabled(True)
        self.answer.setText(text)
        self.tested.emit(text)

    def accept(self) -> None:
        self._settings.write(URL_KEY, self.url.text().strip())
        self._settings.write(TOKEN_KEY, self.token.text().strip())
        super().accept()
