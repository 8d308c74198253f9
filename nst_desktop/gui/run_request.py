"""The hand-over of one run from the GUI thread to the run's thread, and what the run left.

A :class:`RunRequest` carries the recipe of the run (its inputs named as its record names them),
the kind of run, the images the window holds decoded and the picture a promote goes on from;
the run's thread makes the service Job from it with ``recipe.jobs.job_for``, the one way a
recipe becomes a Job (issue 17.1), after decoding a photo held reduced again at the size the run
needs (``recipe.decoding``). An :class:`Outcome` is what the worker's signals carry back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from nst_desktop.engine.spec.events import ImageArray, PreviewArray, RunResult, StyleInput
from nst_desktop.engine.spec.params import Params
from nst_desktop.gui.loaded_image import LoadedImage
from nst_desktop.recipe.decoding import WHOLE, DecodeTargets, decode_targets, with_decoding
from nst_desktop.recipe.jobs import HeldImages, JobKind, job_for, run_params
from nst_desktop.recipe.picture import Picture
from nst_desktop.recipe.recipe import Recipe, StyleRef
from nst_desktop.service.job import Job
from nst_desktop.service.render import Rendered


@dataclass(frozen=True)
class RunRequest:
    """One run, handed from the GUI thread to the run's thread: the recipe it paints (its inputs
    named as its record names them), the kind of run, the images the window holds decoded, the
    picture a promote goes on from. The run's thread makes the service Job with
    ``recipe.jobs.job_for``, the one way a recipe becomes a Job (issue 17.1)."""

    recipe: Recipe
    images: HeldImages
    kind: JobKind = "full"
    from_picture: Picture | None = None  # promote: the picture it goes on from
    preview_every: int = 2  # frequent: a CPU step is slow; the worker throttles what the GUI sees
    # The photo ``images.photo`` comes from: one held reduced is decoded again at the size the run
    # needs, in the run's thread (run_job); None: the held pixels are all there is.
    photo: LoadedImage | None = None

    @classmethod
    def of_images(cls, content: ImageArray, styles: tuple[StyleInput, ...], params: Params, *,
                  init_image: ImageArray | None = None, kind: JobKind = "full", preview_every: int = 2,
                  photo: LoadedImage | None = None) -> RunRequest:
        """A run of images without files (a variation's grid, tests): the styles named by their names."""
        recipe = Recipe("", tuple(StyleRef(s.name, s.weight) for s in styles), params)
        images = HeldImages(content, tuple(s.image for s in styles), init_image)
        return cls(recipe, images, kind, preview_every=preview_every, photo=photo)

    @property
    def content(self) -> ImageArray:
        return self.images.photo

    @property
    def params(self) -> Params:
        """The settings this kind of run paints with (a quick look's small and short)."""
        return run_params(self.recipe, self.kind, (int(self.content.shape[0]), int(self.content.shape[1])))

    @property
    def styles(self) -> tuple[StyleInput, ...]:
        return tuple(StyleInput(image, style.weight, style.name)
                     for image, style in zip(self.images.styles, self.recipe.styles, strict=True))

    @property
    def init_image(self) -> ImageArray | None:
        return self.images.init

    @property
    def start_from(self) -> ImageArray | None:
        return self.from_picture.image if self.kind == "promote" and self.from_picture is not None else None

    @property
    def content_hw(self) -> tuple[int, int]:
        """The photo's (height, width): what its estimate was for, and what the speed is
        learned from (not the photo on screen when the run ends, nor a reduced copy's size)."""
        if self.photo is not None:
            return self.photo.full_hw
        return int(self.content.shape[0]), int(self.content.shape[1])

    def job(self, content: ImageArray | None = None, extra: dict[str, Any] | None = None) -> Job:
        """The service Job, through job_for; ``content``: the photo decoded again at the run's size."""
        images = self.images
        if content is not None or extra is not None:
            images = replace(images, photo=self.content if content is None else content, extra=extra)
        job = job_for(self.recipe, self.kind, self.from_picture, images=images)
        # A photo without a file (pasted) is named by no path in the record, as ever.
        return job if job.content_path else replace(job, content_path=None)

    def run_job(self) -> Job:
        """Blocking (the run's thread): the job with the photo's pixels at the size the run
        needs (``recipe.decoding.decode_targets``, as the CLI decodes), its record saying so."""
        if self.photo is None or not self.photo.reduced:
            return self.job()
        pixels, decoded_at = self.photo.run_pixels(decode_targets(self.params, ()).content)
        return self.job(pixels, self._decoding_record(decoded_at))

    def held_job(self) -> Job:
        """The job with the photo as held in memory (what a variation was painted from), its
        record saying how that was decoded."""
        if self.photo is None or not self.photo.reduced:
            return self.job()
        return self.job(extra=self._decoding_record(self.photo.decoded_at))

    def _decoding_record(self, content_decoded_at: int) -> dict[str, Any]:
        # Styles and a start image are read whole by the window (0); see recipe.decoding.replay_targets.
        return with_decoding({}, DecodeTargets(content_decoded_at, (WHOLE,) * len(self.styles), WHOLE))


@dataclass(frozen=True)
class Outcome:
    """What a run left: the picture with its record (None if it failed before any), the
    time-lapse frames, and the request that made it. Carried by the worker's signals, so
    nobody has to reach into the worker for them."""

    rendered: Rendered | None
    frames: tuple[PreviewArray, ...]
    request: RunRequest

    @property
    def result(self) -> RunResult | None:
        return self.rendered.result if self.rendered is not None else None
