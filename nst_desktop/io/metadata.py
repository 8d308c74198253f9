"""What is saved with every result so that it can be understood and repeated later.

A result carries one JSON object (in the PNG, or beside a JPEG/WebP/TIFF file)::

    {"app": "NST Desktop", "version": "0.1.0", "schema": 1, "created": "2025-...Z",
     "params": {...every Params field...},
     "inputs": {"content": "/path/photo.jpg", "styles": ["/path/a.jpg"], "style_weights": [1.0]},
     "seed": 0, "device": "cpu", "steps": 200, "elapsed_s": 12.3, "stopped": false,
     "losses": {"content": ..., "style": ..., "tv": ..., "total": ...},
     "touches": {"keep_photo_colours": true, "fade": 0.25}}

``touches`` (the after-touches, engine/spec/touches.py) is written only when they change
something; a record without it is an untouched picture.

Reading is forgiving about versions (unknown keys are ignored, missing ones take their
defaults) and strict about nonsense (a wrong type raises :class:`ParamsError` naming
the key), so ``--params old_result.png`` keeps working as the app grows.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import math
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

from nst_desktop import __version__
from nst_desktop.engine.spec.errors import ImageError, ParamsError
from nst_desktop.engine.spec.events import RunResult
from nst_desktop.engine.spec.live import Edit, edits_from_list
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.touches import Touches
from nst_desktop.io.images import read_metadata
from nst_desktop.io.masks import edit_record, with_repaints

log = logging.getLogger(__name__)

T = TypeVar("T")

APP_NAME = "NST Desktop"
SCHEMA = 1

Inputs = dict[str, Any]
"""``{"content": str | None, "styles": [str, ...], "style_weights": [float, ...]}``"""


def _finite_or_none(value: float) -> float | None:
    # JSON has no NaN or infinity; writing them would make the file unreadable elsewhere.
    return float(value) if math.isfinite(value) else None


def _path_text(path: str | os.PathLike[str] | None) -> str | None:
    if path is None:
        return None
    # Absolute so that --params works from another working directory.
    return str(Path(path).expanduser().resolve())


def run_metadata(
    result: RunResult,
    content_path: str | os.PathLike[str] | None,
    style_paths: list[Path] | list[str] | list[str | os.PathLike[str]],
    style_weights: list[float] | None = None,
    *,
    created: datetime | None = None,
    touches: Touches | None = None,
    continued_from: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON-able record of one run, ready for :func:`io.images.save_image`.

    ``params`` are those the run started with; live edits made during it are in ``edits``
    (replayed by ``stylize(edits=...)``). A promoted run records the picture it went on
    from as ``continued_from`` (that picture's own record), so it can be repeated too.
    """
    weights = list(style_weights) if style_weights is not None else [1.0] * len(style_paths)
    if len(weights) != len(style_paths):
        raise ParamsError(f"Give one weight per style image ({len(style_paths)}), not {len(weights)}.")
    when = created or datetime.now(UTC)
    record: dict[str, Any] = {
        "app": APP_NAME,
        "version": __version__,
        "schema": SCHEMA,
        "created": when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "params": result.params.to_dict(),
        "inputs": {
            "content": _path_text(content_path),
            "styles": [_path_text(p) for p in style_paths],
            "style_weights": [float(w) for w in weights],
        },
        "seed": result.params.seed,
        "device": result.device,
        "steps": result.steps_done,
        "elapsed_s": round(float(result.elapsed_s), 3),
        "stopped": bool(result.stopped),
        "losses": {str(k): _finite_or_none(v) for k, v in result.losses.items()},
    }
    if result.stopped:  # the picture's real size: a stop can come before the last scale
        record[STOPPED_AT_KEY] = {"px": int(max(result.image.shape[:2])), "of": int(result.params.size)}
    if result.edits:
        record[EDITS_KEY] = [edit_record(edit) for edit in result.edits]  # a repaint: its pixels too
    if continued_from is not None:
        record[CONTINUED_KEY] = {k: v for k, v in continued_from.items() if k != TOUCHES_KEY}
    return with_touches(record, touches or Touches())


# --- live edits and promotion ------------------------------------------------------------------

