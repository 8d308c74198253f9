"""Region masks: where each style goes (Gatys et al. 2017, spatial control).

NumPy only (no torch): the GUI builds these while the artist paints and the CLI checks
them before torch is imported. The engine side (masked Gram matrices) is in
:mod:`nst_desktop.engine.losses.masked_loss`.

* A *label image* is ``uint8 (H, W)`` at the photo's size: 0 = unpainted, 1..N = regions.
* :class:`Region` says what one region becomes: one painting or a blend (style indices
  into the run's styles, with blend weights) and a strength (1 = the run's style weight).
* :class:`MaskSettings` holds the regions, what happens where nothing is painted ("keep
  the photo" or one chosen style) and the feather width. It is what the params JSON
  carries (``to_dict``/``from_dict``); the pixels themselves live in a PNG
  (:mod:`nst_desktop.io.masks`).
* :func:`soft_masks` turns a label image into one float channel per region on a layer's
  grid, with feathered edges that sum to 1 everywhere, so a border has neither a seam
  (two hard halves) nor a halo (a band where the weights dip or overlap).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from nst_desktop.engine.spec.errors import ParamsError

MAX_REGIONS = 8  # colours an artist can tell apart on the overlay; the uint8 format allows far more
MAX_STRENGTH = 10.0
DEFAULT_FEATHER_PX = 8.0  # in photo pixels: a soft brush edge at 512 px without blurring small shapes
MAX_FEATHER_PX = 256.0

UnpaintedMode = Literal["keep_photo", "style"]
UNPAINTED_MODES: tuple[UnpaintedMode, ...] = ("keep_photo", "style")

#: Overlay colours of regions 1..MAX_REGIONS (index 0 is the unpainted area, never drawn).
REGION_COLOURS: tuple[str, ...] = (
    "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45",
)

LabelImage = npt.NDArray[np.uint8]
SoftMasks = npt.NDArray[np.float32]


def default_colour(index: int) -> str:
    return REGION_COLOURS[(index - 1) % len(REGION_COLOURS)]


def _number(value: Any, what: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ParamsError(f"Invalid {what}: {value!r} is not a number.")
    if not low <= value <= high:
        raise ParamsError(f"Invalid {what}: {value:g} is not between {low:g} and {high:g}.")
    return float(value)


@dataclass(frozen=True)
class Region:
    """What region ``index`` (1..MAX_REGIONS) becomes: styles blended by ``weights``, at ``strength``."""

    index: int
    styles: tuple[int, ...]
    weights: tuple[float, ...] = ()  # empty: equal shares
    strength: float = 1.0
    colour: str = ""  # "#rrggbb" on the overlay; empty: the index's default colour

    def __post_init__(self) -> None:
        index = self.index
        if isinstance(index, bool) or not isinstance(index, int) or not 1 <= index <= MAX_REGIONS:
            raise ParamsError(f"Invalid region {self.index!r}: regions are numbered 1 to {MAX_REGIONS}.")
        styles = tuple(self.styles)
        if not styles or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in styles):
            raise ParamsError(f"Region {self.index}: give one or more style numbers (0 is the first style).")
        if len(set(styles)) != len(styles):
            raise ParamsError(f"Region {self.index}: a style is named twice.")
        weights = tuple(self.weights) or (1.0,) * len(styles)
        if len(weights) != len(styles):
            raise ParamsError(f"Region {self.index}: {len(styles)} styles but {len(weights)} blend weights.")
        weights = tuple(_number(w, f"blend weight of region {self.index}", 0.0, 1e6) for w in weights)
        if sum(weights) <= 0:
            raise ParamsError(f"Region {self.index}: the blend weights are all zero.")
        object.__setattr__(self, "styles", styles)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "strength",
                           _number(self.strength, f"strength of region {self.index}", 0.0, MAX_STRENGTH))
        object.__setattr__(self, "colour", self.colour or default_colour(self.index))

    def blend(self) -> tuple[tuple[int, float], ...]:
        """(style index, share) pairs; shares sum to 1 and zero shares are left out."""
        total = sum(self.weights)
        return tuple((s, w / total) for s, w in zip(self.styles, self.weights, strict=True) if w > 0)

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "styles": list(self.styles), "weights": list(self.weights),
                "strength": self.strength, "colour": self.colour}

    @classmethod
    def from_dict(cls, data: Any) -> Region:
        if not isinstance(data, dict):
            raise ParamsError(f"A mask region is not a JSON object ({type(data).__name__}).")
        known = {k: data[k] for k in ("index", "styles", "weights", "strength", "colour") if k in data}
        for key in ("styles", "weights"):
            if key in known:
                if not isinstance(known[key], list):
                    raise ParamsError(f"Invalid mask region '{key}': {known[key]!r} is not a list.")
                known[key] = tuple(known[key])
        if "index" not in known or "styles" not in known:
            raise ParamsError("A mask region needs an 'index' and its 'styles'.")
        return cls(**known)


@dataclass(frozen=True)
class MaskSettings:
    """Everything about a mask except its pixels; carried in the params JSON."""

    regions: tuple[Region, ...] = ()
    unpainted: UnpaintedMode = "keep_photo"
    unpainted_style: int = 0  # the style (index) painted where nothing is painted, in "style" mode
    feather_px: float = DEFAULT_FEATHER_PX

    def __post_init__(self) -> None:
        regions = tuple(sorted(self.regions, key=lambda r: r.index))
        if len({r.index for r in regions}) != len(regions):
            raise ParamsError("A mask region is given twice.")
        if self.unpainted not in UNPAINTED_MODES:
            raise ParamsError(f"Invalid 'where nothing is painted' {self.unpainted!r}: "
                              "choose keep_photo or style.")
        style = self.unpainted_style
        if isinstance(style, bool) or not isinstance(style, int) or style < 0:
            raise ParamsError(f"Invalid style for the unpainted area: {style!r}.")
        object.__setattr__(self, "regions", regions)
        object.__setattr__(self, "feather_px", _number(self.feather_px, "mask feather", 0.0, MAX_FEATHER_PX))

    def region(self, index: int) -> Region | None:
        return next((r for r in self.regions if r.index == index), None)

    def styled_regions(self) -> tuple[Region, ...]:
        """The regions that get a style loss, the unpainted area as region 0 in "style" mode."""
        if self.unpainted == "style":
            return (_unpainted_region(self.unpainted_style), *self.regions)
        return self.regions

    def to_dict(self) -> dict[str, Any]:
        return {"regions": [r.to_dict() for r in self.regions], "unpainted": self.unpainted,
                "unpainted_style": self.unpainted_style, "feather_px": self.feather_px}

    @classmethod
    def from_dict(cls, data: Any) -> MaskSettings:
        """Forgiving about versions (unknown keys ignored), strict about nonsense (ParamsError)."""
        if not isinstance(data, dict):
            raise ParamsError(f"The mask settings are not a JSON object ({type(data).__name__}).")
        known = {k: data[k] for k in ("unpainted", "unpainted_style", "feather_px") if k in data}
        raw = data.get("regions", [])
        if not isinstance(raw, list):
            raise ParamsError("The mask 'regions' are not a list.")
        return cls(regions=tuple(Region.from_dict(r) for r in raw), **known)


def _unpainted_region(style: int) -> Region:
    """The unpainted area as a pseudo-region with label 0 (bypasses the 1..N check on purpose)."""
    region = object.__new__(Region)
    for name, value in (("index", 0), ("styles", (style,)), ("weights", (1.0,)), ("strength", 1.0),
                        ("colour", "#000000")):
        object.__setattr__(region, name, value)
    return region


@dataclass(frozen=True)
class RegionMask:
    """A label image at the photo's size with its settings: the whole mask input of a run."""

    labels: LabelImage
    settings: MaskSettings = field(default_factory=MaskSettings)

    @property
    def hw(self) -> tuple[int, int]:
        return int(self.labels.shape[0]), int(self.labels.shape[1])

    def painted_labels(self) -> tuple[int, ...]:
        """The region numbers that occur in the image (0 excluded), ascending."""
        return painted_labels(self.labels)


