"""``render --mask FILE --region ... --unpainted ...``: paint each region with its own style.

Regions are numbered as in the mask file (1..8; 0 is unpainted), styles by their position
on the command line from 0 (the first STYLE after CONTENT is style 0). A region is given as

    --region REGION=STYLE[:WEIGHT][,STYLE[:WEIGHT]...][@STRENGTH]

e.g. ``--region 1=0,1:3@1.5``: region 1 blends style 0 (weight 1) and style 1 (weight 3),
at 1.5 times the style strength. A painted region with no ``--region`` takes style
REGION - 1. ``--unpainted keep`` (the default) keeps the photo where nothing is painted,
``--unpainted style:N`` paints style N there. Every mistake is one line (ParamsError or the
ImageError of the mask file), raised before torch is imported.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.region_masks import (
    DEFAULT_FEATHER_PX,
    MAX_STRENGTH,
    MaskSettings,
    Region,
    RegionMask,
    UnpaintedMode,
    check_fit,
    default_settings,
)

REGION_SYNTAX = "REGION=STYLE[:WEIGHT][,STYLE[:WEIGHT]...][@STRENGTH], e.g. 1=0,1:3@1.5"
_NUMBER = r"\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+"
_ITEM = re.compile(rf"^(\d+)(?::({_NUMBER}))?$")
_UNPAINTED = re.compile(r"^(keep|keep_photo|style:(\d+))$")


def add_mask_options(parser: argparse.ArgumentParser) -> None:
    """The mask options of ``render``, in their own help group."""
    group = parser.add_argument_group(
        "painted regions", "Give each painted region of a mask its own style (styles numbered from 0).")
    group.add_argument("--mask", type=Path, metavar="FILE",
                       help="indexed or grey PNG, one value per region (0 = unpainted, 1..8 = regions)")
    group.add_argument("--region", action="append", default=[], metavar="SPEC",
                       help=f"a region's style(s) and strength: {REGION_SYNTAX}; repeat for each region")
    group.add_argument("--unpainted", metavar="keep|style:N",
                       help="where nothing is painted: keep the photo (default) or paint style N")
    group.add_argument("--feather", type=float, metavar="PX",
                       help=f"soften region borders over PX photo pixels. Default: {DEFAULT_FEATHER_PX:g}.")


def parse_region(text: str) -> Region:
    """One ``--region`` value; ParamsError naming it and the syntax if it is malformed."""
    def bad(why: str) -> ParamsError:
        return ParamsError(f"--region {text!r}: {why}; expected {REGION_SYNTAX}.")

    head, sep, body = text.strip().partition("=")
    if not sep or not head.strip().isdigit():
        raise bad("no region number before '='")
    body, at, strength_text = body.partition("@")
    strength = 1.0
    if at:
        if not re.fullmatch(_NUMBER, strength_text.strip()):
            raise bad(f"the strength {strength_text!r} is not a number from 0 to {MAX_STRENGTH:g}")
        strength = float(strength_text)
    styles: list[int] = []
    weights: list[float] = []
    for item in body.split(","):
        match = _ITEM.match(item.strip())
        if match is None:
            raise bad(f"{item.strip()!r} is not STYLE or STYLE:WEIGHT")
        styles.append(int(match.group(1)))
        weights.append(float(match.group(2)) if match.group(2) else 1.0)
    try:
        return Region(int(head), tuple(styles), tuple(weights), strength)
    except ParamsError as exc:
        raise ParamsError(f"--region {text!r}: {exc.message}") from exc


def parse_unpainted(text: str) -> tuple[UnpaintedMode, int]:
    """``keep`` -> ("keep_photo", 0); ``style:N`` -> ("style", N)."""
    match = _UNPAINTED.match(text.strip())
    if match is None:
        raise ParamsError(f"--unpainted {text!r}: expected keep or style:N (N = a style number from 0).")
    return ("style", int(match.group(2))) if match.group(2) else ("keep_photo", 0)


@dataclass(frozen=True)
class MaskOptions:
    """What ``--mask``, ``--region``, ``--unpainted`` and ``--feather`` said (cli.recipe_options)."""

    file: Path | None = None
    regions: tuple[str, ...] = ()
    unpainted: str | None = None
    feather: float | None = None

    def given_without_mask(self) -> list[str]:
        named = {"--region": bool(self.regions), "--unpainted": self.unpainted is not None,
                 "--feather": self.feather is not None}
        return [name for name, given in named.items() if given]


def mask_settings(options: MaskOptions, base: MaskSettings | None = None) -> MaskSettings:
    """The options as settings on top of ``base`` (a ``--params`` file's): given ones win."""
    start = base or MaskSettings()
    regions = {r.index: r for r in start.regions}
    given: set[int] = set()
    for text in options.regions:
        region = parse_region(text)
        if region.index in given:
            raise ParamsError(f"--region {region.index} is given twice.")
        given.add(region.index)
        regions[region.index] = region
    unpainted, style = (parse_unpainted(options.unpainted) if options.unpainted is not None
                        else (start.unpainted, start.unpainted_style))
    feather = options.feather if options.feather is not None else start.feather_px
    return MaskSettings(tuple(regions.values()), unpainted, style, feather)


def resolve_mask(options: MaskOptions, n_styles: int, photo_hw: tuple[int, int],
                 note: Callable[[str], None], base: RegionMask | None = None) -> RegionMask | None:
    """The run's mask at ``photo_hw`` (height, width), checked against ``n_styles`` and the
    photo's shape (what the engine would refuse, refused here before torch's import); None
    without one.

    ``note`` receives what the user should know (a mask stretched to the photo's size).
    ``base``: a ``--params`` record's mask (recipe.recipe.from_record), whose settings the
    options change, and whose pixels are used unless ``--mask`` gives others.
    """
    if options.file is not None:
        from nst_desktop.io.masks import load_mask  # Pillow: only when a mask is asked for

        loaded = load_mask(options.file, photo_hw)
        labels = loaded.labels
        if loaded.note:
            note(loaded.note)
    elif base is not None:
        labels = base.labels
    else:
        extra = options.given_without_mask()
        if extra:
            raise ParamsError(f"{', '.join(extra)} need{'s' if len(extra) == 1 else ''} --mask FILE.")
        return None
    given = mask_settings(options, base.settings if base is not None else None)
    mask = RegionMask(labels, default_settings(labels, n_styles, given))
    check_fit(mask, n_styles, photo_hw)
    return mask