EDITS_KEY = "edits"
STOPPED_AT_KEY = "stopped_at"


def stopped_at_text(data: Any) -> str:
    """'Stopped at 256 px of 512' for a record of a stopped run, else ''."""
    stop = data.get(STOPPED_AT_KEY) if isinstance(data, dict) else None
    if not isinstance(stop, dict) or not all(isinstance(stop.get(k), int) for k in ("px", "of")):
        return ""
    return f"Stopped at {stop['px']} px of {stop['of']}"
CONTINUED_KEY = "continued_from"


def edits_from_metadata(data: Any) -> tuple[Edit, ...]:
    """The live edits of a record (none when absent), a repainted mask as a RegionMask;
    ParamsError when malformed."""
    return edits_from_list(with_repaints(data.get(EDITS_KEY))) if isinstance(data, dict) else ()


def continued_from_metadata(data: Any) -> dict[str, Any] | None:
    """The record of the picture a promoted run went on from, or None for a fresh run."""
    source = data.get(CONTINUED_KEY) if isinstance(data, dict) else None
    if source is not None and not isinstance(source, dict):
        raise ParamsError(f"'{CONTINUED_KEY}' must be a JSON object.")
    return source


# --- after-touches -----------------------------------------------------------------------------

TOUCHES_KEY = "touches"


def with_touches(metadata: dict[str, Any], touches: Touches) -> dict[str, Any]:
    """A copy of ``metadata`` recording ``touches`` (no ``touches`` key when they are identity)."""
    record = {key: value for key, value in metadata.items() if key != TOUCHES_KEY}
    if not touches.is_identity:
        record[TOUCHES_KEY] = touches.to_dict()
    return record


def touches_from_metadata(data: Any) -> Touches:
    """The after-touches recorded by :func:`run_metadata` (identity when there are none);
    :class:`ParamsError` when the record holds nonsense."""
    if not isinstance(data, dict) or data.get(TOUCHES_KEY) is None:
        return Touches()
    return Touches.from_dict(data[TOUCHES_KEY])


# --- reading back ---------------------------------------------------------------------------


@functools.cache  # Params is fixed: its hints once (evaluating them took 9 ms per record read)
def _field_types() -> dict[str, Any]:
    return get_type_hints(Params)


def _accepts(hint: Any, value: Any) -> bool:
    """Whether a JSON ``value`` can stand for a field annotated ``hint``."""
    origin = get_origin(hint)
    args = get_args(hint)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str or origin is Literal:
        return isinstance(value, str)
    if hint is type(None):
        return value is None
    if origin is tuple:
        return isinstance(value, (list, tuple)) and all(_accepts(args[0], v) for v in value)
    if args:  # a union such as str | None
        return any(_accepts(arg, value) for arg in args)
    return True  # an annotation we do not know how to check: leave it to Params.validate


