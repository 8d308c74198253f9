"""The Recipe, and its one conversion to and from a record.

A record is the JSON a picture carries (its PNG chunk or sidecar, a history entry); the queue
stores one per job and the farm receives one. :func:`to_record` writes a recipe in that very
format (a record without a result), so everything that reads pictures' records reads recipes
too, and :func:`from_record` is the one way back: it checks the whole record first
(``io.records.check_record``), then builds the recipe with the parsers the render uses.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.live import Edit
from nst_desktop.engine.spec.params import DEFAULTS, Params
from nst_desktop.engine.spec.region_masks import RegionMask
from nst_desktop.engine.spec.touches import Touches


@dataclass(frozen=True)
class StyleRef:
    """One style of a recipe: its file and its share of the blend."""

    path: str
    weight: float = 1.0

    @property
    def name(self) -> str:
        return Path(self.path).stem


@dataclass(frozen=True)
class Recipe:
    """What a picture is made of. Frozen: a change is a new recipe (an undo snapshot is one).

    ``edits`` (a timeline of live edits) and ``continued_from`` (the record of the picture a
    promoted run goes on from) come only from records: they make a replay paint the same
    picture. The mask, the edits and that record hold arrays and dicts, so they take no part
    in ``==`` (:meth:`same_as` compares everything).
    """

    photo: str
    styles: tuple[StyleRef, ...]
    params: Params = DEFAULTS
    touches: Touches = field(default_factory=Touches)
    mask: RegionMask | None = field(default=None, compare=False)
    edits: tuple[Edit, ...] = field(default=(), compare=False)
    continued_from: Mapping[str, Any] | None = field(default=None, compare=False)

    @property
    def blend(self) -> tuple[float, ...]:
        return tuple(s.weight for s in self.styles)

    @property
    def style_paths(self) -> tuple[str, ...]:
        return tuple(s.path for s in self.styles)

    def with_params(self, params: Params) -> Recipe:
        return replace(self, params=params)

    def with_styles(self, paths: Sequence[str | os.PathLike[str]], weights: Sequence[float]) -> Recipe:
        if len(paths) != len(weights):
            raise ParamsError(f"Give one weight per style image ({len(paths)}), not {len(weights)}.")
        styles = tuple(StyleRef(str(p), float(w)) for p, w in zip(paths, weights, strict=True))
        return replace(self, styles=styles)

    def fresh(self) -> Recipe:
        """This recipe as a new run: no timeline to replay, no earlier picture to go on from."""
        return replace(self, edits=(), continued_from=None)

    def same_as(self, other: Recipe) -> bool:
        """Equal in everything, the mask's pixels, the edits and the earlier picture included."""
        return self == other and to_record(self) == to_record(other)


def to_record(recipe: Recipe) -> dict[str, Any]:
    """The recipe as a JSON-able record, in the format of a picture's (io.metadata.run_metadata)."""
    from nst_desktop.io.masks import MASK_KEY, START_KEY, edit_record, embed_mask
    from nst_desktop.io.metadata import APP_NAME, CONTINUED_KEY, EDITS_KEY, SCHEMA, with_touches

    record: dict[str, Any] = {
        "app": APP_NAME,
        "schema": SCHEMA,
        "params": recipe.params.to_dict(),
        "inputs": {"content": recipe.photo, "styles": list(recipe.style_paths),
                   "style_weights": list(recipe.blend)},
    }
    if recipe.edits:
        record[EDITS_KEY] = [edit_record(edit) for edit in recipe.edits]
    if recipe.continued_from is not None:
        record[CONTINUED_KEY] = dict(recipe.continued_from)
    if recipe.mask is not None:
        # The mask the run starts with, its pixels inside: a recipe travels as one JSON text.
        record[MASK_KEY] = {**recipe.mask.settings.to_dict(), "file": "", START_KEY: embed_mask(recipe.mask)}
    return with_touches(record, recipe.touches)


def from_record(record: Any, *, folder: str | os.PathLike[str] | None = None,
                photo_hw: tuple[int, int] | None = None) -> Recipe:
    """The recipe a record describes; :class:`ParamsError` for a record that cannot be one.

    ``folder``: where the picture the record came with lies (a mask PNG named by the record is
    looked up there). ``photo_hw``: the photo's (height, width), which a mask is stretched to.
    The record is checked whole first, once (io.records); a record without its inputs (a bare
    params file) has no recipe: use its params with other inputs instead.
    """
    from nst_desktop.io.metadata import (
        continued_from_metadata,
        edits_from_metadata,
        params_from_metadata,
        touches_from_metadata,
    )
    from nst_desktop.io.records import check_record

    check_record(record)
    params, inputs = params_from_metadata(record)
    if not inputs["content"] or not inputs["styles"]:
        raise ParamsError("The record does not name its photo and styles.")
    recipe = Recipe(inputs["content"], (), params, touches_from_metadata(record),
                    edits=edits_from_metadata(record), continued_from=continued_from_metadata(record))
    recipe = recipe.with_styles(inputs["styles"], inputs["style_weights"])
    return replace(recipe, mask=_record_mask(record, folder, photo_hw))


def _record_mask(record: dict[str, Any], folder: str | os.PathLike[str] | None,
                 photo_hw: tuple[int, int] | None) -> RegionMask | None:
    """The mask a run of the record starts with: its embedded start pixels (a repainted run, or
    a recipe), else the PNG it names beside the picture."""
    from nst_desktop.io.masks import MASK_KEY, START_KEY, embedded_labels, mask_from_record

    data = record.get(MASK_KEY)
    if not isinstance(data, dict):
        return None
    if START_KEY in data:
        start = data[START_KEY]
        if start is None:  # the run started unmasked; a repaint during it added the mask
            return None
        from nst_desktop.engine.spec.region_masks import MaskSettings

        return RegionMask(embedded_labels(start, photo_hw).labels, MaskSettings.from_dict(start))
    if folder is None:
        raise ParamsError("The record's mask is a PNG beside its picture; give the picture's folder.")
    return mask_from_record(record, folder, photo_hw)
