"""``nst-desktop render``'s options turned into a Recipe, once (issue 17.1).

The argparse namespace ends here: :func:`recipe_from_options` builds the
:class:`~nst_desktop.recipe.recipe.Recipe` (what to paint) and :func:`render_options` what else
the command asks (:class:`RenderOptions`: where to save, frames, quiet, the ``--params`` record).
Everything below (cli.render, cli.checks, the recipe package) takes those, never the namespace.

Precedence of settings: explicit options > --preset > --params FILE > defaults. A ``--params``
record becomes a recipe through the one conversion, :func:`nst_desktop.recipe.recipe.from_record`
(checked whole first), with a refusal naming the file.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from nst_desktop.cli.checks import check_explicit_min_size, check_output_folder
from nst_desktop.cli.common import PROG, UsageError
from nst_desktop.cli.mask_options import MaskOptions, resolve_mask
from nst_desktop.cli.print_options import PrintOptions, print_options
from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.params import DEFAULTS, Params, param_fields
from nst_desktop.queue.batch import PlannedJob, parse_sweep, photos_in, plan
from nst_desktop.recipe.recipe import Recipe, StyleRef, from_record
from nst_desktop.recipe.validate import check_blend


@dataclass(frozen=True)
class RenderOptions:
    """What ``render`` asks besides the recipe: where the picture goes and how the run is shown.

    ``record``: the ``--params`` file's record, read once (``params_file``); a replay (no CONTENT
    STYLE given) decodes its inputs as that run did (``replaying``). ``printing``: ``--print``
    and ``--dpi`` (cli.print_options).
    """

    output: Path | None
    save_every: int = 0
    quiet: bool = False
    params_file: Path | None = None
    record: Any = None
    mask_file: Path | None = None
    replaying: bool = False
    printing: PrintOptions = PrintOptions()

    def note(self, text: str) -> None:
        """Tell the user something about the run (a mask stretched...), unless ``--quiet``."""
        if not self.quiet:
            print(f"{PROG}: {text}", file=sys.stderr)


def render_options(ns: argparse.Namespace) -> RenderOptions:
    """The command's own options; the ``--params`` file is read here, once."""
    if ns.save_every < 0:
        raise ParamsError("--save-every must be 0 (off) or a positive number of steps.")
    record = None
    if ns.params is not None:
        from nst_desktop.io.metadata import load_record

        record = load_record(ns.params)
    return RenderOptions(ns.output, ns.save_every, ns.quiet, ns.params, record, ns.mask,
                         replaying=record is not None and not ns.images, printing=print_options(ns))


def explicit_params(ns: argparse.Namespace) -> dict[str, Any]:
    """The Params fields given on the command line (argparse.SUPPRESS keeps the others out)."""
    given = {f.name: getattr(ns, f.name) for f in param_fields() if hasattr(ns, f.name)}
    given = {k: tuple(v) if isinstance(v, list) else v for k, v in given.items()}
    if "init_image" in given and "init" not in given:
        given["init"] = "image"  # giving a start image means "start from it"
    return given


def settings_over(ns: argparse.Namespace, base: Params) -> Params:
    """``base`` (the defaults, or a ``--params`` record's settings) under ``--preset`` and then the
    explicit options: the one precedence of ``render``, ``batch`` and ``queue add``."""
    from nst_desktop.engine.spec.presets import apply_preset

    explicit = explicit_params(ns)
    params = base if ns.preset is None else apply_preset(base, ns.preset)
    try:
        params = params.with_changes(**explicit)
    except (TypeError, ValueError) as exc:
        raise ParamsError(f"Invalid parameters: {exc}") from exc
    check_explicit_min_size(params, explicit)
    return params


def recipe_from_options(ns: argparse.Namespace, options: RenderOptions) -> Recipe:
    """The recipe the command line describes: CONTENT STYLE... (or the ``--params`` record's),
    its settings by precedence, ``--style-weights`` and the mask options; refused (one line,
    before torch's import) where the options or the record cannot make one."""
    recipe = _base_recipe(ns, options, "weights" not in explicit_params(ns))
    recipe = recipe.with_params(settings_over(ns, recipe.params))
    recipe = options.printing.sized(recipe, _photo_wh, "size" in explicit_params(ns))
    if ns.style_weights is not None:
        recipe = _with_style_weights(recipe, ns.style_weights)
    mask_options = _mask_options(ns)
    if options.record is not None:  # from_record read --mask's pixels, under the record's settings
        mask_options = replace(mask_options, file=None)
    if recipe.mask is None and mask_options == MaskOptions():
        return recipe  # the common case: no Pillow import
    hw = recipe.mask.hw if recipe.mask is not None else _photo_hw(recipe.photo)
    return replace(recipe, mask=resolve_mask(mask_options, len(recipe.styles), hw, options.note, recipe.mask))


