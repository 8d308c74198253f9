"""``render --print A4|A3 --dpi N``: a print's size and resolution (issue 20.5).

``--dpi N`` writes N dpi into the output (PNG pHYs, JPEG JFIF density, TIFF XResolution, WebP
EXIF); without it a file is tagged as before (72 dpi, none in a PNG). ``--print A4`` paints the
long side that paper needs at ``--dpi`` (300 unless given) for the photo's aspect, unless
``--size`` is given, and writes the resolution that prints the picture's pixels on that paper:
a smaller ``--size`` is said, in one line, with the pixels the print needs. The arithmetic is
``io.print_size``'s, the one the window's Export uses.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.schedule import SIZE_LIMIT
from nst_desktop.io.print_size import DEFAULT_DPI, PAPER_SIZES, PrintTarget, dpi_problem, plan_print
from nst_desktop.recipe.recipe import Recipe

TILES_HELP = (
    "Big outputs are painted in tiles: a size whose network pass does not fit in memory (over "
    "about 2048 px on a 24 GB computer; A4 at 300 dpi is 3508 px) is cut into tiles with halos, "
    "two passes a step, and paints the same picture. A tiled step does about 1.8-2.6x the work per "
    "pixel of an untiled one, and the pixels grow with the square of the size: a 2048 px step "
    "took 21-24 s on a 2-core CPU, and a whole print-size render takes hours on a CPU "
    "(benchmarks/RESULTS.md, 'Print sizes by tiling'). Render full size in the app goes on from a "
    "quick look, paying only for the larger scales."
)


def add_print_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("print size", TILES_HELP)
    group.add_argument("--print", dest="print_paper", choices=tuple(PAPER_SIZES), metavar="{A4,A3}",
                       help=f"size the output for this paper at --dpi ({DEFAULT_DPI} unless given), the "
                            "picture fitted and turned to the photo's aspect, unless --size is given; "
                            "writes the dpi that prints it on that paper")
    group.add_argument("--dpi", type=float, metavar="N",
                       help="print resolution written into the output file (PNG, JPEG, TIFF, WebP); "
                            "with --print, the resolution the print needs")


@dataclass(frozen=True)
class PrintOptions:
    """``--print`` and ``--dpi`` as given (None: not given)."""

    paper: str | None = None
    dpi: float | None = None

    def target(self) -> PrintTarget | None:
        if self.paper is None:
            return None
        return PrintTarget(self.paper, dpi=self.dpi if self.dpi is not None else DEFAULT_DPI)

    def sized(self, recipe: Recipe, photo_wh: Callable[[str], tuple[int, int]], size_given: bool) -> Recipe:
        """``recipe`` painted at the paper's long side, unless ``--size`` was given."""
        target = self.target()
        if target is None or size_given:
            return recipe
        long_side = plan_print(photo_wh(recipe.photo), target).needed_long_side
        if long_side > SIZE_LIMIT:
            raise ParamsError(f"--print {target.paper} at {target.dpi:g} dpi needs {long_side} px, more than "
                              f"the largest output size ({SIZE_LIMIT} px).",
                              "Give a lower --dpi or a smaller paper.")
        return recipe.with_params(recipe.params.with_changes(size=long_side))

    def output_dpi(self, picture_wh: tuple[int, int]) -> float | None:
        """The resolution written into a picture of ``picture_wh`` (None: the format's default)."""
        target = self.target()
        return self.dpi if target is None else plan_print(picture_wh, target).dpi

    def shortfall(self, picture_wh: tuple[int, int]) -> str:
        """The line telling that the picture has fewer pixels than the print needs ("" if enough)."""
        target = self.target()
        if target is None:
            return ""
        plan = plan_print(picture_wh, target)
        return "" if plan.enough else plan.summary()


def print_options(ns: argparse.Namespace) -> PrintOptions:
    """``--print`` and ``--dpi``, checked (one line for a resolution no print has)."""
    dpi = getattr(ns, "dpi", None)
    if dpi is not None and dpi_problem(dpi):
        raise ParamsError(f"--dpi: {dpi_problem(dpi)}.")
    return PrintOptions(getattr(ns, "print_paper", None), dpi)
