"""A batch: photos x looks x (optionally) a sweep of one setting -> queued jobs with file names.

Shared by ``nst-desktop batch`` and the window's Batch dialog, so a pattern names the same
files in both. A *look* is a tuple of styles (one style, or several blended). A file-name
pattern is a Python format string over these fields:

- ``{photo}``: the photo's file name without its extension;
- ``{style}``: the look's style names (stems), joined by ``+`` when blended;
- ``{n}``: the job's number in the batch, from 1 (``{n:03}`` pads it);
- ``{value}``: the swept setting's value ("" without a sweep), ``{setting}`` its name.

Its extension picks the format (.png, .jpg, .webp, .tif). Two jobs the pattern would give the same
name are refused before anything is queued. :func:`recipe_key` identifies what a job paints (the
recipe, its inputs' contents, the format): a rerun of a batch skips a job whose output already
carries that key (``queue.delivery`` marks every picture with it).
"""

from __future__ import annotations

import hashlib
import json
import os
import string
import typing
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from nst_desktop.engine.spec.errors import ImageError, ParamsError
from nst_desktop.engine.spec.params import Params, param_fields
from nst_desktop.queue.blobs import file_sha256
from nst_desktop.queue.store import Output
from nst_desktop.recipe.recipe import Recipe, StyleRef, to_record

DEFAULT_PATTERN = "{photo}_{style}_{n}.png"
PATTERN_FIELDS = ("photo", "style", "n", "value", "setting")


@dataclass(frozen=True)
class Sweep:
    """One setting (a ``Params`` field) and the values a batch paints it at."""

    setting: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class PlannedJob:
    """A job a batch would queue: what it paints, where, and its recipe key."""

    recipe: Recipe
    output: Output
    key: str


def photos_in(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The photos named: files as given, folders by their images (not recursive, sorted by name,
    hidden files skipped). A folder without images is refused, naming it."""
    from nst_desktop.io.formats import READABLE_SUFFIXES

    found: list[Path] = []
    for path in map(Path, paths):
        if not path.is_dir():
            found.append(path)  # a missing or unreadable file fails its own jobs, with the reason
            continue
        images = sorted(p for p in path.iterdir() if p.suffix.lower() in READABLE_SUFFIXES
                        and not p.name.startswith(".") and p.is_file())
        if not images:
            raise ImageError(path, "holds no photos (" + " ".join(READABLE_SUFFIXES) + ").")
        found += images
    return found


def parse_sweep(text: str) -> Sweep:
    """``style-weight=4,8,16`` -> Sweep("style_weight", (4.0, 8.0, 16.0)); ParamsError saying why not."""
    name, sep, values = text.partition("=")
    setting = name.strip().replace("-", "_")
    fields = {f.name: f for f in param_fields()}
    if not sep or setting not in fields or not values.strip():
        raise ParamsError(f"--sweep {text!r}: give SETTING=V1,V2,... with a setting such as style-weight.")
    kind = typing.get_type_hints(Params)[setting]
    if kind not in (int, float, str):
        raise ParamsError(f"--sweep: {name.strip()} cannot be swept (one number or word per value).")
    try:
        parsed = tuple(kind(v.strip()) for v in values.split(",") if v.strip())
        for value in parsed:
            Params().with_changes(**{setting: value})  # each value checked as the setting checks it
    except ParamsError as exc:
        raise ParamsError(f"--sweep {text!r}: {exc.message}", exc.hint) from exc
    except (TypeError, ValueError) as exc:
        raise ParamsError(f"--sweep {text!r}: {exc}") from exc
    return Sweep(setting, parsed)


def check_pattern(pattern: str) -> None:
    """ParamsError for a pattern with an unknown field, a folder in it, or no image extension."""
    from nst_desktop.io.images import FORMATS

    try:
        used = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    except ValueError as exc:
        raise ParamsError(f"--name {pattern!r}: {exc}.") from exc
    unknown = used - set(PATTERN_FIELDS)
    if unknown:
        raise ParamsError(f"--name {pattern!r}: unknown field {{{sorted(unknown)[0]}}}; "
                          f"use {', '.join('{' + f + '}' for f in PATTERN_FIELDS)}.")
    if "/" in pattern or os.sep in pattern:
        raise ParamsError(f"--name {pattern!r}: a file name, not a path (give the folder with -o).")
    if Path(pattern).suffix.lower() not in FORMATS:
        raise ParamsError(f"--name {pattern!r}: end it with one of {', '.join(sorted(FORMATS))}.")


def file_name(pattern: str, photo: str, look: Sequence[StyleRef], n: int, sweep: Sweep | None = None,
              value: Any = "") -> str:
    """The pattern's name for one job (see the module docstring); a "/" in a field becomes "_"."""
    fields = {"photo": Path(photo).stem, "style": "+".join(s.name for s in look), "n": n,
              "value": f"{value:g}" if isinstance(value, float) else str(value),
              "setting": sweep.setting.replace("_", "-") if sweep else ""}
    safe = {k: v.replace("/", "_").replace(os.sep, "_") if isinstance(v, str) else v
            for k, v in fields.items()}
    return pattern.format(**safe)


def plan(photos: Sequence[str | os.PathLike[str]], looks: Sequence[Sequence[StyleRef]], base: Recipe,
         folder: str | os.PathLike[str], pattern: str = DEFAULT_PATTERN,
         sweep: Sweep | None = None) -> list[PlannedJob]:
    """One job per photo x look x sweep value (photo first), ``base``'s settings, touches and mask.
    ParamsError when the pattern would give two jobs one name."""
    check_pattern(pattern)
    values: Sequence[Any] = sweep.values if sweep is not None else ("",)
    planned: list[PlannedJob] = []
    names: dict[str, int] = {}
    for photo in map(str, photos):
        for look in looks:
            for value in values:
                n = len(planned) + 1
                name = file_name(pattern, photo, look, n, sweep, value)
                if name in names:
                    raise ParamsError(f"--name {pattern!r} names jobs {names[name]} and {n} both {name!r}; "
                                      "add {n} (or {value}, {photo}, {style}) to it.")
                names[name] = n
                params = (base.params.with_changes(**{sweep.setting: value}) if sweep is not None
                          else base.params)
                recipe = replace(base, photo=photo, styles=tuple(look), params=params).fresh()
                output = Output(str(folder), name)
                planned.append(PlannedJob(recipe, output, recipe_key(recipe, output)))
    return planned


def recipe_key(recipe: Recipe, output: Output) -> str:
    """What a job paints: its recipe's record, its inputs' contents (a changed photo of the same
    name paints anew) and its output format. A file that cannot be read is keyed by its name."""
    params = recipe.params
    files = [recipe.photo, *recipe.style_paths, *([params.init_image] if params.init == "image"
                                                   and params.init_image else [])]
    contents = []
    for path in files:
        try:
            contents.append(file_sha256(path))
        except ImageError:
            contents.append(f"unreadable:{path}")
    text = json.dumps({"recipe": to_record(recipe), "contents": contents, "format": output.format},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
