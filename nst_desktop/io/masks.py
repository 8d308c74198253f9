"""Mask PNGs: read a region mask an artist made elsewhere, write the one a run used.

How a file's pixels become regions (0 = unpainted, 1..N = regions):

* **Indexed (palette) PNG**: the palette index *is* the region (index 0 = unpainted). This is
  what :func:`save_mask` writes, with the overlay colours as the palette, so the file looks
  like the app's overlay in any viewer.
* **Grey PNG** (8 or 16 bit; also a colour PNG whose pixels are all grey): if every value is
  at most ``MAX_REGIONS`` the value is the region (a mask written by a script: 0, 1, 2...).
  Otherwise the distinct grey levels, darkest first, become 0, 1, 2... (black and white:
  black unpainted, white region 1; black, grey, white: unpainted, region 1, region 2).
  More than ``MAX_REGIONS + 1`` levels is refused: an anti-aliased or photographic image is
  not a mask.
* A transparent pixel (alpha 0) is unpainted, whatever its value.

A mask of another size than the photo is stretched to it (nearest neighbour, so no new
labels appear at borders) and a note says so, for the CLI's stderr or the status bar.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from nst_desktop.engine.spec.errors import ImageError, ParamsError
from nst_desktop.engine.spec.live import MASK, MASK_REPAINTED, Edit
from nst_desktop.engine.spec.region_masks import (
    MAX_REGIONS,
    LabelImage,
    MaskSettings,
    RegionMask,
    check_labels,
    default_colour,
)
from nst_desktop.io.atomic import atomic_write
from nst_desktop.io.decoding import check_regular_file, check_size, decoding

MASK_SUFFIX = ".mask.png"
MASK_KEY = "mask"  # a record's key: the settings and the PNG's file name, beside the picture
MAX_MASK_PIXELS = 100_000_000  # the photo limit: a mask is never larger than the photo it covers


@dataclass(frozen=True)
class LoadedMask:
    labels: LabelImage  # uint8 (H, W) at the requested size
    note: str | None = None  # what was done to the file to make it fit, for the user


def mask_path_for(output: str | os.PathLike[str]) -> Path:
    """``painting.png`` -> ``painting.mask.png``: the mask saved beside an output."""
    file = Path(output)
    return file.with_name(file.stem + MASK_SUFFIX)


def load_mask(path: str | os.PathLike[str], hw: tuple[int, int] | None = None) -> LoadedMask:
    """Region labels from a PNG (see the module doc), stretched to ``hw`` (height, width) if given.

    Raises :class:`ImageError` naming the file when it is missing, unreadable, or not a mask.
    """
    file = Path(path)
    check_regular_file(file)  # a pipe or a device is refused before it is opened (that would block)
    with decoding(str(file), MAX_MASK_PIXELS), Image.open(file) as im:
        check_size(im.size, str(file), MAX_MASK_PIXELS)
        labels = _labels(im, file)
    return _fitted(labels, hw, file.name)


def _fitted(labels: LabelImage, hw: tuple[int, int] | None, name: str) -> LoadedMask:
    """``labels`` stretched to ``hw`` (nearest neighbour: no new labels at borders), with a note."""
    if hw is None or labels.shape == tuple(hw):
        return LoadedMask(labels)
    height, width = hw
    resized = Image.fromarray(labels).resize((width, height), Image.Resampling.NEAREST)
    note = (f"{name} is {labels.shape[1]}x{labels.shape[0]} but the photo is {width}x{height}: "
            "the mask was stretched to fit.")
    return LoadedMask(np.asarray(resized, dtype=np.uint8).copy(), note)


def _labels(im: Image.Image, file: Path) -> LabelImage:
    transparent = _transparent(im)
    indexed = im.mode == "P"
    labels = np.asarray(im, dtype=np.uint8).copy() if indexed else _grey_labels(_grey(im, file), file)
    if transparent is not None:
        labels[transparent] = 0
    if int(labels.max()) > MAX_REGIONS:
        raise ImageError(file, f"uses region {int(labels.max())}; a mask has at most {MAX_REGIONS} regions.")
    return check_labels(labels)


def _transparent(im: Image.Image) -> npt.NDArray[np.bool_] | None:
    if im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info:
        alpha = np.asarray(im.convert("RGBA"), dtype=np.uint8)[..., 3]
        transparent: npt.NDArray[np.bool_] = alpha == 0
        return transparent
    return None


def _grey(im: Image.Image, file: Path) -> npt.NDArray[np.int64]:
    """The grey values of a grey (or all-grey colour) image, at their own bit depth."""
    if im.mode in ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        band = im.getchannel(0) if im.mode == "LA" else im
        return np.asarray(band).astype(np.int64)
    rgb = np.asarray(im.convert("RGB"), dtype=np.int64)
    if not (np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2])):
        raise ImageError(file, "is a colour image, not a mask.",
                         hint="Save the mask as an indexed (palette) or greyscale PNG, one value per region.")
    return rgb[..., 0]


def _grey_labels(values: npt.NDArray[np.int64], file: Path) -> LabelImage:
    if values.max() <= MAX_REGIONS and values.min() >= 0:
        return values.astype(np.uint8)
    levels, inverse = np.unique(values, return_inverse=True)
    if len(levels) > MAX_REGIONS + 1:
        raise ImageError(file, f"has {len(levels)} grey levels; a mask has one per region "
                         f"(at most {MAX_REGIONS} regions and the unpainted area).",
                         hint="Paint the mask with a hard brush, without anti-aliasing.")
    return inverse.reshape(values.shape).astype(np.uint8)


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    text = colour.lstrip("#")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def encode_mask(labels: LabelImage, colours: dict[int, str] | None = None) -> bytes:
    """An indexed PNG of ``labels``: index k = region k, the palette = the overlay colours."""
    labels = check_labels(labels)
    palette = [0, 0, 0]  # unpainted: black
    for index in range(1, max(int(labels.max()), MAX_REGIONS) + 1):
        palette.extend(_hex_rgb((colours or {}).get(index) or default_colour(index)))
    height, width = labels.shape
    image = Image.frombytes("P", (width, height), labels.tobytes())  # the values are the indices
    image.putpalette(palette)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def save_mask(labels: LabelImage, path: str | os.PathLike[str],
              colours: dict[int, str] | None = None) -> Path:
    """Write ``labels`` as an indexed PNG (atomically); ``colours`` maps region -> "#rrggbb"."""
    target = Path(path)
    try:
        data = encode_mask(labels, colours)
    except (OSError, ValueError) as exc:
        raise ImageError(target, f"could not encode the mask ({exc}).") from exc
    atomic_write(target, data)
    return target


# --- the mask in a picture's record ------------------------------------------------------------


def mask_record(mask: RegionMask, file: str | os.PathLike[str]) -> dict[str, Any]:
    """What a run's record carries about its mask: the settings and the PNG's file name."""
    return {"file": str(file), **mask.settings.to_dict()}


def with_mask_file(metadata: dict[str, Any], picture: str | os.PathLike[str]) -> dict[str, Any]:
    """``metadata`` whose mask names the PNG beside ``picture`` (by name: it moves with it)."""
    if not isinstance(metadata.get(MASK_KEY), dict):
        return metadata
    return {**metadata, MASK_KEY: {**metadata[MASK_KEY], "file": mask_path_for(picture).name}}


def save_beside(mask: RegionMask, picture: str | os.PathLike[str]) -> Path:
    """Write the mask PNG beside ``picture`` (``painting.png`` -> ``painting.mask.png``)."""
    colours = {r.index: r.colour for r in mask.settings.regions}
    return save_mask(mask.labels, mask_path_for(picture), colours)


def mask_from_record(record: Any, folder: str | os.PathLike[str],
                     hw: tuple[int, int] | None = None) -> RegionMask | None:
    """The mask a record names (its PNG looked up in ``folder``), or None if it has none.

    ParamsError when the settings are malformed; ImageError naming the PNG when it is missing
    or unreadable (a picture copied without its mask).
    """
    data = record.get(MASK_KEY) if isinstance(record, dict) else None
    if data is None:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("file"), str) or not data["file"]:
        raise ParamsError("The record's mask has no PNG file name.")
    settings = MaskSettings.from_dict(data)
    file = Path(folder) / Path(data["file"]).name  # a name, never a path elsewhere on the disk
    return RegionMask(load_mask(file, hw).labels, settings)


# --- masks inside a record: the start of a repainted run, its repaints -----------------------------
#
# The PNG beside a picture is the mask it ended with (what an artist opens, restores, exports).
# A run repainted during its course also needs the mask it started with and each repaint to be
# repeated (engine.spec.live): those travel inside the record itself, as base64 indexed PNGs (a few
# kilobytes: a label image compresses to almost nothing), so no writer of pictures (the CLI, the
# history, an export) has more files to carry along.

PNG_KEY = "png"  # an embedded mask: its labels as a base64 indexed PNG, beside its settings
START_KEY = "start"  # in a record's mask: the embedded mask a repainted run started with


def embed_mask(mask: RegionMask) -> dict[str, Any]:
    """A mask as JSON: its settings and its labels (an indexed PNG, base64)."""
    colours = {r.index: r.colour for r in mask.settings.regions}
    png = base64.b64encode(encode_mask(mask.labels, colours)).decode("ascii")
    return {PNG_KEY: png, **mask.settings.to_dict()}


def embedded_labels(data: Any, hw: tuple[int, int] | None = None) -> LoadedMask:
    """The labels :func:`embed_mask` wrote, stretched to ``hw`` if given (as :func:`load_mask`).

    ParamsError when they are malformed, ImageError when their PNG cannot be read.
    """
    png = _embedded_png(data)
    with decoding(_EMBEDDED, MAX_MASK_PIXELS), Image.open(io.BytesIO(png)) as im:
        check_size(im.size, _EMBEDDED, MAX_MASK_PIXELS)
        labels = _labels(im, Path(_EMBEDDED))
    return _fitted(labels, hw, "The recorded mask")


_EMBEDDED = "the mask recorded with the picture"


def _embedded_png(data: Any) -> bytes:
    if not isinstance(data, Mapping) or not isinstance(data.get(PNG_KEY), str):
        raise ParamsError("A mask in the record has no pixels ('png').")
    try:
        return base64.b64decode(data[PNG_KEY], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ParamsError(f"The pixels of {_EMBEDDED} are not base64 ({exc}).") from exc


def embedded_pixels(data: Any) -> int:
    """How many pixels an embedded mask holds, from its PNG header only (nothing is decoded):
    a record's masks are bounded before any of them costs memory."""
    png = _embedded_png(data)
    with decoding(_EMBEDDED, MAX_MASK_PIXELS), Image.open(io.BytesIO(png)) as im:
        width, height = im.size
    return int(width) * int(height)


