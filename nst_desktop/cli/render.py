"""``nst-desktop render``: settings and inputs from the command line, then the one render
path (:mod:`nst_desktop.service.render`) with a progress bar and Ctrl-C to stop.

Precedence of settings: explicit options > --preset > --params FILE > defaults. Everything a
user can get wrong is refused before torch's import (seconds), with one line.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any

from nst_desktop.cli.checks import check_blend, check_output, check_request
from nst_desktop.cli.common import EXIT_INTERRUPTED, PROG, UsageError
from nst_desktop.cli.progress import ProgressBar
from nst_desktop.cli.replay import History
from nst_desktop.engine.spec.control import RunControl
from nst_desktop.engine.spec.errors import DivergedError, ImageError, ParamsError
from nst_desktop.engine.spec.events import ProgressEvent, StyleInput
from nst_desktop.engine.spec.params import DEFAULTS, Params, param_fields
from nst_desktop.engine.spec.region_masks import MaskSettings, RegionMask
from nst_desktop.engine.spec.touches import Touches
from nst_desktop.recipe.decoding import DecodeTargets, replay_targets, with_decoding
from nst_desktop.service.job import Job
from nst_desktop.service.render import RenderDivergedError, Rendered, render, save


def explicit_params(ns: argparse.Namespace) -> dict[str, Any]:
    """The Params fields given on the command line (argparse.SUPPRESS keeps the others out)."""
    given = {f.name: getattr(ns, f.name) for f in param_fields() if hasattr(ns, f.name)}
    given = {k: tuple(v) if isinstance(v, list) else v for k, v in given.items()}
    if "init_image" in given and "init" not in given:
        given["init"] = "image"  # giving a start image means "start from it"
    return given


def resolve_params(ns: argparse.Namespace, record: Any = None) -> tuple[Params, dict[str, Any]]:
    """Defaults < --params FILE < --preset < explicit options. Returns params and the file's inputs."""
    from nst_desktop.engine.spec.presets import apply_preset

    base: Params = DEFAULTS
    inputs: dict[str, Any] = {}
    if ns.params is not None:
        from nst_desktop.io.metadata import params_from_metadata, parse_file

        base, inputs = parse_file(ns.params, params_from_metadata, record)
    if ns.preset is not None:
        base = apply_preset(base, ns.preset)  # the same function as the window's preset menu
    try:
        params = base.with_changes(**explicit_params(ns))
    except (TypeError, ValueError) as exc:
        raise ParamsError(f"Invalid parameters: {exc}") from exc
    return params, inputs


def resolve_inputs(ns: argparse.Namespace, inputs: dict[str, Any]) -> tuple[Path, list[Path], list[float]]:
    """Content path, style paths and blend weights from the positionals or the --params file."""
    if ns.images:
        if len(ns.images) < 2:
            raise UsageError("render needs a CONTENT image and at least one STYLE image")
        content, styles = Path(ns.images[0]), [Path(s) for s in ns.images[1:]]
        weights = ns.style_weights or [1.0] * len(styles)
    elif inputs.get("content") and inputs.get("styles"):
        content = Path(inputs["content"])
        styles = [Path(s) for s in inputs["styles"]]
        weights = ns.style_weights or list(inputs.get("style_weights") or [1.0] * len(styles))
    else:
        raise UsageError("render needs a CONTENT image and at least one STYLE image (or --params FILE)")
    return content, styles, check_blend(weights, len(styles))


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
            save_image(ev.preview, _frame_path(out, ev.total_step), None)

    return save_frame


def _frame_path(out: Path, step: int) -> Path:
    return out.with_name(f"{out.stem}_{step:04d}{out.suffix}")


def _check_companion_names(out: Path, save_every: int, mask: RegionMask | None) -> None:
    """The frames and the mask PNG written beside OUT have longer names than OUT: a name too
    long for them is said now, not at the first frame or after the whole render."""
    from nst_desktop.io.images import check_output_name
    from nst_desktop.io.masks import mask_path_for

    companions = ([_frame_path(out, 0)] if save_every else []) + ([mask_path_for(out)] if mask else [])
    for companion in companions:
        check_output_name(companion, with_record=False)


