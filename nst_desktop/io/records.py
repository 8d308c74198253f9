"""The one check of a picture's record before anything is painted from it.

A record (``--params FILE``: a picture's PNG chunk, its sidecar or a hand-written JSON) is
text anyone can edit. It may ask for 2000 styles, a chain of a hundred earlier pictures, a NaN
in a live edit, a mask of gigabytes. Found one at a time by the code that uses each part, some
of these surfaced only after torch's import (seconds), some after a whole render, and some
never (a malformed live edit was skipped and the render ran). :func:`check_record` reads the
whole record at once, with the parsers the render itself uses (io.metadata, engine.spec.live,
engine.spec.region_masks, io.weights_store), bounds what it may ask for, and needs no torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nst_desktop.engine.spec.errors import ImageError, ParamsError, WeightsError
from nst_desktop.engine.spec.live import replay
from nst_desktop.engine.spec.region_masks import MaskSettings, validate
from nst_desktop.io.masks import MASK_KEY, MAX_MASK_PIXELS, PNG_KEY, START_KEY, embedded_mask, embedded_pixels
from nst_desktop.io.metadata import (
    EDITS_KEY,
    continued_from_metadata,
    edits_from_metadata,
    params_from_metadata,
    touches_from_metadata,
)

#: Styles one picture may blend: each is decoded and held as tensors; 2000 of them took 7.8 GB.
MAX_STYLES = 32
#: Live edits one record may hold: at most one lands per step, and a run has at most ~10,000 steps.
MAX_EDITS = 10_000
#: A promotion of a promotion of...: each earlier picture is painted again first.
MAX_CHAIN = 8
#: Any text in a record (a path, a name, a colour): longer than any path a system allows.
MAX_TEXT = 4096
#: Nesting of JSON objects and lists: a real record nests about 2 levels per earlier picture.
MAX_DEPTH = 64
#: The base64 text of one embedded mask (a label image compresses to a few kB; 48 MP well under this).
MAX_MASK_TEXT = 16 << 20
#: All embedded masks of a record together, in pixels (one byte each once decoded).
MAX_RECORD_MASK_PIXELS = 4 * MAX_MASK_PIXELS


def check_record(record: Any, n_styles: int | None = None, *, weights: bool = True) -> None:
    """:class:`ParamsError` (one line, without the file: ``io.metadata.parse_file`` adds it) for
    a record that a run cannot repeat as it says, or that asks for more than a picture can.

    ``n_styles``: the styles of the run the record steers (default: those it names itself).
    ``weights=False`` leaves the record's own weight set unchecked (another one was chosen
    instead); those of the pictures it went on from are always checked: they are painted too.
    """
    if not isinstance(record, dict):
        raise ParamsError(f"Expected a JSON object with parameters, not {type(record).__name__}.")
    pngs: list[Any] = []
    _check_shape(record, 0, pngs)
    try:
        if sum(embedded_pixels({PNG_KEY: png}) for png in pngs) > MAX_RECORD_MASK_PIXELS:
            raise ParamsError(f"The masks in the record hold more than {MAX_RECORD_MASK_PIXELS:,} pixels.")
        link: dict[str, Any] | None = record
        for depth in range(MAX_CHAIN + 1):
            if link is None:
                return
            _check_picture(link, n_styles if depth == 0 else None, weights or depth > 0)
            link = continued_from_metadata(link)
        raise ParamsError(f"The record goes on from more than {MAX_CHAIN} earlier pictures.")
    except (ImageError, WeightsError) as exc:  # a mask's pixels, a weight file: still the record's fault
        raise ParamsError(exc.message, exc.hint) from exc


def _check_shape(value: Any, depth: int, pngs: list[Any]) -> None:
    """Nesting, text lengths and embedded masks' sizes, before anything reads the values."""
    if depth > MAX_DEPTH:
        raise ParamsError(f"The record is nested more than {MAX_DEPTH} levels deep.")
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise ParamsError(f"The record holds a text {len(value):,} characters long "
                          f"(at most {MAX_TEXT:,}): {value[:40]!r}...")
    if isinstance(value, list):
        for item in value:
            _check_shape(item, depth + 1, pngs)
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == PNG_KEY and isinstance(item, str):  # a mask's pixels: long by nature
                if len(item) > MAX_MASK_TEXT:
                    raise ParamsError(f"A mask in the record is {len(item):,} characters of pixels "
                                      f"(at most {MAX_MASK_TEXT:,}).")
                pngs.append(item)
                continue
            _check_shape(key, depth + 1, pngs)
            _check_shape(item, depth + 1, pngs)


def _check_picture(record: dict[str, Any], n_styles: int | None, weights: bool) -> None:
    """One picture of the chain: its params, inputs, live edits, after-touches, mask and weights."""
    params, inputs = params_from_metadata(record)
    raw_inputs = record.get("inputs")
    named = raw_inputs.get("styles") if isinstance(raw_inputs, dict) else None
    if isinstance(named, list) and len(named) > MAX_STYLES:
        raise ParamsError(f"The record names {len(named)} styles; at most {MAX_STYLES} can be blended.")
    raw_edits = record.get(EDITS_KEY)
    if isinstance(raw_edits, list) and len(raw_edits) > MAX_EDITS:
        raise ParamsError(f"The record holds {len(raw_edits):,} live edits (at most {MAX_EDITS:,}).")
    count = n_styles or len(inputs["styles"]) or 1
    blend = inputs["style_weights"] if len(inputs["style_weights"]) == count else [1.0] * count
    replay(params, blend, edits_from_metadata(record))  # each edit checked as the engine applies it
    touches_from_metadata(record)
    _check_mask(record.get(MASK_KEY), count)
    if weights and params.weights != "caffe":  # the built-in set is never a file a record names
        from nst_desktop.io.weight_sets import check_spec

        check_spec(params.weights)


def _check_mask(data: Any, n_styles: int) -> None:
    """A record's mask: its settings, and the pixels it started with after a repaint."""
    if data is None:
        return
    if not isinstance(data, dict):
        raise ParamsError(f"The record's '{MASK_KEY}' is not a JSON object.")
    start = data.get(START_KEY)
    if start is not None:
        validate(embedded_mask(start), n_styles)
    else:
        MaskSettings.from_dict(data)