def embedded_mask(data: Any) -> RegionMask:
    """The mask :func:`embed_mask` wrote, at its recorded size."""
    labels = embedded_labels(data).labels
    return RegionMask(labels, MaskSettings.from_dict(dict(data)))


def start_mask_record(final: RegionMask, start: RegionMask | None, repainted: bool,
                      file: str | os.PathLike[str]) -> dict[str, Any]:
    """:func:`mask_record` of the mask a picture ended with; after a repaint during its run, with
    the mask it started with (None, JSON null: it started without one), where a replay begins."""
    data = mask_record(final, file)
    if repainted:
        data[START_KEY] = embed_mask(start) if start is not None else None
    return data


def with_start_pixels(record: dict[str, Any], mask: RegionMask | None) -> dict[str, Any]:
    """A picture's record with the mask it was painted with embedded as its ``start``, for a
    run that goes on from it (promote): its PNG is not beside the picture on show, and the
    artist may repaint before "Render full size", so the later run's mask is no record of it.
    A record that already holds its start (a repainted run), or has no mask, is kept."""
    data = record.get(MASK_KEY)
    if mask is None or not isinstance(data, Mapping) or START_KEY in data:
        return record
    return {**record, MASK_KEY: {**data, START_KEY: embed_mask(mask)}}


def edit_record(edit: Edit) -> dict[str, Any]:
    """``edit.to_dict()`` with a repainted mask embedded (engine.spec.live writes only a marker:
    the engine knows no PNG)."""
    data = edit.to_dict()
    mask = edit.changes.get(MASK)
    if isinstance(mask, RegionMask):
        data["changes"][MASK] = embed_mask(mask)
    return data


def with_repaints(edits: Any) -> Any:
    """A record's edit list (JSON) with each embedded repaint decoded into a RegionMask, ready
    for engine.spec.live.edits_from_list. An old record's marker is left: that drops it."""
    if not isinstance(edits, list):
        return edits
    out = []
    for item in edits:
        changes = item.get("changes") if isinstance(item, Mapping) else None
        if isinstance(changes, Mapping) and MASK in changes and changes[MASK] != MASK_REPAINTED:
            item = {**item, "changes": {**changes, MASK: embedded_mask(changes[MASK])}}  # refuses a non-mask
        out.append(item)
    return out