def _check_types(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with integral floats (``512.0``, as some JSON writers emit) made ints;
    :class:`ParamsError` naming the key for a value of the wrong type."""
    hints = _field_types()
    out = dict(data)
    for key, value in data.items():
        if key not in hints:
            continue
        if hints[key] is int and isinstance(value, float) and value.is_integer():
            out[key] = int(value)
        elif not _accepts(hints[key], value):
            raise ParamsError(f"Invalid parameter {key!r}: {value!r} is not a valid value.")
    return out


def _split(data: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """(params dict, inputs) from a full metadata record or a bare params dict."""
    if "params" in data:
        params = data["params"]
        if not isinstance(params, dict):
            raise ParamsError("The 'params' entry is not a JSON object.")
        return params, data.get("inputs")
    known = {f.name for f in dataclasses.fields(Params)}
    if not known & set(data):
        raise ParamsError("No NST Desktop parameters found (neither a 'params' object nor any parameter).")
    return data, data.get("inputs")


def _clean_inputs(raw: Any) -> Inputs:
    """Inputs with the expected types; anything malformed is dropped, not fatal, since the
    params alone are enough to repeat a look on other images."""
    inputs: Inputs = {"content": None, "styles": [], "style_weights": []}
    if not isinstance(raw, dict):
        return inputs
    if isinstance(raw.get("content"), str):
        inputs["content"] = raw["content"]
    styles = raw.get("styles")
    if isinstance(styles, list) and all(isinstance(s, str) for s in styles):
        inputs["styles"] = list(styles)
    weights = raw.get("style_weights")
    if (isinstance(weights, list) and len(weights) == len(inputs["styles"])
            and all(isinstance(w, (int, float)) and not isinstance(w, bool) for w in weights)):
        inputs["style_weights"] = [float(w) for w in weights]
    else:
        inputs["style_weights"] = [1.0] * len(inputs["styles"])
    return inputs


def params_from_metadata(data: Any) -> tuple[Params, Inputs]:
    """Rebuild the :class:`Params` and the inputs from :func:`run_metadata`'s record
    (or from a bare params dict). Unknown keys are ignored, missing ones take defaults;
    wrong types and out-of-range values raise :class:`ParamsError`."""
    if not isinstance(data, dict):
        raise ParamsError(f"Expected a JSON object with parameters, not {type(data).__name__}.")
    raw_params, raw_inputs = _split(data)
    unknown = sorted(set(raw_params) - {f.name for f in dataclasses.fields(Params)} - {"inputs"})
    if unknown:
        log.info("Ignoring unknown parameters (from a newer version?): %s", ", ".join(unknown))
    params = Params.from_dict(_check_types(raw_params))
    return params, _clean_inputs(raw_inputs)


def inputs_from_metadata(data: Any) -> Inputs:
    """The inputs of a record, well-typed (empty where missing), even when its params are broken."""
    return _clean_inputs(data.get("inputs") if isinstance(data, dict) else None)


def parse_file(path: str | os.PathLike[str], parse: Callable[[Any], T], record: Any = None) -> T:
    """``parse`` applied to the record of ``path`` (read here unless given), with any
    ParamsError prefixed by the file's name so the user knows which file is wrong."""
    file = Path(path)
    data = _read_record(file) if record is None else record
    try:
        return parse(data)
    except ParamsError as exc:
        raise ParamsError(f"{file}: {exc.message}", hint=exc.hint) from exc


def load_params_file(path: str | os.PathLike[str]) -> tuple[Params, Inputs]:
    """Params and inputs from a result image (PNG chunk, sidecar or embedded copy), a
    sidecar, or a bare params JSON file; :class:`ParamsError` naming the file otherwise."""
    return parse_file(path, params_from_metadata)


def load_touches_file(path: str | os.PathLike[str]) -> Touches:
    """The after-touches recorded in the same files as :func:`load_params_file` reads."""
    return parse_file(path, touches_from_metadata)


def load_record(path: str | os.PathLike[str]) -> Any:
    """The whole JSON record of a result (params, inputs, edits, continued_from...)."""
    return _read_record(Path(path))


#: A record is a few kB (a few MB with repainted masks); a larger JSON file is not one.
MAX_RECORD_BYTES = 64 << 20


def _read_record(file: Path) -> Any:
    """The JSON record of a result image or a JSON file; :class:`ParamsError` naming the file."""
    if not file.is_file():
        reason = "is a folder" if file.is_dir() else "file not found"
        raise ParamsError(f"{file}: {reason}.")
    if file.suffix.lower() == ".json":
        if file.stat().st_size > MAX_RECORD_BYTES:
            raise ParamsError(f"{file}: {file.stat().st_size:,} bytes is too large for a record "
                              f"(at most {MAX_RECORD_BYTES:,}).")
        try:
            return json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ParamsError(f"{file}: not a valid JSON file ({exc}).") from exc
        except RecursionError as exc:  # json's parser recurses per level: [[[[...]]]] blows the stack
            raise ParamsError(f"{file}: not a record (its JSON is nested too deeply).") from exc
    try:
        data = read_metadata(file)
    except ImageError as exc:
        raise ParamsError(f"{file}: {exc.reason}") from exc
    except RecursionError as exc:  # the same JSON inside a picture (PNG chunk, sidecar)
        raise ParamsError(f"{file}: not a record (its JSON is nested too deeply).") from exc
    if data is None:
        raise ParamsError(f"{file}: no NST Desktop parameters found in this file.",
                          hint="Use an image saved by NST Desktop, its .json sidecar, or a params JSON.")
    return data
