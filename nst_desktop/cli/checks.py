"""What only ``nst-desktop render`` checks, before it imports torch: its output and its options.

Importing torch takes 2 to 5 seconds; a mistake must be answered at once, with one line, not
after that wait (nor after a whole render). The recipe itself (settings, files, mask, record)
has its one check, :func:`nst_desktop.recipe.validate.check`; here are the command line's own:
the output (its format, folder, name, and that it writes over no input) and an explicit
``--min-size`` above the output size.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nst_desktop.engine.spec.errors import ImageError, ParamsError
from nst_desktop.engine.spec.params import Params
from nst_desktop.recipe.recipe import Recipe


def check_explicit_min_size(params: Params, explicit: Mapping[str, Any]) -> None:
    """An explicit --min-size above the output size (a record's or a preset's is clamped)."""
    if "min_size" in explicit and params.min_size > params.size:
        raise ParamsError(f"--min-size {params.min_size} is larger than the output size "
                          f"(--size {params.size}).",
                          hint="Give a smaller --min-size, or the same value to turn coarse-to-fine off.")


def check_output(out: Path | None, usage_error: type[Exception]) -> Path:
    """Fail before a long run, not after it, if the output cannot be written."""
    if out is None:
        raise usage_error("render needs an output file: -o OUT.png")
    from nst_desktop.io.atomic import missing_folder_reason
    from nst_desktop.io.images import FORMATS, check_output_name

    if out.suffix.lower() not in FORMATS:
        raise ImageError(out, f"unsupported output format {out.suffix or '(none)'!r}; "
                         f"use one of {', '.join(sorted(FORMATS))}")
    if out.is_dir():
        raise ImageError(out, "is a folder; give a file name such as painting.png")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise ImageError(out, missing_folder_reason(folder))
    check_output_name(out)  # the render writes its record beside a JPEG, WebP or TIFF
    if not os.access(folder, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise ImageError(out, "cannot write here (permission denied)")
    return out


def frame_path(out: Path, step: int) -> Path:
    """Where ``--save-every`` saves the picture of ``step``: OUT_NNNN.ext."""
    return out.with_name(f"{out.stem}_{step:04d}{out.suffix}")


def check_companion_names(out: Path, save_every: int, masked: bool) -> None:
    """The frames and the mask PNG written beside OUT have longer names than OUT: a name too
    long for them is said now, not at the first frame or after the whole render."""
    from nst_desktop.io.images import check_output_name
    from nst_desktop.io.masks import mask_path_for

    companions = ([frame_path(out, 0)] if save_every else []) + ([mask_path_for(out)] if masked else [])
    for companion in companions:
        check_output_name(companion, with_record=False)


def check_not_an_input(out: Path, recipe: Recipe, params_file: Path | None, mask_file: Path | None) -> None:
    """Refuse an output (or its sidecar, or its mask PNG) that would write over an input: the
    photo, a style, the start image, the --params record or the --mask file."""
    from nst_desktop.io.overwrite import overwritten_input

    params = recipe.params
    inputs = [("the photo", recipe.photo), *(("a style image", s) for s in recipe.style_paths),
              ("the start image", params.init_image if params.init == "image" else None),
              ("the --params record", params_file), ("the --mask file", mask_file)]
    clash = overwritten_input(out, inputs, mask=recipe.mask is not None)
    if clash is not None:
        written, role = clash
        raise ImageError(written, f"is {role} of this render; writing there would destroy it.",
                         hint="Choose another output name with -o.")


def check_output_folder(folder: Path) -> Path:
    """The folder a batch writes to, made if missing; ImageError naming it when it cannot be."""
    if folder.exists() and not folder.is_dir():
        raise ImageError(folder, "is a file; -o takes the folder the pictures go to.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImageError(folder, f"cannot create the output folder ({exc.strerror or exc}).") from exc
    return folder
