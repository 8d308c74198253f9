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
from pathlib import Path
from typing import Any

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


def mask_settings(ns: argparse.Namespace, base: MaskSettings | None = None) -> MaskSettings:
    """The options as settings on top of ``base`` (a ``--params`` file's): given ones win."""
    start = base or MaskSettings()
    regions = {r.index: r for r in start.regions}
    given: set[int] = set()
    for text in ns.region:
        region = parse_region(text)
        if region.index in given:
            raise ParamsError(f"--region {region.index} is given twice.")
        given.add(region.index)
        regions[region.index] = region
    unpainted, style = (parse_unpainted(ns.unpainted) if ns.unpainted is not None
                        else (start.unpainted, start.unpainted_style))
    feather = ns.feather if ns.feather is not None else start.feather_px
    return MaskSettings(tuple(regions.values()), unpainted, style, feather)


def _given_without_mask(ns: argparse.Namespace) -> list[str]:
    named = {"--region": bool(ns.region), "--unpainted": ns.unpainted is not None,
             "--feather": ns.feather is not None}
    return [name for name, given in named.items() if given]


def resolve_mask(ns: argparse.Namespace, n_styles: int, photo_hw: tuple[int, int],
                 note: Callable[[str], None], base: MaskSettings | None = None,
                 base_file: Path | None = None, base_embedded: Any = None) -> RegionMask | None:
    """The run's mask at ``photo_hw`` (height, width), checked against ``n_styles`` and the
    photo's shape (what the engine would refuse, refused here before torch's import); None
    without one.

    ``note`` receives what the user should know (a mask stretched to the photo's size).
    ``base`` and its pixels (``base_embedded``, a mask in the record, or else ``base_file``)
    are a ``--params`` file's mask, used when ``--mask`` is not given.
    """
    from nst_desktop.io.masks import embedded_labels, load_mask  # Pillow: only when a mask is asked for

    file: Path | None = ns.mask if ns.mask is not None else None if base_embedded is not None else base_file
    if file is not None:
        loaded = load_mask(file, photo_hw)
    elif base_embedded is not None:
        loaded = embedded_labels(base_embedded, photo_hw)
    else:
        extra = _given_without_mask(ns)
        if extra:
            raise ParamsError(f"{', '.join(extra)} need{'s' if len(extra) == 1 else ''} --mask FILE.")
        return None
    if loaded.note:
        note(loaded.note)
    settings = default_settings(loaded.labels, n_styles, mask_settings(ns, base))
    mask = RegionMask(loaded.labels, settings)
    check_fit(mask, n_styles, photo_hw)
    return mask



def mask_record(mask: RegionMask, file: Path) -> dict[str, Any]:
    """io.masks.mask_record, imported when asked for (Pillow stays out of the CLI's start)."""
    from nst_desktop.io.masks import mask_record as record

    return record(mask, file)