def painted_labels(labels: LabelImage) -> tuple[int, ...]:
    """The region numbers that occur in ``labels`` (0 excluded), ascending."""
    return tuple(int(v) for v in np.unique(labels) if v != 0)


def check_labels(labels: Any) -> LabelImage:
    """``labels`` as a contiguous uint8 (H, W) array; ParamsError if it cannot be one."""
    array = np.asarray(labels)
    if array.ndim != 2 or min(array.shape) < 1:
        raise ParamsError(f"A mask must be a single-channel image, not an array of shape {array.shape}.")
    if array.dtype != np.uint8:
        if not np.issubdtype(array.dtype, np.integer) or array.min() < 0 or array.max() > 255:
            raise ParamsError("A mask must hold whole numbers from 0 to 255.")
        array = array.astype(np.uint8)
    return np.ascontiguousarray(array)


def default_settings(labels: LabelImage, n_styles: int, given: MaskSettings | None = None) -> MaskSettings:
    """``given`` with a region for every painted label it leaves out: region k takes style k - 1.

    Refused (ParamsError) when that needs a style that does not exist, which is the "more
    regions than styles" case of a mask file given without region assignments.
    """
    base = given or MaskSettings()
    present = RegionMask(labels).painted_labels()
    missing = [k for k in present if base.region(k) is None]
    if missing and max(missing) > n_styles:
        raise ParamsError(f"The mask has {len(present)} regions but only {n_styles} "
                          f"style{'s' if n_styles != 1 else ''}: give region {max(missing)} a style "
                          f"(e.g. --region {max(missing)}=0) or add a style image.")
    added = tuple(Region(k, (k - 1,)) for k in missing)
    return MaskSettings(base.regions + added, base.unpainted, base.unpainted_style, base.feather_px)


