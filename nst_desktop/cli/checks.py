"""What ``nst-desktop render`` checks before it imports torch.

Importing torch takes 2 to 5 seconds; a typo in a file name or a setting the run cannot
use must be answered at once, with one line, not after that wait (nor after a whole
render). So every check that needs no torch runs here first: the settings against each
other, the image files (read from their headers only), the weight set and the output.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nst_desktop.engine.spec.errors import ImageError, ParamsError
from nst_desktop.engine.spec.params import Params, check_precision
from nst_desktop.engine.spec.schedule import check_shape
from nst_desktop.recipe.decoding import DecodeTargets, decode_targets


def check_settings(params: Params, explicit: Mapping[str, Any]) -> None:
    """Settings that are valid one by one but not together (Params checks each alone)."""
    if "min_size" in explicit and params.min_size > params.size:
        raise ParamsError(f"--min-size {params.min_size} is larger than the output size "
                          f"(--size {params.size}).",
                          hint="Give a smaller --min-size, or the same value to turn coarse-to-fine off.")
    if params.device == "cpu":  # "auto" can only be resolved with torch: stylize checks that one
        check_precision(params.precision, "cpu")


def check_blend(weights: Sequence[float], n_styles: int) -> list[float]:
    """One finite, non-negative weight per style, not all zero; no more styles than a run can hold."""
    from nst_desktop.io.records import MAX_STYLES

    if n_styles > MAX_STYLES:
        raise ParamsError(f"{n_styles} style images: at most {MAX_STYLES} can be blended.")
    if len(weights) != n_styles:
        raise ParamsError(
            f"--style-weights: give one weight per style image ({n_styles}), not {len(weights)}.")
    if not all(math.isfinite(w) and w >= 0 for w in weights) or sum(weights) <= 0:
        raise ParamsError("--style-weights must be finite, non-negative and not all zero.")
    return [float(w) for w in weights]


def check_images(paths: Sequence[Path]) -> list[tuple[int, int]]:
    """(width, height) of each image, read from its header: a missing, unreadable, broken,
    truncated or too large file, a pipe or a device, is refused here, naming it, before anything
    is decoded (a truncated JPEG or PNG is found from its end, see ``check_complete``)."""
    from nst_desktop.io.decoding import check_complete
    from nst_desktop.io.images import DEFAULT_MAX_PIXELS, image_size

    sizes = []
    for path in paths:
        if path.is_file() and not os.access(path, os.R_OK):
            raise ImageError(path, "permission denied: the file cannot be read.")
        sizes.append(image_size(path))
        check_complete(path, DEFAULT_MAX_PIXELS)
    return sizes


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


def check_request(params: Params, explicit: Mapping[str, Any], content: Path,
                  styles: Sequence[Path]) -> DecodeTargets:
    """Every torch-free check of a render, in the order a user fixes them; returns how large
    each input must be decoded."""
    check_settings(params, explicit)
    init = [Path(params.init_image)] if params.init == "image" and params.init_image else []
    sizes = check_images([content, *styles, *init])
    check_shape(params, sizes[0], str(content))  # (w, h): the order does not matter to a shape
    if params.weights != "caffe":
        from nst_desktop.io.weight_sets import check_spec

        check_spec(params.weights)  # a missing file, a folder, or one torch.save did not write
    return decode_targets(params, sizes[1:1 + len(styles)])
