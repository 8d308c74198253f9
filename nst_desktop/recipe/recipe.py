"""The Recipe, and its one conversion to and from a record.

A record is the JSON a picture carries (its PNG chunk or sidecar, a history entry); the queue
stores one per job and the farm receives one. :func:`to_record` writes a recipe in that very
format (a record without a result), so everything that reads pictures' records reads recipes
too, and :func:`from_record` is the one way back: it checks the whole record first
(``io.records.check_record``), then builds the recipe with the parsers the render uses.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.live import Edit, replay
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

    def ended(self) -> Recipe:
        """The look a picture of this recipe ended with: its live edits replayed into the params
        and the blend (what a history restore shows), as a fresh recipe to paint again."""
        params, blend = replay(self.params, self.blend, self.edits)
        return self.with_styles(self.style_paths, blend).with_params(params).fresh()

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


PhotoSize = tuple[int, int] | Callable[[str], tuple[int, int]] | None
"""A photo's (height, width), or how to read it from the photo's path (only when a mask needs it)."""


def from_record(record: Any, *, folder: str | os.PathLike[str] | None = None, photo_hw: PhotoSize = None,
                inputs: tuple[str, Sequence[str]] | None = None, check_weights: bool = True,
                mask_file: str | os.PathLike[str] | None = None,
                note: Callable[[str], None] | None = None) -> Recipe:
    """The recipe a record describes; :class:`ParamsError` for a record that cannot be one.

    ``folder``: where the picture the record came with lies (a mask PNG named by the record is
    looked up there). ``photo_hw``: the photo's (height, width), which a mask is stretched to.
    The record is checked whole first, once (io.records), then the recipe it makes
    (recipe.validate, without the disk); a record without its inputs (a bare params file) has
    no recipe unless ``inputs`` are given.

    What the command line's ``--params`` needs besides: ``inputs`` (the photo and styles to
    paint instead of the record's own, each weighing 1), ``check_weights=False`` (another weight
    set was chosen, so the record's own is not checked), ``mask_file`` (a mask PNG painted with
    instead of the record's pixels, under the record's mask settings) and ``note`` (told what
    the user should know: a mask stretched to the photo, an older record's repaint).
    """
    from nst_desktop.io.metadata import (
        continued_from_metadata,
        edits_from_metadata,
        params_from_metadata,
        touches_from_metadata,
    )
    from nst_desktop.io.records import check_record
    from nst_desktop.recipe.validate import check

    check_record(record, len(inputs[1]) if inputs is not None else None, weights=check_weights)
    params, named = params_from_metadata(record)
    photo, styles, weights = ((inputs[0], list(inputs[1]), [1.0] * len(inputs[1])) if inputs is not None
                              else (named["content"], named["styles"], named["style_weights"]))
    if not photo or not styles:
        raise ParamsError("The record does not name its photo and styles.")
    recipe = Recipe(photo, (), params, touches_from_metadata(record),
                    edits=edits_from_metadata(record), continued_from=continued_from_metadata(record))
    recipe = recipe.with_styles(styles, weights)
    # The one check, as the record says (its mask aside: read next, with its own checks), so a
    # record's blend or settings are refused as the record's, whatever changes them later.
    check(recipe, files=False, weights=check_weights)
    return _with_masks(recipe, record, folder, photo_hw, mask_file, note or _ignore)


def _with_masks(recipe: Recipe, record: dict[str, Any], folder: str | os.PathLike[str] | None,
                photo_hw: PhotoSize, mask_file: str | os.PathLike[str] | None,
                note: Callable[[str], None]) -> Recipe:
    """``recipe`` with the mask a run of ``record`` starts with; the masks of its earlier
    pictures read too (when the photo's size is known), so their refusal is the record's."""
    from nst_desktop.io.masks import MASK_KEY

    hw: tuple[int, int] | None = None
    if not callable(photo_hw):
        hw = photo_hw
    elif mask_file is not None or record.get(MASK_KEY) is not None or recipe.continued_from is not None:
        hw = photo_hw(recipe.photo)  # the header is read only for a mask to fit
    recipe = replace(recipe, mask=_record_mask(record, folder, hw, mask_file, note))
    if hw is not None and recipe.continued_from is not None:
        chain_masks(recipe, hw)
    return recipe


def _ignore(_text: str) -> None:
    """A note nobody asked for."""


def _record_mask(record: dict[str, Any], folder: str | os.PathLike[str] | None,
                 photo_hw: tuple[int, int] | None, mask_file: str | os.PathLike[str] | None,
                 note: Callable[[str], None]) -> RegionMask | None:
    """The mask a run of the record starts with: its embedded start pixels (a repainted run, or
    a recipe), else the PNG it names beside the picture; ``mask_file``'s pixels instead when
    given, under the record's settings (its start's after a repaint)."""
    from nst_desktop.engine.spec.live import repainted
    from nst_desktop.engine.spec.region_masks import MaskSettings
    from nst_desktop.io.masks import MASK_KEY, START_KEY, embedded_labels, load_mask
    from nst_desktop.io.metadata import EDITS_KEY

    data = record.get(MASK_KEY)
    start = data.get(START_KEY) if isinstance(data, dict) else None
    if repainted(record.get(EDITS_KEY)) and not isinstance(start, dict):  # an older record: no pixels
        note("the mask was repainted during that run; the replay paints with its final mask throughout")
    settings: MaskSettings | None = None
    if isinstance(start, dict):
        settings = MaskSettings.from_dict(start)
    elif isinstance(data, dict) and START_KEY not in data:  # (a null start: the run began unmasked)
        settings = MaskSettings.from_dict(data)
    if mask_file is not None:
        loaded = load_mask(mask_file, photo_hw)
    elif settings is None:
        return None
    elif isinstance(start, dict):
        loaded = embedded_labels(start, photo_hw)
    else:
        loaded = load_mask(_png_beside(data, folder), photo_hw)
    if loaded.note:
        note(loaded.note)
    return RegionMask(loaded.labels, settings or MaskSettings())


def _png_beside(data: Any, folder: str | os.PathLike[str] | None) -> Path:
    """The mask PNG a record names, beside its picture in ``folder``."""
    name = data.get("file") if isinstance(data, dict) else None
    if not isinstance(name, str) or not name:
        raise ParamsError("The record's mask has no PNG file name.")
    if folder is None:
        raise ParamsError("The record's mask is a PNG beside its picture; give the picture's folder.")
    return Path(folder) / Path(name).name  # a name, never a path elsewhere on the disk


def chain_masks(recipe: Recipe, photo_hw: tuple[int, int]) -> tuple[RegionMask | None, ...]:
    """The mask each earlier picture of ``recipe.continued_from`` started with (the nearest
    first; None: unmasked), at the photo's ``photo_hw``.

    Its record carries the pixels (io.masks ``start``) when the mask was repainted during its
    run, and whenever the window promoted it (``io.masks.with_start_pixels``). A record from
    before that has only the settings: its pixels are then taken from the later run's start
    mask (the mask on show when "Render full size" was chosen), with its own settings.
    """
    from nst_desktop.io.metadata import continued_from_metadata
    from nst_desktop.io.records import MAX_CHAIN

    masks: list[RegionMask | None] = []
    link, later = recipe.continued_from, recipe.mask
    while link is not None:
        if len(masks) >= MAX_CHAIN:
            raise ParamsError(f"The record goes on from more than {MAX_CHAIN} earlier pictures.")
        later = _earlier_mask(dict(link), later, len(recipe.styles), photo_hw)
        masks.append(later)
        link = continued_from_metadata(link)
    return tuple(masks)


def _earlier_mask(record: dict[str, Any], later: RegionMask | None, n_styles: int,
                  photo_hw: tuple[int, int]) -> RegionMask | None:
    from nst_desktop.engine.spec.region_masks import MaskSettings, check_fit
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