def _job(ns: argparse.Namespace, params: Params, content: Path, styles: list[Path], weights: list[float],
         targets: DecodeTargets | None, record: Any, history: History) -> Job:
    """Load the images (decoded no larger than the run uses them); paint the --params history's
    earlier picture, if it has one."""
    from nst_desktop.cli.replay import start_picture
    from nst_desktop.engine.model.devices import pick_device
    from nst_desktop.engine.spec.params import check_precision
    from nst_desktop.io.images import load_image
    from nst_desktop.io.metadata import parse_file, touches_from_metadata

    check_precision(params.precision, pick_device(params.device).type)  # "auto" may resolve to the CPU
    sized = targets or DecodeTargets(0, (0,) * len(styles), 0)  # 0: decode whole
    # Decoded only as large as the run uses them (x2 margin): a 48 MP photo for a 512 px
    # painting costs megabytes, not gigabytes.
    photo = load_image(content, target_long_side=sized.content or None)
    style_inputs = tuple(StyleInput(load_image(p, target_long_side=t or None), w, p.stem)
                         for p, w, t in zip(styles, weights, sized.styles, strict=True))
    init = (load_image(Path(params.init_image), target_long_side=sized.init or None)
            if params.init == "image" and params.init_image else None)
    edits, source = history.edits, history.source
    job = Job(photo, style_inputs, params, content, tuple(styles), init, edits, None, source,
              parse_file(ns.params, touches_from_metadata, record) if ns.params is not None else Touches(),
              extra=with_decoding({}, targets) if targets is not None else {})
    if (edits or source) and not ns.quiet:
        from nst_desktop.cli.replay import describe

        print(f"{PROG}: {describe(edits, source)}", file=sys.stderr)
    return replace(job, start_from=start_picture(history, photo, list(style_inputs)))


def resolve_run_mask(ns: argparse.Namespace, content: Path, n_styles: int, record: Any) -> RegionMask | None:
    """``--mask`` (with --region...), or the mask a ``--params`` picture started with (its PNG
    beside it, or the pixels in its record when it was repainted during the run); checked
    against the photo's shape (from its header) before torch's import."""
    from nst_desktop.cli.mask_options import resolve_mask
    from nst_desktop.io.images import image_size

    base: MaskSettings | None = None
    base_file: Path | None = None
    embedded: dict[str, Any] | None = None

    def note(text: str) -> None:
        if not ns.quiet:
            print(f"{PROG}: {text}", file=sys.stderr)

    if ns.params is not None:
        from nst_desktop.engine.spec.live import repainted
        from nst_desktop.io.masks import MASK_KEY, START_KEY
        from nst_desktop.io.metadata import EDITS_KEY

        data = record.get(MASK_KEY) if isinstance(record, dict) else None
        if isinstance(data, dict) and isinstance(data.get(START_KEY), dict):  # repainted: where it began
            embedded = data[START_KEY]
            base = MaskSettings.from_dict(embedded)
        elif isinstance(data, dict) and START_KEY not in data:  # (null: it began without a mask)
            base = MaskSettings.from_dict(data)
            base_file = Path(ns.params).parent / Path(str(data.get("file") or "")).name
        if isinstance(record, dict) and repainted(record.get(EDITS_KEY)):  # an older record: no pixels
            note("the mask was repainted during that run; the replay paints with its final mask throughout")
    if ns.mask is None and base_file is None and embedded is None and not (
            ns.region or ns.unpainted or ns.feather is not None):
        return None  # the common case: no Pillow import
    width, height = image_size(content)

    return resolve_mask(ns, n_styles, (height, width), note, base, base_file, embedded)


