"""The ``nst-desktop`` command line: render, batch, queue, weights, presets, self-test.

The render options are generated from the :class:`~nst_desktop.engine.spec.params.Params`
field metadata, so a new engine parameter appears here (and in ``--help``) without any
change to this file. User errors (bad file, bad value, missing weights) end the command
with exit status 1 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
import typing
from collections.abc import Sequence
from dataclasses import Field
from pathlib import Path
from typing import Any, NoReturn

from nst_desktop import __version__
from nst_desktop.cli.batch import add_batch_parser
from nst_desktop.cli.common import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE, PROG, UsageError
from nst_desktop.cli.farm import add_farm_parser
from nst_desktop.cli.mask_options import add_mask_options
from nst_desktop.cli.print_options import add_print_options
from nst_desktop.cli.progress import ProgressBar
from nst_desktop.cli.queue_cmd import add_queue_parser
from nst_desktop.cli.render import cmd_render
from nst_desktop.engine.spec.errors import NSTError, display_path
from nst_desktop.engine.spec.params import DEFAULTS, Params, param_fields

__all__ = ["EXIT_ERROR", "EXIT_INTERRUPTED", "EXIT_USAGE", "PROG", "ProgressBar", "UsageError",
           "build_parser", "main"]

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
    add_mask_options(p)
    add_print_options(p)
    add_param_options(p)
    p.set_defaults(func=cmd_render)


def add_param_options(p: argparse.ArgumentParser) -> None:
    """One option per Params field (render, batch, queue add)."""
    hints = typing.get_type_hints(Params)
    group = p.add_argument_group("parameters (generated from the engine's Params)")
    for f in param_fields():
        _add_param_option(group, f, hints[f.name])


def build_parser() -> argparse.ArgumentParser:
    """The full ``nst-desktop`` parser (public so tests and docs can inspect it)."""
    parser = _Parser(prog=PROG, description="Neural style transfer for artists.", allow_abbrev=False)
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log engine details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_render_parser(sub)
    add_batch_parser(sub, add_param_options)
    add_queue_parser(sub, add_param_options)
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
    add_farm_parser(sub)
    return parser


def _usage(parser: argparse.ArgumentParser) -> int:
    """A command group given without its action: show what it takes."""
    parser.print_help(sys.stderr)
    return EXIT_USAGE


# --- other commands --------------------------------------------------------------------------


def _cmd_presets(ns: argparse.Namespace) -> int:
    from nst_desktop.engine.spec.presets import PRESETS

    defaults = DEFAULTS.to_dict()
    for name, preset in PRESETS.items():
        changed = {k: v for k, v in preset.to_dict().items() if v != defaults[k]}
        detail = ", ".join(f"{k}={v}" for k, v in changed.items()) or "the defaults"
        print(f"{name:12s} {detail}")
    return 0


def _cmd_weights_list(ns: argparse.Namespace) -> int:
    from nst_desktop.io.weight_sets import list_weight_sets
    from nst_desktop.io.weights_store import damage

    for row in list_weight_sets():
        problem = damage(row) if row.available else None  # loads each file: "ready" must mean usable
        state = "not installed" if not row.available else "damaged" if problem else "ready"
        print(f"{row.name:12s} {state:14s} {row.title}")
        if row.path:
            print(f"{'':27s} {row.path}")
        if problem:
            print(f"{'':27s} damaged: {problem}")
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
        where = f"{display_path(exc.filename)}: " if exc.filename else ""
        print(f"{PROG}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; nothing was saved", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SystemExit as exc:  # --help and --version exit through argparse
        return exc.code if isinstance(exc.code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