def validate(mask: RegionMask, n_styles: int) -> None:
    """ParamsError (one line) for a mask a run cannot use with ``n_styles`` style images."""
    labels = check_labels(mask.labels)
    settings = mask.settings
    present = set(RegionMask(labels).painted_labels())
    if max(present, default=0) > MAX_REGIONS:
        raise ParamsError(f"The mask has region {max(present)}; at most {MAX_REGIONS} regions are supported.")
    unassigned = sorted(k for k in present if settings.region(k) is None)
    if unassigned:
        raise ParamsError(f"Region {unassigned[0]} is painted but has no style.")
    for region in settings.regions:
        if region.index not in present:
            raise ParamsError(f"Region {region.index} is empty: paint some of it or remove it.")
        if max(region.styles) >= n_styles:
            raise ParamsError(f"Region {region.index} asks for style {max(region.styles)}, but there "
                              f"{'is' if n_styles == 1 else 'are'} only {n_styles} (numbered from 0).")
    if settings.unpainted == "style" and settings.unpainted_style >= n_styles:
        raise ParamsError(f"The unpainted area asks for style {settings.unpainted_style}, but there "
                          f"{'is' if n_styles == 1 else 'are'} only {n_styles} (numbered from 0).")
    if not present and settings.unpainted == "keep_photo":
        raise ParamsError("Nothing is painted on the mask, and the unpainted area keeps the photo: "
                          "there is nowhere to put a style.")


#: How far a mask's aspect ratio may differ from the photo's (it is stretched to each grid).
ASPECT_TOLERANCE = 0.02


def check_fit(mask: RegionMask, n_styles: int, content_hw: tuple[int, int]) -> None:
    """ParamsError (one line) for a mask a run on this photo cannot use. Torch-free, so the CLI
    refuses before torch's import what the engine would refuse after it (engine.run.stylize)."""
    validate(mask, n_styles)
    (mh, mw), (ch, cw) = mask.hw, content_hw
    if abs((mw / mh) / (cw / ch) - 1.0) > ASPECT_TOLERANCE:
        raise ParamsError(f"The mask is {mw}x{mh} but the photo is {cw}x{ch}: "
                          "paint the mask on this photo (or one of its shape).")


# --- soft masks on a layer grid ------------------------------------------------------------


def _area_matrix(src: int, dst: int) -> npt.NDArray[np.float64]:
    """(dst, src) matrix averaging the source cells each destination cell covers (box filter):
    a cell half on a border gets half of each side, so coverage survives the shrink."""
    edges = np.linspace(0.0, src, dst + 1)
    starts, ends = edges[:-1, None], edges[1:, None]
    cells = np.arange(src)[None, :]
    overlap = np.clip(np.minimum(ends, cells + 1) - np.maximum(starts, cells), 0.0, None)
    out: npt.NDArray[np.float64] = overlap / overlap.sum(axis=1, keepdims=True)
    return out


def _blur_matrix(n: int, sigma: float) -> npt.NDArray[np.float64]:
    """(n, n) Gaussian blur with rows renormalised at the image edges (no darkening there)."""
    if sigma < 1e-3:
        return np.eye(n)
    positions = np.arange(n, dtype=np.float64)
    kernel = np.exp(-0.5 * ((positions[:, None] - positions[None, :]) / sigma) ** 2)
    out: npt.NDArray[np.float64] = kernel / kernel.sum(axis=1, keepdims=True)
    return out


def soft_masks(labels: LabelImage, hw: tuple[int, int], feather_px: float,
               channels: int | None = None) -> SoftMasks:
    """Float32 ``(channels, h, w)`` region weights on an ``hw`` grid; channel k is label k.

    Each one-hot channel is area-averaged onto the grid and blurred with a Gaussian of
    ``feather_px`` photo pixels (scaled to the grid). Both steps are linear with rows that
    sum to 1, so the channels still sum to 1 at every position: the weights cross over
    smoothly at a border, never dip (a halo of no style) nor overlap (a halo of double
    style). ``channels`` defaults to max label + 1.
    """
    labels = check_labels(labels)
    big_h, big_w = labels.shape
    h, w = hw
    count = channels if channels is not None else int(labels.max()) + 1
    rows = _blur_matrix(h, feather_px * h / big_h) @ _area_matrix(big_h, h)
    cols = _blur_matrix(w, feather_px * w / big_w) @ _area_matrix(big_w, w)
    out = np.empty((count, h, w), dtype=np.float32)
    for k in range(count):
        onehot = (labels == k).astype(np.float64)
        out[k] = rows @ onehot @ cols.T
    total = out.sum(axis=0, keepdims=True)
    np.divide(out, np.maximum(total, np.float32(1e-12)), out=out)  # exact sum 1 despite rounding
    return out
