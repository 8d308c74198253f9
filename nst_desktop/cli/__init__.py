"""The ``nst-desktop`` command line: render, weights, presets, self-test.

The render options are generated from the :class:`~nst_desktop.engine.params.Params`
field metadata, so a new engine parameter appears here (and in ``--help``) without any
change to this file. User errors (bad file, bad value, missing weights) end the command
with exit status 1 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import typing
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import Field
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from nst_desktop import __version__
from nst_desktop.cli.checks import (
    DecodeTargets,
    check_blend,
    check_output,
    check_request,
    replay_targets,
    with_decoding,
)
from nst_desktop.cli.progress import ProgressBar
from nst_desktop.engine.errors import DivergedError, NSTError, ParamsError
from nst_desktop.engine.events import ImageArray, ProgressEvent, RunControl, RunResult, StyleInput
from nst_desktop.engine.live import Edit
from nst_desktop.engine.params import DEFAULTS, Params, param_fields
from nst_desktop.engine.touches import Touches, apply_touches

PROG = "nst-desktop"
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # the shell convention for "ended by SIGINT"


class UsageError(Exception):
    """A malformed command line (raised instead of argparse's usage dump + exit)."""


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line, handled like every other user error."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


# --- options generated from the Params metadata ---------------------------------------------


def _option_name(field_name: str) -> str:
    return "--" + field_name.replace("_", "-")


def _add_param_option(group: argparse._ArgumentGroup, f: Field[Any], hint: Any) -> None:
    """One command-line option for one Params field, typed from its annotation."""
    meta = f.metadata
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    kwargs: dict[str, Any] = {"dest": f.name, "default": argparse.SUPPRESS}
    default = getattr(DEFAULTS, f.name)
    if origin is tuple:  # e.g. tuple[str, ...]: several values after one option
        kwargs.update(nargs="+", type=args[0], metavar="X" if args[0] is float else "VALUE")
        shown = " ".join(map(str, default))
    else:
        if origin is not typing.Literal and hint in (int, float):
            kwargs.update(type=hint, metavar="N" if hint is int else "X")
        else:  # Literal (choices), str, str | None
            kwargs.update(type=str, metavar="VALUE")
        shown = f"{default:g}" if isinstance(default, float) else str(default)
    if meta.get("choices"):
        kwargs["choices"] = meta["choices"]
        kwargs["metavar"] = "{" + ",".join(meta["choices"]) + "}" if origin is not tuple else "LAYER"
    low, high = meta.get("min"), meta.get("max")
    bounds = f" Range {low:g}..{high:g}." if low is not None and high is not None else ""
    text = f"{meta.get('help', '')}{bounds} Default: {shown}."
    kwargs["help"] = text.replace("%", "%%")  # argparse formats help with %
    group.add_argument(_option_name(f.name), **kwargs)


def _add_render_parser(sub: Any) -> None:
    p = sub.add_parser(
        "render", help="stylize a photo with one or more style images",
        description="Render CONTENT in the style of STYLE (several styles are blended).",
        epilog="Precedence: explicit options > --preset > --params FILE > defaults.",
    )
    p.add_argument("images", nargs="*", metavar="CONTENT STYLE", help="content image, then style image(s)")
    p.add_argument("-o", "--output", type=Path, help="output image (.png, .jpg, .webp, .tif)")
    p.add_argument("--style-weights", nargs="+", type=float, metavar="W", help="blend weight per style")
    p.add_argument("--preset", help=f"named parameter set (see '{PROG} presets')")
    p.add_argument("--params", type=Path, metavar="FILE",
                   help="repeat a run: an earlier output PNG, its .json sidecar, or a params JSON")
    p.add_argument("--save-every", type=int, default=0, metavar="N",
                   help="also save every N-th step as OUT_NNNN (a time-lapse)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    hints = typing.get_type_hints(Params)
    group = p.add_argument_group("parameters (generated from the engine's Params)")
    for f in param_fields():
        _add_param_option(group, f, hints[f.name])
    p.set_defaults(func=_cmd_render)


def build_parser() -> argparse.ArgumentParser:
    """The full ``nst-desktop`` parser (public so tests and docs can inspect it)."""
    parser = _Parser(prog=PROG, description="Neural style transfer for artists.", allow_abbrev=False)
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log engine details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_render_parser(sub)
    w = sub.add_parser("weights", help="list, fetch or import VGG19 weight sets")
    w.set_defaults(func=lambda ns: _usage(w))
    wsub = w.add_subparsers(dest="weights_command", metavar="ACTION", parser_class=_Parser)
    wsub.add_parser("list", help="show the known weight sets and their licences").set_defaults(
        func=_cmd_weights_list)
    wsub.add_parser("fetch", help="download the torchvision VGG19 weights").set_defaults(
        func=_cmd_weights_fetch)
    imp = wsub.add_parser("import", help="import a VGG19 state-dict file (.pth)")
    imp.add_argument("file", type=Path)
    imp.set_defaults(func=_cmd_weights_import)
    sub.add_parser("presets", help="list the named presets").set_defaults(func=_cmd_presets)
    st = sub.add_parser("self-test", help="render a tiny image to check the installation")
    st.add_argument("--out", type=Path, default=None, help="folder for the test image (default: temporary)")
    st.set_defaults(func=_cmd_self_test)
    return parser


def _usage(parser: argparse.ArgumentParser) -> int:
    """A command group given without its action: show what it takes."""
    parser.print_help(sys.stderr)
    return EXIT_USAGE


# --- render ----------------------------------------------------------------------------------


def _explicit_params(ns: argparse.Namespace) -> dict[str, Any]:
    """The Params fields given on the command line (argparse.SUPPRESS keeps the others out)."""
    given = {f.name: getattr(ns, f.name) for f in param_fields() if hasattr(ns, f.name)}
    given = {k: tuple(v) if isinstance(v, list) else v for k, v in given.items()}
    if "init_image" in given and "init" not in given:
        given["init"] = "image"  # giving a start image means "start from it"
    return given


def _resolve_params(ns: argparse.Namespace) -> tuple[Params, dict[str, Any]]:
    """Defaults < --params FILE < --preset < explicit options. Returns params and the file's inputs."""
    from nst_desktop.engine.presets import PRESETS

    base: Params = DEFAULTS
    inputs: dict[str, Any] = {}
    if ns.params is not None:
        from nst_desktop.io.metadata import load_params_file

        base, inputs = load_params_file(ns.params)
    if ns.preset is not None:
        if ns.preset not in PRESETS:
            raise ParamsError(f"Unknown preset {ns.preset!r}; choose one of: {', '.join(PRESETS)}.")
        # Only what the preset changes from the defaults: '--params old.png --preset fine'
        # keeps the old run's seed, size, device... unless the preset itself sets them.
        defaults = DEFAULTS.to_dict()
        changed = {k: v for k, v in PRESETS[ns.preset].to_dict().items() if v != defaults[k]}
        base = Params.from_dict(base.to_dict() | changed)
    try:
        params = base.with_changes(**_explicit_params(ns))
    except (TypeError, ValueError) as exc:
        raise ParamsError(f"Invalid parameters: {exc}") from exc
    return params, inputs


def _resolve_inputs(ns: argparse.Namespace, inputs: dict[str, Any]) -> tuple[Path, list[Path], list[float]]:
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
    if _in_main_thread():
        def handler(signum: int, frame: FrameType | None) -> None:
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
    else:  # signal handlers can only be installed from the main thread
        yield


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _frame_saver(out: Path, every: int) -> Callable[[ProgressEvent], None]:
    """Save the preview of every ``every``-th step as OUT_NNNN.ext (the size of the scale being worked on)."""
    from nst_desktop.io.images import save_image

    def save(ev: ProgressEvent) -> None:
        if ev.preview is not None and ev.total_step % every == 0:
            frame = out.with_name(f"{out.stem}_{ev.total_step:04d}{out.suffix}")
            save_image(ev.preview, frame, None)

    return save


Recorded = tuple[tuple[Edit, ...], dict[str, Any] | None]
"""The live edits and the ``continued_from`` record of a --params file (cli.replay)."""


def _run(ns: argparse.Namespace, params: Params, content: Path, styles: list[Path],
         weights: list[float], out: Path, history: Recorded = ((), None),
         targets: DecodeTargets | None = None) -> RunResult:
    from nst_desktop.engine.devices import check_precision, pick_device
    from nst_desktop.engine.stylize import stylize
    from nst_desktop.io.images import load_image

    check_precision(params.precision, pick_device(params.device).type)  # "auto" may resolve to the CPU
    sized = targets or DecodeTargets(0, (0,) * len(styles), 0)  # 0: decode whole
    # Decoded only as large as the run uses them (x2 margin): a 48 MP photo for a 512 px
    # painting costs megabytes, not gigabytes.
    content_img = load_image(content, target_long_side=sized.content or None)
    style_inputs = [StyleInput(load_image(p, target_long_side=t or None), w, p.stem)
                    for p, w, t in zip(styles, weights, sized.styles, strict=True)]
    init_img = (load_image(Path(params.init_image), target_long_side=sized.init or None)
                if params.init == "image" and params.init_image else None)
    weight_set = None
    if params.weights != "caffe":
        from nst_desktop.io.weights_store import resolve_weights

        weight_set = resolve_weights(params.weights)
    edits, source = history
    if (edits or source) and not ns.quiet:
        from nst_desktop.cli.replay import describe

        print(f"{PROG}: {describe(edits, source)}", file=sys.stderr)
    from nst_desktop.cli.replay import start_picture

    start = start_picture(source, content_img, style_inputs, weight_set)
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
            return stylize(content_img, style_inputs, params, weights=weight_set, init_image=init_img,
                           callback=callback, control=control, edits=edits, start_from=start,
                           # The engine counts preview_every per scale; frames are numbered over the
                           # whole run, so ask for every step and pick them here. 0: no previews.
                           preview_every=1 if saver is not None else 0)
    finally:
        if bar is not None:
            bar.close()


def _touched(image: ImageArray, content: Path, touches: Touches) -> ImageArray:
    """The picture with the --params file's after-touches, so a replay looks the same."""
    if touches.is_identity:
        return image
    from nst_desktop.io.images import load_image
    from nst_desktop.io.resize import fit_photo

    return apply_touches(image, fit_photo(load_image(content), image.shape[:2]), touches)


def _cmd_render(ns: argparse.Namespace) -> int:
    from nst_desktop.io.images import save_image
    from nst_desktop.io.metadata import load_touches_file, run_metadata

    if ns.save_every < 0:
        raise ParamsError("--save-every must be 0 (off) or a positive number of steps.")
    params, inputs = _resolve_params(ns)
    touches = load_touches_file(ns.params) if ns.params is not None else Touches()
    content, styles, weights = _resolve_inputs(ns, inputs)
    out = check_output(ns.output, UsageError)
    # Everything a user can get wrong is refused above and here, before torch's import (seconds).
    targets = check_request(params, _explicit_params(ns), content, styles)
    if ns.params is not None and not ns.images:  # a replay decodes as the recorded run did
        from nst_desktop.io.metadata import load_record

        targets = replay_targets(load_record(ns.params), targets)
    from nst_desktop.cli.replay import recorded_history
    from nst_desktop.engine.stylize import DivergedRunError

    history = recorded_history(ns.params)
    try:
        result = _run(ns, params, content, styles, weights, out, history, targets)
    except DivergedRunError as exc:  # keep the last good image, then report as usual
        if exc.result is None:
            raise
        save_image(_touched(exc.result.image, content, touches), out, with_decoding(
                   run_metadata(exc.result, content, styles, weights, touches=touches,
                                continued_from=history[1]), targets))
        raise DivergedError(f"{exc.message} The last good image was saved to {out}.", exc.hint) from exc
    save_image(_touched(result.image, content, touches), out, with_decoding(
               run_metadata(result, content, styles, weights, touches=touches, continued_from=history[1]),
               targets))
    h, w = result.image.shape[:2]
    if result.stopped:
        print(f"{PROG}: stopped at step {result.steps_done}; saved the best image so far ({w}x{h}) to {out}",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    if not ns.quiet:
        print(f"Saved {out} ({w}x{h}, {result.steps_done} steps, "
              f"{result.elapsed_s:.1f} s on {result.device})", file=sys.stderr)
    return 0


# --- other commands --------------------------------------------------------------------------


def _cmd_presets(ns: argparse.Namespace) -> int:
    from nst_desktop.engine.presets import PRESETS

    defaults = DEFAULTS.to_dict()
    for name, preset in PRESETS.items():
        changed = {k: v for k, v in preset.to_dict().items() if v != defaults[k]}
        detail = ", ".join(f"{k}={v}" for k, v in changed.items()) or "the defaults"
        print(f"{name:12s} {detail}")
    return 0


def _cmd_weights_list(ns: argparse.Namespace) -> int:
    from nst_desktop.io.weights_store import list_weight_sets

    for row in list_weight_sets():
        state = "ready" if row.available else "not installed"
        print(f"{row.name:12s} {state:14s} {row.title}")
        if row.path:
            print(f"{'':27s} {row.path}")
        print(f"{'':27s} Licence: {row.licence}")
    return 0


def _cmd_weights_fetch(ns: argparse.Namespace) -> int:
    from nst_desktop.io.weights_store import fetch_torchvision

    def progress(done: int, total: int) -> None:
        if total > 0:
            sys.stderr.write(f"\rDownloading: {done / 2**20:.1f} / {total / 2**20:.1f} MiB")
            sys.stderr.flush()

    path = fetch_torchvision(progress)
    print(f"\nSaved the torchvision weights to {path}", file=sys.stderr)
    return 0


def _cmd_weights_import(ns: argparse.Namespace) -> int:
    from nst_desktop.io.weights_store import import_weights

    path = import_weights(ns.file)
    print(f"Imported {ns.file} as {path}; use it with --weights {path.stem}")
    return 0


def _cmd_self_test(ns: argparse.Namespace) -> int:
    from nst_desktop.selftest import run_self_test

    return run_self_test(ns.out)


# --- entry point -----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point; returns the exit status (0 ok, 1 error, 2 usage, 130 stopped)."""
    parser = build_parser()
    try:
        ns = parser.parse_args(argv)
        logging.basicConfig(level=logging.INFO if ns.verbose else logging.WARNING,
                            format=f"{PROG}: %(name)s: %(message)s")
        if not hasattr(ns, "func"):
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return int(ns.func(ns))
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except NSTError as exc:
        print(f"{PROG}: error: {exc.user_text()}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:  # a file problem io did not wrap: still one line, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"{PROG}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; nothing was saved", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SystemExit as exc:  # --help and --version exit through argparse
        return exc.code if isinstance(exc.code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
