"""Repeating a picture whose record holds live edits or a promotion (``--params``).

A picture painted with live edits replays them at the same steps (``stylize(edits=...)``),
a repainted mask included (its pixels are in the record, io.masks). A promoted picture
("Render full size" from a quick look or a stopped picture) went on from another picture: its
record holds that picture's own record as ``continued_from``, which is rendered first, with
the mask it was painted with, so the replay starts from the same pixels and paints the same
picture.

Everything a record can get wrong (a malformed edit, a mask that cannot be read) is found by
:func:`recorded_history` before torch is imported; the painting happens in :func:`start_picture`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.events import ImageArray, RunResult, StyleInput
from nst_desktop.engine.spec.live import Edit
from nst_desktop.engine.spec.region_masks import MaskSettings, RegionMask, check_fit
from nst_desktop.io.records import MAX_CHAIN

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class History:
    """What a ``--params`` record adds to a plain run: its live edits, the record of the picture
    it went on from (``source``), and the mask each picture of that chain started with."""

    edits: tuple[Edit, ...] = ()
    source: dict[str, Any] | None = None
    masks: tuple[RegionMask | None, ...] = ()  # masks[0]: source's, masks[1]: its source's...


def recorded_history(path: str | os.PathLike[str] | None, record: Any, mask: RegionMask | None = None,
                     n_styles: int = 1, photo_hw: tuple[int, int] = (1, 1)) -> History:
    """The :class:`History` of a ``--params`` file's ``record`` (empty without a file). ``mask``
    is the start mask of the run being replayed (its photo ``photo_hw``, ``n_styles`` styles)."""
    if path is None:
        return History()
    from nst_desktop.io.metadata import continued_from_metadata, edits_from_metadata, parse_file

    def parse(data: Any) -> History:
        edits, source = edits_from_metadata(data), continued_from_metadata(data)
        masks: list[RegionMask | None] = []
        link, previous = source, mask
        while link is not None:
            if len(masks) >= MAX_CHAIN:
                raise ParamsError(f"The record goes on from more than {MAX_CHAIN} earlier pictures.")
            edits_from_metadata(link)  # read now: a broken repaint is refused before any painting
            previous = source_mask(link, previous, n_styles, photo_hw)
            masks.append(previous)
            link = continued_from_metadata(link)
        return History(edits, source, tuple(masks))

    return parse_file(path, parse, record)


def source_mask(record: dict[str, Any], later: RegionMask | None, n_styles: int,
                photo_hw: tuple[int, int]) -> RegionMask | None:
    """The mask an earlier picture (a ``continued_from`` record) started with; None if unmasked.

    Its record carries the pixels (io.masks ``start``) when the mask was repainted during its
    run, and whenever the window promoted it (``io.masks.with_start_pixels``). A record from
    before that has only the settings: its pixels are then taken from the later run's start
    mask (the mask on show when "Render full size" was chosen), with its own settings.
    """
    from nst_desktop.io.masks import MASK_KEY, START_KEY, embedded_labels

    data = record.get(MASK_KEY)
    if not isinstance(data, dict):
        return None
    if START_KEY in data:
        start = data[START_KEY]
        if start is None:  # the run started without a mask; a repaint added one
            return None
        return RegionMask(embedded_labels(start, photo_hw).labels, MaskSettings.from_dict(start))
    if later is None:
        raise ParamsError("The picture this one went on from was painted with a mask that is not "
                          "recorded: give it with --mask FILE.")
    own = RegionMask(later.labels, MaskSettings.from_dict(data))
    try:
        check_fit(own, n_styles, photo_hw)
    except ParamsError:  # a region erased since: the later mask is the best record there is
        return later
    return own


def render_record(record: dict[str, Any], content: ImageArray, styles: list[StyleInput],
                  masks: tuple[RegionMask | None, ...] = (), depth: int = 0) -> RunResult:
    """Paint the picture a record describes (its own start picture first, if it was promoted),
    through the one render path (service.render); ``masks[depth]`` is the mask it started with."""
    from nst_desktop.io.metadata import continued_from_metadata, edits_from_metadata, params_from_metadata
    from nst_desktop.service.job import Job
    from nst_desktop.service.render import render

    if depth >= MAX_CHAIN:
        raise ParamsError(f"The record goes on from more than {MAX_CHAIN} earlier pictures.")
    params, inputs = params_from_metadata(record)
    blend = inputs["style_weights"] if len(inputs["style_weights"]) == len(styles) else None
    if blend is not None:
        styles = [StyleInput(s.image, w, s.name) for s, w in zip(styles, blend, strict=True)]
    source = continued_from_metadata(record)
    start = render_record(source, content, styles, masks, depth + 1).image if source else None
    log.info("replaying an earlier picture at %d px to go on from it", params.size)
    mask = masks[depth] if depth < len(masks) else None
    job = Job(content, tuple(styles), params, edits=edits_from_metadata(record), start_from=start, mask=mask)
    return render(job, preview_every=0).result


def start_picture(history: History, content: ImageArray, styles: list[StyleInput]) -> ImageArray | None:
    """The picture a promoted run went on from, painted again (None for a fresh run)."""
    if history.source is None:
        return None
    return render_record(history.source, content, styles, history.masks).image


def describe(edits: tuple[Edit, ...], source: dict[str, Any] | None) -> str:
    """One line for the progress output: what the replay will do besides a plain run."""
    parts = []
    if edits:
        parts.append(f"{len(edits)} live edit{'s' if len(edits) != 1 else ''} replayed")
    if source is not None:
        size = source.get("params", {}).get("size", "?") if isinstance(source.get("params"), dict) else "?"
        parts.append(f"going on from a {size} px picture (painted again first)")
    return ", ".join(parts)
