"""The export options: a print size and resolution, JPEG quality, and what the picture's pixels
give at that size (issue 20.5).

Shown once per image export, after the file is named (its format decides whether a quality is
asked). The arithmetic is ``io.print_size``'s; this dialog only edits a
:class:`~nst_desktop.io.print_size.PrintTarget` and shows the :class:`PrintPlan` it makes. A
picture too small for the print at that resolution is said so in one line, and "Render at print
size" (now, in the window) or "Queue at print size" (the render queue: a print takes long) hands
the print's long side back to the caller, which promotes the picture to it (tiled), instead of
exporting. The last choices are kept for the next export of the session.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from nst_desktop.io.print_size import (
    MAX_DPI,
    MIN_DPI,
    PAPER_SIZES,
    PrintPlan,
    PrintTarget,
    plan_print,
)

QUALITY_FORMATS = ("JPEG", "WEBP")  # the lossy formats: a quality is asked only for these
DEFAULT_QUALITY = 95
OWN_SIZE = "own"  # the picture's pixels as they are, tagged with the chosen resolution
# The Print size choices: (key, label); a key is a paper name, a unit of a width, or OWN_SIZE.
SIZE_CHOICES: tuple[tuple[str, str], ...] = (
    *((name, f"{name} (fitted, turned to the picture)") for name in PAPER_SIZES),
    ("cm", "Width in cm"),
    ("in", "Width in inches"),
    (OWN_SIZE, "The picture's pixels at this resolution"),
)
_DEFAULT_WIDTH = {"cm": 20.0, "in": 8.0}
Action = Literal["export", "render", "queue"]  # export the file, or paint at the print's size now / queued


@dataclass(frozen=True)
class ExportChoice:
    """What the artist chose: the print (its ``dpi`` and ``output_wh`` are what is written), the
    quality of a lossy format, and ``action``: export, or paint the picture at the print's size
    instead, now ("render") or in the queue ("queue")."""

    plan: PrintPlan
    quality: int = DEFAULT_QUALITY
    action: Action = "export"


@dataclass(frozen=True)
class _Remembered:
    size_key: str = "A4"
    width: float = _DEFAULT_WIDTH["cm"]
    dpi: int = 300
    resize: bool = False
    quality: int = DEFAULT_QUALITY


_remembered = _Remembered()  # the last export's choices, for the next one


class ExportOptionsDialog(QDialog):
    """See the module docstring. ``render_limit``: the largest long side "Render at print size"
    may ask for (the Output size control's maximum); None hides that button; ``can_queue``: a
    render queue takes it too ("Queue at print size")."""

    def __init__(self, picture_wh: tuple[int, int], fmt: str, file_name: str = "",
                 render_limit: int | None = None, parent: QWidget | None = None, *,
                 can_queue: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("exportOptionsDialog")
        self.setWindowTitle(f"Export {file_name}" if file_name else "Export")
        self.picture_wh, self.fmt = picture_wh, fmt
        self.render_limit, self.can_queue = render_limit, can_queue
        self.action: Action = "export"
        self._build()
        self._restore(_remembered)
        self._on_changed()

    def _build(self) -> None:
        self.size_combo = QComboBox()
        for key, label in SIZE_CHOICES:
            self.size_combo.addItem(label, key)
        self.width_spin = QDoubleSpinBox()
        self.width_spin.setRange(1.0, 500.0)
        self.width_spin.setDecimals(1)
        self.dpi_spin = QSpinBox()
        self.dpi_spin.setRange(MIN_DPI, MAX_DPI)
        self.dpi_spin.setSuffix(" dpi")
        self.resize_box = QCheckBox("Resize to the print's pixel size")
        self.quality_spin = QSpinBox()
        self.quality_spin.setRange(1, 100)
        self.quality_spin.setToolTip("Higher keeps finer brush strokes; lower makes a smaller file.")
        self.summary = QLabel()
        self.summary.setObjectName("printSummary")
        self.summary.setWordWrap(True)
        size_row = QHBoxLayout()
        size_row.addWidget(self.size_combo, 1)
        size_row.addWidget(self.width_spin)
        form = QFormLayout()
        form.addRow(QLabel(f"Picture: {self.picture_wh[0]} × {self.picture_wh[1]} px, {self.fmt}"))
        form.addRow("Print size:", size_row)
        form.addRow("Resolution:", self.dpi_spin)
        form.addRow("", self.resize_box)
        if self.fmt in QUALITY_FORMATS:
            form.addRow(f"{'JPEG' if self.fmt == 'JPEG' else 'WebP'} quality:", self.quality_spin)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setDefault(True)
        self.render_button = QPushButton("Render at print size")
        self.render_button.setObjectName("renderAtPrintSize")
        self.queue_button = QPushButton("Queue at print size")
        self.queue_button.setObjectName("queueAtPrintSize")
        for button in (self.render_button, self.queue_button):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.render_button.clicked.connect(lambda: self._on_paint_clicked("render"))
        self.queue_button.clicked.connect(lambda: self._on_paint_clicked("queue"))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)
        self.size_combo.currentIndexChanged.connect(self._on_size_kind_changed)
        for spin in (self.width_spin, self.dpi_spin):
            spin.valueChanged.connect(self._on_changed)
        self.resize_box.toggled.connect(self._on_changed)

    def _restore(self, last: _Remembered) -> None:
        self.size_combo.setCurrentIndex(max(0, self.size_combo.findData(last.size_key)))
        self.width_spin.setValue(last.width)
        self.dpi_spin.setValue(last.dpi)
        self.resize_box.setChecked(last.resize)
        self.quality_spin.setValue(last.quality)
        self._show_width_for(last.size_key)

    def _show_width_for(self, key: str) -> None:
        self.width_spin.setVisible(key in _DEFAULT_WIDTH)
        if key in _DEFAULT_WIDTH:
            self.width_spin.setSuffix(f" {key}")

    @Slot(int)
    def _on_size_kind_changed(self, _index: int) -> None:
        key = str(self.size_combo.currentData())
        if key in _DEFAULT_WIDTH:
            self.width_spin.setValue(_DEFAULT_WIDTH[key])  # 20 cm is not 20 inches
        self._show_width_for(key)
        self._on_changed()

    def target(self) -> PrintTarget:
        """The print the controls describe."""
        key, dpi = str(self.size_combo.currentData()), float(self.dpi_spin.value())
        if key in PAPER_SIZES:
            return PrintTarget(paper=key, dpi=dpi)
        if key == OWN_SIZE:
            return PrintTarget(paper=None, width=self.picture_wh[0] / dpi, unit="in", dpi=dpi)
        return PrintTarget(paper=None, width=self.width_spin.value(), unit="cm" if key == "cm" else "in",
                           dpi=dpi)

    def plan(self) -> PrintPlan:
        return plan_print(self.picture_wh, self.target(), self.resize_box.isChecked())

    @Slot()
    def _on_changed(self, *_: object) -> None:
        plan = self.plan()
        # Never enlarged: a picture smaller than the print keeps its pixels (and says so).
        self.resize_box.setEnabled(plan.enough and plan.needed_wh != plan.picture_wh)
        self.resize_box.setToolTip("Scales the picture down to the print's pixels; a picture is never "
                                   "enlarged." if plan.enough else "The picture has fewer pixels than "
                                   "the print: it is never enlarged. Render at print size paints them.")
        self.summary.setText(plan.summary())
        self.summary.setStyleSheet("" if plan.enough else "color: #b35900;")
        too_big = self.render_limit is not None and plan.needed_long_side > self.render_limit
        offered = self.render_limit is not None and not plan.enough
        self.render_button.setVisible(offered)
        self.queue_button.setVisible(offered and self.can_queue)
        tip = (f"More than the largest output size ({self.render_limit} px): choose a smaller print or "
               "resolution." if too_big else f"Go on from this picture up to {plan.needed_long_side} px, "
               "keeping its composition (painted in tiles: a print takes long); export it when it is done.")
        for button, where in ((self.render_button, "Now, in the window. "),
                              (self.queue_button, "In the render queue, behind your work. ")):
            button.setEnabled(not too_big)
            button.setToolTip(tip if too_big else where + tip)

    def _on_paint_clicked(self, action: Action) -> None:
        self.action = action
        self.accept()

    def choice(self) -> ExportChoice:
        return ExportChoice(self.plan(), self.quality_spin.value(), self.action)

    def done(self, result: int) -> None:  # accepted or not, the choices are kept for the next export
        global _remembered
        _remembered = replace(_remembered, size_key=str(self.size_combo.currentData()),
                              width=self.width_spin.value(), dpi=self.dpi_spin.value(),
                              resize=self.resize_box.isChecked(), quality=self.quality_spin.value())
        super().done(result)


def ask_export_options(parent: QWidget | None, picture_wh: tuple[int, int], fmt: str, file_name: str = "",
                       render_limit: int | None = None, can_queue: bool = False) -> ExportChoice | None:
    """Show the dialog; the artist's choice, or None if cancelled."""
    dialog = ExportOptionsDialog(picture_wh, fmt, file_name, render_limit, parent, can_queue=can_queue)
    return dialog.choice() if dialog.exec() == QDialog.DialogCode.Accepted else None
