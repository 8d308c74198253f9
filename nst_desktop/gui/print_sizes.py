"""Print sizes next to the Output size control: A4 and A3 at 300 dpi, and the largest size
this computer's free memory allows.

Sizes above what one VGG pass fits in memory are rendered in tiles (engine.run.tiled_pass), so the
limit is no longer the network but the image-sized state of a run, above all L-BFGS's
history (engine.spec.tile_plan.max_long_side). The largest size is worked out when the menu opens:
free memory changes while the app runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from nst_desktop.engine.spec import tile_plan
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.schedule import SIZE_LIMIT, brush_style_scale  # the size box's maximum
from nst_desktop.io.print_size import DEFAULT_DPI, PAPER_SIZES, paper_px

DPI = DEFAULT_DPI


@dataclass(frozen=True)
class PrintSize:
    """An ISO paper size at :data:`DPI`, in pixels (the long side is what the size control takes)."""

    name: str
    long_px: int
    short_px: int

    @property
    def label(self) -> str:
        return f"{self.name} at {DPI} dpi: {self.long_px} × {self.short_px} px"


# From the one table of paper sizes (io.print_size): A4 is 3508 x 2480 px at 300 dpi.
PRINT_SIZES = tuple(PrintSize(name, *paper_px(name, DPI)) for name in PAPER_SIZES)


def auto_max_size(params: Params, n_styles: int = 1, aspect: float = 1.0,
                  free_bytes: int | None = None) -> int:
    """The largest output long side a run of ``params`` fits into the free memory, at most the
    size control's maximum. ``aspect`` (long / short side) defaults to a square photo, the
    most pixels for a long side, so the answer is safe for any photo."""
    fits = tile_plan.max_long_side(aspect, params.lbfgs_history, params.optimizer, n_styles,
                                   brush_style_scale(params), free_bytes)
    return max(int(Params.__dataclass_fields__["size"].metadata["min"]), min(SIZE_LIMIT, fits))


class PrintSizeButton(QToolButton):
    """A "Print ▾" button whose menu sets the output size; ``sizeChosen(long_side)``."""

    sizeChosen = Signal(int)

    def __init__(self, params: Callable[[], Params], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("printSizeButton")
        self.setText("Print")
        self.setToolTip("Output sizes for prints, and the largest size this computer's free memory allows.")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._params = params
        menu = QMenu(self)
        menu.aboutToShow.connect(self.refresh)
        self.setMenu(menu)
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the menu with the free memory of now."""
        menu = self.menu()
        menu.clear()
        largest = auto_max_size(self._params())
        for size in PRINT_SIZES:
            action = menu.addAction(size.label)
            if size.long_px > largest:
                action.setText(size.label + " (more than the free memory allows)")
                action.setToolTip("Close other programs, lower the L-BFGS history or choose Adam.")
            action.triggered.connect(lambda _=False, n=size.long_px: self.sizeChosen.emit(n))
        menu.addSeparator()
        auto = menu.addAction(f"Largest that fits in free memory: {largest} px")
        auto.setObjectName("autoMaxSize")
        auto.triggered.connect(lambda _=False, n=largest: self.sizeChosen.emit(n))


class _Panel(Protocol):  # the part of ParamsPanel used here (importing it would be circular)
    @property
    def controls(self) -> Mapping[str, QWidget]: ...

    def params(self) -> Params: ...

    def update_fields(self, **changes: Any) -> bool: ...


def attach_print_sizes(panel: _Panel) -> PrintSizeButton:
    """Put a :class:`PrintSizeButton` beside the panel's Output size spin box."""
    control = panel.controls["size"]
    button = PrintSizeButton(panel.params, control)
    layout = control.layout()
    assert layout is not None
    layout.addWidget(button)
    button.sizeChosen.connect(lambda n: panel.update_fields(size=n))
    return button