def _base_recipe(ns: argparse.Namespace, options: RenderOptions, own_weights: bool) -> Recipe:
    """The photo and styles of the positionals or the --params record, with the record's
    settings, after-touches, live edits, earlier picture and mask (``--mask``'s pixels instead)."""
    images = [str(Path(p)) for p in ns.images]
    if images and len(images) < 2:
        raise UsageError("render needs a CONTENT image and at least one STYLE image")
    if options.record is None:
        if not images:
            raise UsageError("render needs a CONTENT image and at least one STYLE image (or --params FILE)")
        return Recipe(images[0], tuple(StyleRef(p) for p in images[1:]), DEFAULTS)
    from nst_desktop.io.metadata import parse_file

    assert options.params_file is not None  # a record comes from its file
    folder = options.params_file.parent
    return parse_file(options.params_file, lambda record: from_record(
        record, folder=folder, photo_hw=_photo_hw, inputs=(images[0], images[1:]) if images else None,
        check_weights=own_weights, mask_file=ns.mask, note=options.note), options.record)


def _mask_options(ns: argparse.Namespace) -> MaskOptions:
    return MaskOptions(ns.mask, tuple(ns.region), ns.unpainted, ns.feather)


def _with_style_weights(recipe: Recipe, weights: list[float]) -> Recipe:
    if len(weights) != len(recipe.styles):
        raise ParamsError(f"--style-weights: give one weight per style image ({len(recipe.styles)}), "
                          f"not {len(weights)}.")
    check_blend(weights, "--style-weights")  # named as given; recipe.validate checks the blend again
    return recipe.with_styles(recipe.style_paths, weights)


def _photo_wh(photo: str) -> tuple[int, int]:
    """The photo's (width, height), from its header."""
    from nst_desktop.io.images import image_size

    return image_size(photo)


def _photo_hw(photo: str) -> tuple[int, int]:
    """The photo's (height, width), from its header."""
    from nst_desktop.io.images import image_size

    width, height = image_size(photo)
    return height, width


# --- batch and queue add: photos x looks (x a sweep) on one base recipe -------------------------


def planned_jobs(ns: argparse.Namespace) -> list[PlannedJob]:
    """The batch's jobs from the options; everything wrong with the options is said here, once."""
    from nst_desktop.recipe.validate import check_blend, check_settings

    record = _params_record(ns)
    params = settings_over(ns, _record_params(ns, record))
    check_settings(params)
    styles = [str(s) for s in ns.styles]
    if ns.style_weights is not None or ns.blend:
        weights = ns.style_weights or [1.0] * len(styles)
        if len(weights) != len(styles):
            raise ParamsError(f"--style-weights: give one weight per style image ({len(styles)}), "
                              f"not {len(weights)}.")
        check_blend(weights, "--style-weights")
        blended = tuple(StyleRef(s, w) for s, w in zip(styles, weights, strict=True))
        looks: list[tuple[StyleRef, ...]] = [blended]
    else:
        looks = [(StyleRef(s),) for s in styles]
    sweep = parse_sweep(ns.sweep) if ns.sweep else None
    folder = check_output_folder(ns.output)
    base = Recipe("", (), params, touches=_touches(ns, record))
    return plan(photos_in(ns.photos), looks, base, folder.resolve(), ns.name, sweep)


def _params_record(ns: argparse.Namespace) -> Any:
    if ns.params is None:
        return None
    from nst_desktop.io.metadata import load_record, parse_file
    from nst_desktop.io.records import check_record

    record = load_record(ns.params)
    parse_file(ns.params, lambda data: check_record(data, None, weights="weights" not in vars(ns)), record)
    if isinstance(record, dict) and record.get("mask") is not None:  # drawn on one photo: not the batch's
        print(f"{PROG}: the mask of {ns.params} is not used: a batch paints other photos", file=sys.stderr)
    return record


def _record_params(ns: argparse.Namespace, record: Any) -> Params:
    """The ``--params`` record's settings (the defaults without one); its inputs are not used."""
    if record is None:
        return DEFAULTS
    from nst_desktop.io.metadata import params_from_metadata, parse_file

    return parse_file(ns.params, params_from_metadata, record)[0]


def _touches(ns: argparse.Namespace, record: Any) -> Any:
    from nst_desktop.engine.spec.touches import Touches

    if record is None:
        return Touches()
    from nst_desktop.io.metadata import parse_file, touches_from_metadata

    return parse_file(ns.params, touches_from_metadata, record)
