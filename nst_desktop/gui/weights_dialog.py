"""Choose the VGG19 weight set; download torchvision's or import a file, in the background.

Downloading 548 MB or reading a weight file takes seconds to minutes, so both run as a
background job (``gui.background``) while the dialog stays responsive, shows progress and
can cancel. The fetch, import, list and file-dialog functions are injectable so tests run
offline.

A set is "ready" only once its file was loaded (``weights_store.damage``, as ``weights list``
does): a damaged or malicious file shows "damaged: <reason>" and cannot be chosen. Loading
takes seconds per file, so the check runs in the background too, showing "checking…" meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from nst_desktop.gui.background import BackgroundJob, run_in_background
from nst_desktop.gui.errors import user_message
from nst_desktop.io import weight_sets, weights_store

Fetcher = Callable[..., Path]  # fetch_torchvision(progress=..., cancel=...)
Importer = Callable[[str], Path]
Lister = Callable[[], list[weight_sets.WeightSetStatus]]
Checker = Callable[[weight_sets.WeightSetStatus], str | None]  # weights_store.damage
OpenDialog = Callable[..., tuple[str, str]]  # QFileDialog.getOpenFileName's signature

DOWNLOAD_HOST = "download.pytorch.org"
_NAME_ROLE = 0x0100  # Qt.ItemDataRole.UserRole


class WeightsDialog(QDialog):
    """Lists the weight sets with their licences; fetch, import, and pick the one to use."""

    def __init__(self, current_spec: str, parent: QWidget | None = None, *,
                 fetcher: Fetcher | None = None, importer: Importer | None = None,
                 lister: Lister | None = None, open_dialog: OpenDialog | None = None,
                 checker: Checker | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Network weights")
        self.current_spec = current_spec
        self._fetch = weights_store.fetch_torchvision if fetcher is None else fetcher
        self._import = weights_store.import_weights if importer is None else importer
        self._list = weight_sets.list_weight_sets if lister is None else lister
        self._open_dialog = QFileDialog.getOpenFileName if open_dialog is None else open_dialog
        self._check = weights_store.damage if checker is None else checker
        self._job: BackgroundJob | None = None
        self._check_job: BackgroundJob | None = None
        self._damage: dict[str, str | None] = {}  # name -> reason, or None once it loaded; absent: checking
        self._cancelled_text = ""  # what the message says if the user cancels the job on its way
        self._status: dict[str, weight_sets.WeightSetStatus] = {}
        self._build()
        self.refresh(select=current_spec)

    def _build(self) -> None:
        self.list = QListWidget(self)
        self.list.currentItemChanged.connect(self._on_current_changed)
        self.details = QTextBrowser(self)
        self.details.setOpenExternalLinks(True)
        self.fetch_button = QPushButton("Fetch torchvision weights", self)
        self.fetch_button.setToolTip(f"Download VGG19 (548 MB) from {DOWNLOAD_HOST}")
        self.fetch_button.clicked.connect(self.start_fetch)
        self.import_button = QPushButton("Import weights file…", self)
        self.import_button.setToolTip("Use a VGG19 .pth file you already have")
        self.import_button.clicked.connect(self.start_import)
        self.progress = QProgressBar(self)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel_task)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setObjectName("weightsMessage")
        actions = QHBoxLayout()
        actions.addWidget(self.fetch_button)
        actions.addWidget(self.import_button)
        actions.addStretch(1)
        busy = QHBoxLayout()
        busy.addWidget(self.progress, 1)
        busy.addWidget(self.cancel_button)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        intro = "The network that “sees” style. Its licence travels with your results."
        layout.addWidget(QLabel(intro, self))
        layout.addWidget(self.list)
        layout.addWidget(self.details)
        layout.addLayout(actions)
        layout.addLayout(busy)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(560, 480)

    # --- list --------------------------------------------------------------------------------
    def refresh(self, select: str | None = None) -> None:
        """Re-read the weight sets (after a fetch or an import) and select ``select``."""
        keep = select or self.selected_spec()
        self._cancel_checks()  # the files may have changed: nothing is ready until checked again
        self.list.blockSignals(True)
        self.list.clear()
        self._status = {s.name: s for s in self._list()}
        names = list(self._status)
        if keep and keep not in self._status:
            names.append(keep)  # a file path set in the params, not in the store
        for name in names:
            self.list.addItem(self._make_item(name))
        self.list.blockSignals(False)
        rows = [i for i in range(self.list.count()) if self.list.item(i).data(_NAME_ROLE) == keep]
        self.list.setCurrentRow(rows[0] if rows else 0)
        self._on_current_changed()
        # Once the event loop runs: the dialog opens at once, and opening it never imports torch.
        QTimer.singleShot(0, self, self._start_checks)

    # --- checking what is listed ----------------------------------------------------------------
    def _rows_to_check(self) -> list[weight_sets.WeightSetStatus]:
        rows = [s for s in self._status.values() if s.available]
        for i in range(self.list.count()):
            name = str(self.list.item(i).data(_NAME_ROLE))
            if name not in self._status and Path(name).is_file():  # a file path from the params
                rows.append(weight_sets.WeightSetStatus(name, name, "", "", "import", True, name))
        selected = self.selected_spec()
        return sorted(rows, key=lambda row: row.name != selected)  # the selected one first

    def _start_checks(self) -> None:
        """Load each listed file in the background; each result updates its row as it comes."""
        self._cancel_checks()
        rows = self._rows_to_check()
        check = self._check  # the job's thread must not touch the dialog

        def checks() -> Iterator[tuple[str, str | None]]:
            for row in rows:
                yield row.name, check(row)

        self._check_job = run_in_background(checks, on_yield=self._on_checked,
                                            on_failure=self._on_checks_failed, parent=self)

    def _on_checks_failed(self, exc: object) -> None:
        # An unforeseen error (damage() reports the foreseen ones): the sets not yet checked
        # say why instead of "checking…" for ever, and stay unchosen.
        reason = user_message(exc) if isinstance(exc, BaseException) else str(exc)
        for row in self._rows_to_check():
            if row.name not in self._damage:
                self._on_checked((row.name, reason))

    def _cancel_checks(self) -> None:
        if self._check_job is not None:
            self._check_job.cancel()
            self._check_job = None
        self._damage = {}

    def _on_checked(self, result: tuple[str, str | None]) -> None:
        name, reason = result
        self._damage[name] = reason
        for i in range(self.list.count()):
            if self.list.item(i).data(_NAME_ROLE) == name:
                self.list.item(i).setText(self._item_text(name))
        self._update_buttons()

    def _item_text(self, name: str) -> str:
        status = self._status.get(name)
        if status is None:
            text, present = f"{name} (file)", Path(name).is_file()
        else:
            text, present = status.title, status.available
        if not present:
            downloadable = status is not None and status.source == "download"
            text += " — not downloaded" if downloadable else " — missing"
        elif name not in self._damage:
            text += " — checking…"
        else:
            reason = self._damage[name]
            text += f" — damaged: {reason}" if reason else " — ready"
        if name == self.current_spec:
            text += "   (in use)"
        return text

    def _make_item(self, name: str) -> QListWidgetItem:
        item = QListWidgetItem(self._item_text(name))
        item.setData(_NAME_ROLE, name)
        if name == self.current_spec:
            font = QFont(item.font())
            font.setBold(True)
            item.setFont(font)
        return item

    def selected_spec(self) -> str:
        """The weight set chosen in the list (``params.weights`` value)."""
        item = self.list.currentItem()
        return str(item.data(_NAME_ROLE)) if item is not None else self.current_spec

    def is_available(self, name: str) -> bool:
        """Whether ``name`` can be chosen: its file is there and loaded as VGG19 (not while checking)."""
        status = self._status.get(name)
        present = status.available if status is not None else Path(name).is_file()
        return present and name in self._damage and self._damage[name] is None

    def _on_current_changed(self, *_args: Any) -> None:
        name = self.selected_spec()
        status = self._status.get(name)
        if status is None:
            self.details.setPlainText(f"Weight file: {name}")
        else:
            where = f"\n\nFile: {status.path}" if status.path else ""
            self.details.setPlainText(f"{status.description}\n\nLicence: {status.licence}{where}")
        self._update_buttons()

    def _update_buttons(self) -> None:
        busy = self._job is not None
        torchvision = self._status.get("torchvision")
        self.fetch_button.setEnabled(not busy and not (torchvision and torchvision.available))
        self.import_button.setEnabled(not busy)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(not busy and self.is_available(self.selected_spec()))
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)

    # --- fetch and import ----------------------------------------------------------------------
    def start_fetch(self) -> None:
        """Download the torchvision weights in the background."""
        fetch = self._fetch  # the job's thread must not touch the dialog

        def work(job: BackgroundJob) -> Path:
            return fetch(progress=lambda done, total: job.report((done, total)), cancel=job.cancelled)

        self._start(work, "Downloading the torchvision VGG19 weights…", self._on_fetched,
                    self._on_fetch_failed, "Download cancelled; nothing was saved.")

    def start_import(self) -> None:
        """Ask for a .pth file and validate/copy it into the store in the background."""
        chosen, _ = self._open_dialog(self, "Import VGG19 weights", str(Path.home()),
                                      "PyTorch weights (*.pth *.pt);;All files (*)")
        if not chosen:
            return
        do_import = self._import
        self._start(lambda _job: do_import(chosen), f"Checking and importing {Path(chosen).name}…",
                    self._on_imported, self._on_import_failed, "Import cancelled.")

    def _start(self, work: Callable[[BackgroundJob], object], text: str, on_success: Callable[[object], None],
               on_failure: Callable[[str], None], cancelled_text: str) -> None:
        if self._job is not None:
            return

        def succeeded(value: object) -> None:
            self._job_ended()
            on_success(value)

        def failed(exc: object) -> None:
            self._job_ended()
            on_failure(user_message(exc) if isinstance(exc, BaseException) else str(exc))

        self._job = run_in_background(work, on_success=succeeded, on_failure=failed,
                                      on_yield=self._on_progressed, parent=self, pass_job=True)
        self._cancelled_text = cancelled_text
        self.progress.setRange(0, 0)  # busy until the first progress report says how much
        self.message.setText(text)
        self._update_buttons()

    def cancel_task(self) -> None:
        """Stop the job on its way; it delivers nothing more (a download stops at its next chunk)."""
        if self._job is not None:
            self._job.cancel()
            self._job_ended()
            self.message.setText(self._cancelled_text)

    def _job_ended(self) -> None:
        self._job = None
        self._update_buttons()

    def _on_progressed(self, report: tuple[int, int]) -> None:
        done, total = report
        if total > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(round(1000 * min(done, total) / total))
            self.progress.setFormat(f"{done / 1e6:.0f} / {total / 1e6:.0f} MB")
        else:
            self.progress.setRange(0, 0)

    def _on_fetched(self, path: object) -> None:
        self.message.setText(f"Torchvision weights ready ({path}).")
        self.refresh(select="torchvision")

    def _on_fetch_failed(self, text: str) -> None:
        self.message.setText(
            f"Could not reach {DOWNLOAD_HOST} to fetch the torchvision weights. Check your connection and "
            "try again, or import a file you downloaded elsewhere (Import weights file…)."
            f"\n\nDetails: {text}")

    def _on_imported(self, path: object) -> None:
        stored = Path(str(path))
        self.message.setText(f"Imported as “{stored.stem}”.")
        self.refresh(select=stored.stem)

    def _on_import_failed(self, text: str) -> None:
        self.message.setText(f"Could not import the weights. {text}")

    # --- closing -------------------------------------------------------------------------------
    def done(self, result: int) -> None:
        # A download may sit in a network read for a while: ask it to stop, but do not make
        # the user wait for it; gui.background keeps the job alive until it ends.
        self.cancel_task()
        self._cancel_checks()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.cancel_task()
        super().closeEvent(event)

