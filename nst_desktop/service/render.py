"""The one render path shared by the command line, the window and the self-test.

resolve the weight set -> stylize (with live edits, a start picture) -> record what made
the picture -> (optionally) apply the after-touches and save. Each front end loads its
images its own way (the CLI decodes files reduced to the output size, the window already
holds them) and reports progress its own way (a bar on stderr, Qt signals), but what
happens between is written once, here, so the three cannot drift apart.

No Qt; torch only through the engine, imported when a render starts.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from nst_desktop.engine.spec.control import RunControl
from nst_desktop.engine.spec.errors import DivergedError
from nst_desktop.engine.spec.events import ImageArray, ProgressCallback, RunResult, StyleInput
from nst_desktop.engine.spec.live import MASK, Edit
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.region_masks import RegionMask
from nst_desktop.engine.spec.touches import apply_touches
from nst_desktop.service.job import Job

if TYPE_CHECKING:  # torch: imported only when a render starts
    from nst_desktop.engine.model.weights import WeightSet


class StylizeFn(Protocol):
    """The signature of :func:`nst_desktop.engine.run.stylize.stylize` (tests pass fakes)."""

    def __call__(self, content: ImageArray, styles: Sequence[StyleInput], params: Params, *,
                 weights: WeightSet | None = None, init_image: ImageArray | None = None,
                 callback: ProgressCallback | None = None, control: RunControl | None = None,
                 preview_every: int = 10, edits: Sequence[Edit] = (),
                 start_from: ImageArray | None = None, mask: RegionMask | None = None) -> RunResult: ...


@dataclass(frozen=True)
class Rendered:
    """A finished, stopped or partial (diverged) render and its record."""

    result: RunResult
    metadata: dict[str, Any]
    mask: RegionMask | None = None  # the mask the picture ended with (after any repaint)

    @property
    def image(self) -> ImageArray:
        return self.result.image


class RenderDivergedError(DivergedError):
    """The run diverged; ``rendered`` holds the last good picture and its record, if any."""

    def __init__(self, source: DivergedError, rendered: Rendered | None) -> None:
        super().__init__(source.message, source.hint)
        self.rendered = rendered
        self.result = rendered.result if rendered is not None else None


def default_stylize() -> StylizeFn:
    from nst_desktop.engine.run.stylize import stylize  # heavy: imports torch

    return stylize


def resolve_weights(spec: str) -> WeightSet | None:
    """``None`` means the engine's built-in Caffe set; anything else goes through io."""
    if spec == "caffe":
        return None
    from nst_desktop.io.weights_store import resolve_weights as resolve

    return resolve(spec)


def final_mask(job: Job, result: RunResult) -> RegionMask | None:
    """The mask the picture ended with: the last repaint during the run, else the job's."""
    repaints = [e.changes[MASK] for e in result.edits if isinstance(e.changes.get(MASK), RegionMask)]
    return repaints[-1] if repaints else job.mask


def record(job: Job, result: RunResult) -> dict[str, Any]:
    """What is saved with the picture so that it can be understood and repeated.

    A mask is recorded as its settings and the name of its PNG, which whoever writes the
    picture writes beside it (:func:`save`, the history, an export): the mask the picture ended
    with. A repaint during the run is in ``edits`` with its pixels, and the mask the run started
    with is then kept in the record too (io.masks ``start``), so a replay repaints at the same step.
    """
    from nst_desktop.io.masks import MASK_KEY, start_mask_record
    from nst_desktop.io.metadata import run_metadata

    paths = list(job.style_paths) or [s.name or f"style {i + 1}" for i, s in enumerate(job.styles)]
    metadata = run_metadata(result, job.content_path, paths, [s.weight for s in job.styles],
                            touches=job.touches, continued_from=job.continued_from)
    mask = final_mask(job, result)
    if mask is not None:
        # The file name is given where the PNG is written.
        metadata[MASK_KEY] = start_mask_record(mask, job.mask, mask is not job.mask, "")
    return {**metadata, **job.extra}


def rendered(job: Job, result: RunResult) -> Rendered:
    return Rendered(result, record(job, result), final_mask(job, result))


def render(job: Job, *, callback: ProgressCallback | None = None, control: RunControl | None = None,
           preview_every: int = 10, stylize_fn: StylizeFn | None = None) -> Rendered:
    """Paint ``job``; RenderDivergedError (carrying the last good picture) if the run went NaN."""
    stylize = stylize_fn or default_stylize()
    # Only when set: engines (and test fakes) without the parameter keep working unmasked.
    masked: dict[str, Any] = {"mask": job.mask} if job.mask is not None else {}
    try:
        result = stylize(job.content, list(job.styles), job.params,
                         weights=resolve_weights(job.params.weights), init_image=job.init_image,
                         callback=callback, control=control,
                         preview_every=preview_every, edits=job.edits, start_from=job.start_from, **masked)
    except DivergedError as exc:
        partial = exc.result if isinstance(exc.result, RunResult) else None
        raise RenderDivergedError(exc, rendered(job, partial) if partial else None) from exc
    return rendered(job, result)


def picture(rendered: Rendered, job: Job) -> ImageArray:
    """The picture as shown and saved: the result with the job's after-touches.

    The touches blend in the photo as the window does, from the whole decoded file (the CLI
    may have decoded it reduced for the run), so an export and a replay match pixel for pixel.
    """
    if job.touches.is_identity:
        return rendered.image
    from nst_desktop.io.images import load_image
    from nst_desktop.io.resize import fit_photo

    photo = load_image(job.content_path) if job.content_path is not None else job.content
    return apply_touches(rendered.image, fit_photo(photo, rendered.image.shape[:2]), job.touches)


def save(rendered: Rendered, job: Job, out: str | os.PathLike[str], dpi: float | None = None) -> Path:
    """Write the picture (with its after-touches) and its record to ``out``, tagged ``dpi`` when
    given (``io.images.save_image``); its mask PNG beside it."""
    from nst_desktop.io.images import save_image
    from nst_desktop.io.masks import save_beside, with_mask_file

    if rendered.mask is not None:
        save_beside(rendered.mask, out)  # first: a record never names a mask that is not there
    save_image(picture(rendered, job), out, with_mask_file(rendered.metadata, out), dpi=dpi)
    return Path(out)
