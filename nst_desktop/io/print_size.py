"""Print sizes: the one table of paper sizes and the arithmetic from a physical size to pixels.

No Qt, no torch: the export dialog (``gui.export_dialog``), the Print button beside Output size
(``gui.print_sizes``) and ``nst-desktop render --print/--dpi`` all ask this module.

A picture is printed whole, its aspect kept: on a paper size it is fitted inside the sheet,
turned to follow the picture (a wide picture prints landscape); with a width, its height follows
from the picture's aspect. Exporting keeps the picture's pixels and writes the resolution that
makes them print at that size (a 1024 px picture on A4 is tagged 88 dpi, not stretched), unless the
artist asks for the print's pixel size; pixels are then only ever taken away (a smaller print),
never invented: a picture too small for the print is said so, and can be painted at its size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

MM_PER_INCH = 25.4
CM_PER_INCH = 2.54
DEFAULT_DPI = 300
MIN_DPI, MAX_DPI = 10, 2400  # below 10 dpi nothing prints as a picture; above 2400 no printer resolves it

PAPER_SIZES: dict[str, tuple[float, float]] = {"A4": (297.0, 210.0), "A3": (420.0, 297.0)}
"""ISO paper, (long, short) side in millimetres: the one table (the Print button reads it too)."""

Unit = Literal["cm", "in"]
UNITS: tuple[Unit, ...] = ("cm", "in")


def mm_to_px(mm: float, dpi: float) -> int:
    """Whole pixels for ``mm`` at ``dpi``: A4's 297 mm at 300 dpi is 3508 px."""
    return round(mm / MM_PER_INCH * dpi)


def paper_px(name: str, dpi: float = DEFAULT_DPI) -> tuple[int, int]:
    """(long, short) side of paper ``name`` in pixels at ``dpi``."""
    long_mm, short_mm = PAPER_SIZES[name]
    return mm_to_px(long_mm, dpi), mm_to_px(short_mm, dpi)


def to_inches(length: float, unit: Unit) -> float:
    return length / CM_PER_INCH if unit == "cm" else length


@dataclass(frozen=True)
class PrintTarget:
    """Where the picture is printed: on paper ``paper`` (fitted, turned to follow the picture) or
    ``width`` wide in ``unit``; ``dpi`` the resolution the artist wants."""

    paper: str | None = "A4"
    width: float = 0.0
    unit: Unit = "cm"
    dpi: float = DEFAULT_DPI

    def inches(self, picture_wh: tuple[int, int]) -> tuple[float, float]:
        """(width, height) of the printed picture in inches, its aspect the picture's."""
        width_px, height_px = picture_wh
        if self.paper is None:
            width_in = to_inches(self.width, self.unit)
            return width_in, width_in * height_px / width_px
        long_in, short_in = (side / MM_PER_INCH for side in PAPER_SIZES[self.paper])
        sheet = (long_in, short_in) if width_px >= height_px else (short_in, long_in)
        scale = min(sheet[0] / width_px, sheet[1] / height_px)  # inches per pixel: the whole picture fits
        return width_px * scale, height_px * scale

    def label(self) -> str:
        """"A4", "20 cm wide"."""
        return self.paper if self.paper is not None else f"{self.width:g} {self.unit} wide"


@dataclass(frozen=True)
class PrintPlan:
    """What exporting ``picture_wh`` for ``target`` gives: see :func:`plan_print`."""

    target: PrintTarget
    picture_wh: tuple[int, int]
    print_in: tuple[float, float]  # the printed picture, inches
    needed_wh: tuple[int, int]  # its pixels at the target's dpi
    resize: bool  # the artist asked for the print's pixel size (a downscale only)

    @property
    def enough(self) -> bool:
        """The picture has the pixels the print needs at its dpi (compared on the long side:
        both have the picture's aspect, the short side differs only by rounding)."""
        return max(self.picture_wh) >= max(self.needed_wh)

    @property
    def output_wh(self) -> tuple[int, int]:
        """The pixel size written: the print's when asked for and the picture has more, else its own."""
        return self.needed_wh if self.resize and self.enough else self.picture_wh

    @property
    def dpi(self) -> float:
        """The resolution written, so that the pixels written print at the target's size."""
        return self.output_wh[0] / self.print_in[0]

    @property
    def needed_long_side(self) -> int:
        """The long side to paint for the print (the Output size of "Render at print size")."""
        return max(self.needed_wh)

    def summary(self) -> str:
        """One line: the print's size and resolution, and what a too small picture lacks."""
        target = self.target
        per_inch = 1.0 if target.paper is None and target.unit == "in" else CM_PER_INCH  # the artist's unit
        width, height = (side * per_inch for side in self.print_in)
        size = f"{width:.1f} × {height:.1f} {'in' if per_inch == 1.0 else 'cm'}"
        pw, ph = self.picture_wh
        if not self.enough:
            nw, nh = self.needed_wh
            return (f"{pw} × {ph} px prints at {self.dpi:.0f} dpi on {target.label()} ({size}); "
                    f"{target.dpi:g} dpi needs {nw} × {nh} px.")
        ow, oh = self.output_wh
        return f"{ow} × {oh} px print at {self.dpi:.0f} dpi: {size}."


def plan_print(picture_wh: tuple[int, int], target: PrintTarget, resize: bool = False) -> PrintPlan:
    """The print of a ``picture_wh`` (width, height) picture at ``target``; ``resize``: write the
    print's pixel size (taken only when the picture has more pixels; never enlarged)."""
    if min(picture_wh) < 1:
        raise ValueError(f"a picture has at least one pixel a side, got {picture_wh}")
    print_in = target.inches(picture_wh)
    needed = (max(1, round(print_in[0] * target.dpi)), max(1, round(print_in[1] * target.dpi)))
    return PrintPlan(target, picture_wh, print_in, needed, resize)


def dpi_problem(dpi: float) -> str:
    """Why ``dpi`` cannot be written ("" when it can)."""
    if not math.isfinite(dpi) or not MIN_DPI <= dpi <= MAX_DPI:
        return f"the resolution must be {MIN_DPI} to {MAX_DPI} dpi, not {dpi:g}"
    return ""
