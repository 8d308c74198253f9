"""From a recipe to the service's Job: the one place a kind of run changes the settings.

A full render paints the recipe as it is; a quick look and a variation paint it small and
short (``engine.spec.presets.quick_look``); "Render full size" (promote) goes on from a
picture, which must be a picture of the recipe's photo.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.events import ImageArray, StyleInput
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.presets import QUICK_LOOK_SIZE, VARIATION_SIZE, quick_look
from nst_desktop.engine.spec.schedule import min_long_side
from nst_desktop.recipe.picture import Picture
from nst_desktop.recipe.recipe import Recipe
from nst_desktop.service.job import Job

log = logging.getLogger(__name__)

JobKind = Literal["full", "quick", "variation", "promote"]


@dataclass(frozen=True)
class HeldImages:
    """Images a caller already holds (the window): used instead of decoding the files again."""

    photo: ImageArray
    styles: tuple[ImageArray, ...]
    init: ImageArray | None = None
    extra: dict[str, Any] | None = None  # for the record: how the photo was decoded


def run_params(recipe: Recipe, kind: JobKind, photo_hw: tuple[int, int]) -> Params:
    """The settings a run of ``kind`` paints ``recipe`` with, on a photo of ``photo_hw``."""
    params = recipe.params
    if kind in ("quick", "variation"):
        small = QUICK_LOOK_SIZE if kind == "quick" else VARIATION_SIZE
        # A panorama strip is looked at just large enough to paint.
        return quick_look(params, max(small, min_long_side(params, photo_hw)))
    return params


def promote_problem(recipe: Recipe, picture: Picture | None) -> str:
    """Why ``picture`` cannot go on to a full-size render of ``recipe``; "" when it can: a
    picture of the recipe's photo, smaller than the output size or stopped before its end."""
    if picture is None:
        return "Needs a quick look, a variation or a stopped picture to go on from"
    if picture.painted_from != recipe.photo:
        return "The picture on show was painted from another photo"
    if picture.long_side >= recipe.params.size and not picture.stopped:
        return "The picture on show is already at full size"
    return ""


EarlierPainter = Callable[[Job], ImageArray]
"""Paints an earlier picture's Job and returns its picture (the caller's render, e.g. the CLI's)."""


def job_for(recipe: Recipe, kind: JobKind, from_picture: Picture | None = None, *,
            images: HeldImages | None = None, replaying: Mapping[str, Any] | None = None,
            paint_earlier: EarlierPainter | None = None) -> Job:
    """The service Job that paints ``recipe`` as a run of ``kind``.

    ``images``: the decoded inputs when the caller holds them; otherwise the files are decoded,
    reduced to what the run needs (recipe.decoding), or, ``replaying`` a record, as the run it
    records decoded them (the very pixels: a replay is bit-identical). ``promote`` needs
    ``from_picture``, a picture of the recipe's photo (ParamsError naming the reason otherwise).
    ``paint_earlier``: a recipe that goes on from an earlier picture (``continued_from``) has
    that picture painted again first, by this function, with the mask it started with; the
    job then starts from it. Without it the job starts fresh (only the record keeps the chain).
    """
    if kind == "promote":
        problem = promote_problem(recipe, from_picture)
        if problem:
            raise ParamsError(f"Render full size: {problem.lower()}.")
    if images is None:
        params, held = _decode(recipe, kind, replaying)
    else:
        hw = (int(images.photo.shape[0]), int(images.photo.shape[1]))
        params, held = run_params(recipe, kind, hw), images
    styles = tuple(StyleInput(image, style.weight, style.name)
                   for image, style in zip(held.styles, recipe.styles, strict=True))
    job = Job(held.photo, styles, params, recipe.photo, recipe.style_paths, held.init, recipe.edits,
              touches=recipe.touches, mask=recipe.mask, extra=dict(held.extra or {}),
              continued_from=dict(recipe.continued_from) if recipe.continued_from is not None else None)
    if kind == "promote" and from_picture is not None:
        from nst_desktop.io.masks import with_start_pixels

        # Replayed by --params first, with the mask it was painted with (repainted since or not).
        source = with_start_pixels(dict(from_picture.record), from_picture.mask)
        job = replace(job, start_from=from_picture.image, continued_from=source)
    elif recipe.continued_from is not None and paint_earlier is not None:
        job = replace(job, start_from=_paint_chain(recipe, job, paint_earlier))
    return job


def _earlier_jobs(recipe: Recipe, job: Job) -> list[Job]:
    """A Job for each earlier picture of ``recipe.continued_from``, the nearest first, each
    painted from ``job``'s images with the settings, blend, live edits and start mask of its
    own record; each one's ``start_from`` is left for the next deeper one's picture."""
    from nst_desktop.io.images import image_size
    from nst_desktop.io.metadata import continued_from_metadata, edits_from_metadata, params_from_metadata
    from nst_desktop.recipe.recipe import chain_masks

    if recipe.mask is not None:
        hw = recipe.mask.hw  # stretched to the photo already
    else:
        width, height = image_size(recipe.photo)
        hw = (height, width)
    links: list[dict[str, Any]] = []
    link = dict(recipe.continued_from) if recipe.continued_from is not None else None
    while link is not None:
        links.append(link)
        link = continued_from_metadata(link)
    jobs: list[Job] = []
    styles = job.styles
    for link, mask in zip(links, chain_masks(recipe, hw), strict=True):
        params, inputs = params_from_metadata(link)
        blend = inputs["style_weights"]
        if len(blend) == len(styles):  # else the blend of the later picture (the run's styles changed)
            styles = tuple(StyleInput(s.image, w, s.name) for s, w in zip(styles, blend, strict=True))
        jobs.append(Job(job.content, styles, params, edits=edits_from_metadata(link), mask=mask))
    return jobs


def _paint_chain(recipe: Recipe, job: Job, paint: EarlierPainter) -> ImageArray:
    """The picture ``recipe`` went on from, painted again (its own earlier pictures first)."""
    start: ImageArray | None = None
    for earlier in reversed(_earlier_jobs(recipe, job)):
        log.info("replaying an earlier picture at %d px to go on from it", earlier.params.size)
        start = paint(replace(earlier, start_from=start))
    assert start is not None  # a recipe with continued_from has at least one earlier picture
    return start


def _decode(recipe: Recipe, kind: JobKind, replaying: Mapping[str, Any] | None) -> tuple[Params, HeldImages]:
    """The run's settings, and the recipe's files decoded as the command line decodes them:
    reduced to what a run of ``kind`` needs (recipe.decoding), or as a replayed record says."""
    from nst_desktop.io.images import image_size, load_image
    from nst_desktop.recipe.decoding import decode_targets, replay_targets, with_decoding

    width, height = image_size(recipe.photo)
    params = run_params(recipe, kind, (height, width))
    targets = decode_targets(params, [image_size(p) for p in recipe.style_paths])
    if replaying is not None:
        targets = replay_targets(dict(replaying), targets)
    # 0 (recipe.decoding.WHOLE): the recorded run decoded that file whole.
    photo = load_image(recipe.photo, target_long_side=targets.content or None)
    styles = tuple(load_image(p, target_long_side=t or None)
                   for p, t in zip(recipe.style_paths, targets.styles, strict=True))
    init = (load_image(params.init_image, target_long_side=targets.init or None)
            if params.init == "image" and params.init_image else None)
    return params, HeldImages(photo, styles, init, with_decoding({}, targets))
