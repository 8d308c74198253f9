"""The Batch dialog: photos or a folder × the chosen styles (× a sweep of one setting) -> queued
jobs, an output folder and a file-name pattern (issue 18.3).

The jobs are planned by ``queue.batch.plan``, the very planning ``nst-desktop batch`` does (the
same pattern rules and refusals, one implementation). Each checked style is a look of its own, or
all of them blended into one look with their blend weights. What the dialog would queue is said
live under it ("12 jobs: 3 photos × 2 looks × 2 values"), and a bad pattern or sweep is said there
in one line before anything is queued. Planning reads every photo to key it (a rerun skips what is
already painted), so it runs in the background; ``planned`` then carries the jobs and the dialog
closes.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from nst_desktop.engine.spec.errors import NSTError
from nst_desktop.engine.spec.params import Params, param_fields
from nst_desktop.gui.background import run_in_background
from nst_desktop.gui.loaded_image import IMAGE_FILTER
from nst_desktop.queue.batch import (
    DEFAULT_PATTERN,
    PATTERN_FIELDS,
    PlannedJob,
    Sweep,
    check_pattern,
    parse_sweep,
    photos_in,
    plan,
)
from nst_desktop.recipe.recipe import Recipe, StyleRef

FilesChooser = Callable[[QWidget, str, str], list[str]]  # (parent, caption, filter) -> paths
FolderChooser = Callable[[QWidget, str], str]  # (parent, caption) -> a folder, "" if cancelled
NO_SWEEP = ""
PATTERN_HINT = ("Fields: " + "  ".join("{" + f + "}" for f in PATTERN_FIELDS)
                + "; the extension picks the format (.png .jpg .webp .tif)")
PROBLEM_STYLE = "color: #c0392b;"  # a red readable on the light and the dark palette


def qt_files(parent: QWidget, caption: str, filter_: str) -> list[str]:
    return list(QFileDialog.getOpenFileNames(parent, caption, "", filter_)[0])


def qt_folder(parent: QWidget, caption: str) -> str:
    return QFileDialog.getExistingDirectory(parent, caption)


def sweepable_settings() -> list[tuple[str, str]]:
    """(field, label) of every setting a sweep can vary: one number or word per value, as
    ``queue.batch.parse_sweep`` accepts."""
    kinds = typing.get_type_hints(Params)
    return [(f.name, str(f.metadata.get("label", f.name))) for f in param_fields()
            if kinds[f.name] in (int, float, str) and not f.metadata.get("choices")]


@dataclass(frozen=True)
class BatchPlan:
    """What the dialog's fields say, before planning: checked and parsed."""

    photos: tuple[str, ...]
    looks: tuple[tuple[StyleRef, ...], ...]
    folder: str
    pattern: str
    sweep: Sweep | None


