"""``nst-desktop render``: the options become a Recipe once (cli.recipe_options), the recipe is
checked once (:func:`nst_desktop.recipe.validate.check`), and the service renders the Job
``recipe.jobs.job_for`` makes of it, with a progress bar and Ctrl-C to stop.

Precedence of settings: explicit options > --preset > --params FILE > defaults. Everything a
user can get wrong is refused before torch's import (seconds), with one line. Only
:func:`cmd_render` sees the argparse namespace.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from nst_desktop.cli.checks import check_companion_names, check_not_an_input, check_output, frame_path
from nst_desktop.cli.common import EXIT_INTERRUPTED, PROG, UsageError
from nst_desktop.cli.progress import ProgressBar
from nst_desktop.cli.recipe_options import RenderOptions, recipe_from_options, render_options
from nst_desktop.engine.spec.control import RunControl
from nst_desktop.engine.spec.errors import DivergedError
from nst_desktop.engine.spec.events import ImageArray, ProgressEvent
from nst_desktop.recipe.recipe import Recipe
from nst_desktop.service.job import Job
from nst_desktop.service.render import RenderDivergedError, Rendered, render, save


@contextmanager
def _stop_on_sigint(control: RunControl) -> Iterator[None]:
    """First Ctrl-C asks the engine to stop (it returns the best image so far); a second one aborts."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be installed from the main thread
        return

    def handler(_signum: int, _frame: FrameType | None) -> None:
        if control.stopped:
            raise KeyboardInterrupt
        control.stop()
        # A step at a large size can take seconds: say that the Ctrl-C was heard.
        sys.stderr.write("\nStopping after this step (Ctrl-C again aborts without saving)...\n")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _frame_saver(out: Path, every: int) -> Callable[[ProgressEvent], None]:
    """Save the preview of every ``every``-th step as OUT_NNNN.ext (the size of the scale being worked on)."""
    from nst_desktop.io.images import save_image

    def save_frame(ev: ProgressEvent) -> None:
        if ev.preview is not None and ev.total_step % every == 0:
            save_image(ev.preview, frame_path(out, ev.total_step), None)

    return save_frame


def _paint(job: Job, out: Path, options: RenderOptions) -> Rendered:
    bar = None if options.quiet else ProgressBar(sys.stderr)
    saver = _frame_saver(out, options.save_every) if options.save_every > 0 else None

    def callback(ev: ProgressEvent) -> None:
        if saver is not None:
            saver(ev)
        if bar is not None:
            bar.update(ev)

    control = RunControl()
    try:
        with _stop_on_sigint(control):
            # The engine counts preview_every per scale; frames are numbered over the whole
            # run, so ask for every step and pick them here. 0: no previews.
            return render(job, callback=callback, control=control, preview_every=1 if saver else 0)
    finally:
        if bar is not None:
            bar.close()


def _paint_earlier(job: Job) -> ImageArray:
    """An earlier picture of a promoted record, painted again through the one render path."""
    return render(job, preview_every=0).result.image


def describe(recipe: Recipe) -> str:
    """One line for the progress output: what the replay will do besides a plain run."""
    parts = []
    if recipe.edits:
        parts.append(f"{len(recipe.edits)} live edit{'s' if len(recipe.edits) != 1 else ''} replayed")
    source = recipe.continued_from
    if source is not None:
        size = source.get("params", {}).get("size", "?") if isinstance(source.get("params"), dict) else "?"
        parts.append(f"going on from a {size} px picture (painted again first)")
    return ", ".join(parts)


def cmd_render(ns: argparse.Namespace) -> int:
    options = render_options(ns)
    return render_recipe(recipe_from_options(ns, options), options)


def render_recipe(recipe: Recipe, options: RenderOptions) -> int:
    """Check, paint and save ``recipe`` as the command's ``options`` ask; the exit status."""
    from nst_desktop.recipe.validate import check

    out = check_output(options.output, UsageError)
    # Everything a user can get wrong is refused here, before torch's import (seconds).
    check(recipe)
    check_companion_names(out, options.save_every, recipe.mask is not None)
    check_not_an_input(out, recipe, options.params_file, options.mask_file)
    from nst_desktop.engine.model.devices import pick_device
    from nst_desktop.engine.spec.params import check_precision
    from nst_desktop.recipe.jobs import job_for

    check_precision(recipe.params.precision, pick_device(recipe.params.device).type)  # "auto": the CPU?
    if (recipe.edits or recipe.continued_from is not None) and not options.quiet:
        print(f"{PROG}: {describe(recipe)}", file=sys.stderr)
    job = job_for(recipe, "full", replaying=options.record if options.replaying else None,
                  paint_earlier=_paint_earlier)
    try:
        rendered = _paint(job, out, options)
    except RenderDivergedError as exc:  # keep the last good image, then report as usual
        if exc.rendered is None:
            raise
        _save(exc.rendered, job, out, options)
        raise DivergedError(f"{exc.message} The last good image was saved to {out}.", exc.hint) from exc
    _save(rendered, job, out, options)
    return _report(rendered, out, recipe, options)


def _save(rendered: Rendered, job: Job, out: Path, options: RenderOptions) -> None:
    """Save with the resolution ``--print``/``--dpi`` ask; say when the pixels are too few for the print."""
    height, width = rendered.result.image.shape[:2]
    save(rendered, job, out, dpi=options.printing.output_dpi((width, height)))
    shortfall = options.printing.shortfall((width, height))
    if shortfall:
        options.note(shortfall)


def _report(rendered: Rendered, out: Path, recipe: Recipe, options: RenderOptions) -> int:
    result = rendered.result
    h, w = result.image.shape[:2]
    if result.stopped:
        print(f"{PROG}: stopped at step {result.steps_done} ({max(h, w)} px of {recipe.params.size}); saved "
              f"the best image so far ({w}x{h}) to {out}", file=sys.stderr)
        return EXIT_INTERRUPTED
    if not options.quiet:
        print(f"Saved {out} ({w}x{h}, {result.steps_done} steps, "
              f"{result.elapsed_s:.1f} s on {result.device})", file=sys.stderr)
    return 0