def replay_history(ns: argparse.Namespace, record: Any, mask: RegionMask | None, n_styles: int,
                   content: Path) -> History:
    """The --params record's live edits and promotion chain with its masks, read (and refused,
    if broken) before torch's import."""
    from nst_desktop.cli.replay import recorded_history

    if ns.params is None:
        return History()
    hw = mask.hw if mask is not None else None  # the photo's (height, width): the mask is stretched to it
    if hw is None and isinstance(record, dict) and record.get("continued_from") is not None:
        from nst_desktop.io.images import image_size

        width, height = image_size(content)  # from the header; only an earlier picture's mask needs it
        hw = (height, width)
    return recorded_history(ns.params, record, mask, n_styles, hw or (1, 1))


def _paint(ns: argparse.Namespace, job: Job, out: Path) -> Rendered:
    bar = None if ns.quiet else ProgressBar(sys.stderr)
    saver = _frame_saver(out, ns.save_every) if ns.save_every > 0 else None

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


def check_not_an_input(ns: argparse.Namespace, params: Params, out: Path, content: Path, styles: list[Path],
                       mask: bool) -> None:
    """Refuse an output (or its sidecar, or its mask PNG) that would write over an input: the
    photo, a style, the start image, the --params record or the --mask file."""
    from nst_desktop.io.overwrite import overwritten_input

    inputs = [("the photo", content), *(("a style image", s) for s in styles),
              ("the start image", params.init_image if params.init == "image" else None),
              ("the --params record", ns.params), ("the --mask file", ns.mask)]
    clash = overwritten_input(out, inputs, mask=mask)
    if clash is not None:
        written, role = clash
        raise ImageError(written, f"is {role} of this render; writing there would destroy it.",
                         hint="Choose another output name with -o.")


def check_params_record(ns: argparse.Namespace, record: Any) -> None:
    """The whole --params record, once, before any part of it is used (io.records); a refusal
    names the file."""
    from nst_desktop.io.metadata import parse_file
    from nst_desktop.io.records import check_record

    n_styles = len(ns.images) - 1 if len(ns.images) >= 2 else None  # else the record's own styles
    parse_file(ns.params, lambda data: check_record(data, n_styles, weights="weights" not in vars(ns)),
               record)


def cmd_render(ns: argparse.Namespace) -> int:
    if ns.save_every < 0:
        raise ParamsError("--save-every must be 0 (off) or a positive number of steps.")
    # The --params file is read once; every part of its record is taken from this copy.
    record = None
    if ns.params is not None:
        from nst_desktop.io.metadata import load_record

        record = load_record(ns.params)
        check_params_record(ns, record)
    params, inputs = resolve_params(ns, record)
    content, styles, weights = resolve_inputs(ns, inputs)
    out = check_output(ns.output, UsageError)
    # Everything a user can get wrong is refused above and here, before torch's import (seconds).
    targets = check_request(params, explicit_params(ns), content, styles)
    mask = resolve_run_mask(ns, content, len(styles), record)
    _check_companion_names(out, ns.save_every, mask)
    check_not_an_input(ns, params, out, content, styles, mask is not None)
    history = replay_history(ns, record, mask, len(styles), content)
    if record is not None and not ns.images:  # a replay decodes as the recorded run did
        targets = replay_targets(record, targets)
    job = replace(_job(ns, params, content, styles, weights, targets, record, history), mask=mask)
    try:
        rendered = _paint(ns, job, out)
    except RenderDivergedError as exc:  # keep the last good image, then report as usual
        if exc.rendered is None:
            raise
        save(exc.rendered, job, out)
        raise DivergedError(f"{exc.message} The last good image was saved to {out}.", exc.hint) from exc
    save(rendered, job, out)
    result = rendered.result
    h, w = result.image.shape[:2]
    if result.stopped:
        print(f"{PROG}: stopped at step {result.steps_done} ({max(h, w)} px of {params.size}); saved the "
              f"best image so far ({w}x{h}) to {out}", file=sys.stderr)
        return EXIT_INTERRUPTED
    if not ns.quiet:
        print(f"Saved {out} ({w}x{h}, {result.steps_done} steps, "
              f"{result.elapsed_s:.1f} s on {result.device})", file=sys.stderr)
    return 0