class BatchDialog(QDialog):
    """Batch: photos × styles × sweep -> ``planned(list[PlannedJob])`` (see the module docstring)."""

    planned = Signal(object)  # list[PlannedJob]

    def __init__(self, base: Recipe | None, folder: str, parent: QWidget | None = None, *,
                 choose_files: FilesChooser = qt_files, choose_folder: FolderChooser = qt_folder) -> None:
        super().__init__(parent)
        self.setWindowTitle("Batch")
        self.setObjectName("batchDialog")
        self._base = base
        self._choose_files, self._choose_folder = choose_files, choose_folder
        self._planning = False
        self._build(folder)
        if base is not None:
            self.add_styles([s.path for s in base.styles], [s.weight for s in base.styles])
        self._update_summary()

    # --- building ------------------------------------------------------------------------------
    def _build(self, folder: str) -> None:
        self.photos = QListWidget()
        self.photos.setObjectName("batchPhotos")
        self.styles = QListWidget()
        self.styles.setObjectName("batchStyles")
        for listing in (self.photos, self.styles):
            listing.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
            listing.setMinimumHeight(90)
        self.styles.itemChanged.connect(lambda _item: self._update_summary())
        self.blend = QCheckBox("Blend the checked styles into one look (their blend weights)")
        self.blend.toggled.connect(lambda _on: self._update_summary())
        self.sweep_setting = QComboBox()
        self.sweep_setting.addItem("No sweep", NO_SWEEP)
        for name, label in sweepable_settings():
            self.sweep_setting.addItem(label, name)
        self.sweep_values = QLineEdit()
        self.sweep_values.setPlaceholderText("values, e.g. 4, 8, 16")
        self.folder = QLineEdit(folder)
        self.pattern = QLineEdit(DEFAULT_PATTERN)
        self.pattern.setToolTip(PATTERN_HINT)
        for edit in (self.sweep_values, self.folder, self.pattern):
            edit.textChanged.connect(lambda _text: self._update_summary())
        self.sweep_setting.currentIndexChanged.connect(lambda _i: self._update_summary())
        self.summary = QLabel()
        self.summary.setObjectName("batchSummary")
        self.summary.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.queue_button = self.buttons.addButton("Add to queue", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.queue_jobs)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self._form())
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        self.resize(620, 560)

    def _form(self) -> QFormLayout:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Photos", self._with_buttons(self.photos, ("Add photos…", self._on_add_photos),
                                                 ("Add folder…", self._on_add_folder),
                                                 ("Remove", lambda: self._remove(self.photos))))
        form.addRow("Styles", self._with_buttons(self.styles, ("Add styles…", self._on_add_styles),
                                                 ("Remove", lambda: self._remove(self.styles))))
        form.addRow("", self.blend)
        sweep_row = QHBoxLayout()
        sweep_row.addWidget(self.sweep_setting)
        sweep_row.addWidget(self.sweep_values, 1)
        form.addRow("Sweep", sweep_row)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        choose = QPushButton("Choose…")
        choose.clicked.connect(self._on_choose_folder)
        folder_row.addWidget(choose)
        form.addRow("Output folder", folder_row)
        form.addRow("File names", self.pattern)
        fields = QLabel(PATTERN_HINT)
        fields.setEnabled(False)  # a hint, greyed
        fields.setWordWrap(True)
        form.addRow("", fields)
        return form

    def _with_buttons(self, listing: QListWidget, *buttons: tuple[str, Callable[[], object]]) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(listing, 1)
        column = QVBoxLayout()
        for text, slot in buttons:
            button = QPushButton(text)
            button.clicked.connect(slot)
            column.addWidget(button)
        column.addStretch(1)
        row.addLayout(column)
        return box

    # --- filling ---------------------------------------------------------------------------------
    def add_photos(self, paths: Sequence[str]) -> None:
        for path in paths:
            item = QListWidgetItem(Path(path).name)
            if Path(path).is_dir():  # a folder: its photos, by name
                item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_DirIcon))
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(str(path))
            self.photos.addItem(item)
        self._update_summary()

    def add_styles(self, paths: Sequence[str], weights: Sequence[float] = ()) -> None:
        for index, path in enumerate(paths):
            weight = weights[index] if index < len(weights) else 1.0
            item = QListWidgetItem(Path(path).stem)
            item.setData(Qt.ItemDataRole.UserRole, (str(path), float(weight)))
            item.setToolTip(str(path))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.styles.addItem(item)
        self._update_summary()

    def _on_add_photos(self) -> None:
        self.add_photos(self._choose_files(self, "Photos for the batch", IMAGE_FILTER))

    def _on_add_folder(self) -> None:
        folder = self._choose_folder(self, "A folder of photos")
        if folder:
            self.add_photos([folder])

    def _on_add_styles(self) -> None:
        self.add_styles(self._choose_files(self, "Styles for the batch", IMAGE_FILTER))

    def _on_choose_folder(self) -> None:
        folder = self._choose_folder(self, "Folder for the pictures")
        if folder:
            self.folder.setText(folder)

    def _remove(self, listing: QListWidget) -> None:
        for item in listing.selectedItems():
            listing.takeItem(listing.row(item))
        self._update_summary()

    # --- reading the fields ------------------------------------------------------------------------
    def batch_plan(self) -> BatchPlan:
        """The fields, checked; NSTError (ParamsError, ImageError) saying what is wrong, in one line."""
        photos = tuple(str(self.photos.item(i).data(Qt.ItemDataRole.UserRole))
                       for i in range(self.photos.count()))
        checked = [self.styles.item(i) for i in range(self.styles.count())
                   if self.styles.item(i).checkState() == Qt.CheckState.Checked]
        styles = [StyleRef(*item.data(Qt.ItemDataRole.UserRole)) for item in checked]
        if not photos:
            raise NSTError("Add photos or a folder of photos.")
        if not styles:
            raise NSTError("Check at least one style.")
        if not self.folder.text().strip():
            raise NSTError("Choose the folder the pictures go to.")
        looks = (tuple(styles),) if self.blend.isChecked() else tuple((s,) for s in styles)
        check_pattern(self.pattern.text())
        setting = self.sweep_setting.currentData()
        sweep = parse_sweep(f"{setting}={self.sweep_values.text()}") if setting else None
        return BatchPlan(photos, looks, self.folder.text().strip(), self.pattern.text(), sweep)

    def _update_summary(self) -> None:
        try:
            wanted = self.batch_plan()
            photos = len(photos_in(wanted.photos))
        except NSTError as exc:
            self.summary.setText(exc.user_text())
            self.summary.setStyleSheet(PROBLEM_STYLE)
            self.queue_button.setEnabled(False)
            return
        values = len(wanted.sweep.values) if wanted.sweep else 1
        swept = f" × {values} values" if wanted.sweep else ""
        looks = len(wanted.looks)
        jobs = photos * looks * values
        self.summary.setText(f"{jobs} job{'s' * (jobs != 1)}: {photos} photo{'s' * (photos != 1)} × "
                             f"{looks} look{'s' * (looks != 1)}{swept}, into {wanted.folder}")
        self.summary.setStyleSheet("")
        self.queue_button.setEnabled(not self._planning)

    # --- queueing ----------------------------------------------------------------------------------
    def queue_jobs(self) -> None:
        """Plan in the background (it reads the photos to key them); ``planned`` then closes it."""
        try:
            wanted = self.batch_plan()
        except NSTError as exc:
            self.summary.setText(exc.user_text())
            return
        base = self._base if self._base is not None else Recipe(wanted.photos[0], wanted.looks[0])
        self._planning = True
        self.queue_button.setEnabled(False)
        self.summary.setText("Planning the jobs…")
        run_in_background(plan_batch, wanted, base, on_success=self._on_planned,
                          on_failure=self._on_plan_failed, parent=self)

    def _on_planned(self, jobs: list[PlannedJob]) -> None:
        self._planning = False
        self.planned.emit(jobs)
        self.accept()

    def _on_plan_failed(self, exc: object) -> None:
        self._planning = False
        text = exc.user_text() if isinstance(exc, NSTError) else f"Cannot plan the batch: {exc}"
        self.summary.setText(text)
        self.summary.setStyleSheet(PROBLEM_STYLE)
        self.queue_button.setEnabled(True)


def plan_batch(wanted: BatchPlan, base: Recipe) -> list[PlannedJob]:
    """Runs in a worker: ``queue.batch.plan`` over the photos the fields name (folders listed)."""
    return plan(photos_in(wanted.photos), wanted.looks, base, wanted.folder, wanted.pattern, wanted.sweep)
