"""The style-transfer run: coarse-to-fine optimisation of an image against VGG19 targets.

``stylize`` is the engine's one entry point for a run. It takes and returns NumPy images
(RGB, float32, 0..1), reports a :class:`ProgressEvent` after every step, honours
pause/resume/stop through :class:`RunControl`, and turns NaNs and out-of-memory
conditions into the typed errors of :mod:`nst_desktop.engine.errors`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor

from nst_desktop.engine import colour
from nst_desktop.engine.cost import Estimate, estimate
from nst_desktop.engine.devices import autocast_dtype, pick_device, use_channels_last
from nst_desktop.engine.errors import DivergedError, ImageError, OutOfMemoryError, ParamsError
from nst_desktop.engine.events import (
    ImageArray,
    ProgressCallback,
    RunControl,
    RunResult,
    StyleInput,
)
from nst_desktop.engine.losses import Targets, gram_matrix, total_loss
from nst_desktop.engine.params import Params
from nst_desktop.engine.runstate import Recolour, RunState, to_array, to_preview
from nst_desktop.engine.schedule import scale_sizes, steps_per_scale
from nst_desktop.engine.vgg import VGG19
from nst_desktop.engine.weights import WeightSet, load_caffe_weights

__all__ = ["DivergedRunError", "Estimate", "estimate", "stylize", "to_array", "to_preview"]

log = logging.getLogger(__name__)

_model_lock = threading.Lock()
_model_cache: dict[tuple[int, str, str, str, bool], tuple[WeightSet, VGG19]] = {}


class DivergedRunError(DivergedError):
    """A :class:`DivergedError` that carries the last good image in ``result``."""

    def __init__(self, message: str, result: RunResult) -> None:
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class _Inputs:
    """Run inputs as tensors (1, 3, H, W) at full resolution, colour mode applied."""

    content: Tensor  # what the content loss and "content" init see
    chroma: Tensor  # the original content, whose colours luminance mode puts back
    styles: list[tuple[Tensor, float]]  # (image, normalised blend weight)
    init: Tensor | None


def _get_model(
    weights: WeightSet, pooling: str, device: torch.device, dtype: torch.dtype | None
) -> VGG19:
    """Build (once per weight set, pooling, device and compute dtype) the VGG19 module."""
    key = (id(weights), pooling, str(device), str(dtype), use_channels_last(device))
    with _model_lock:
        if key not in _model_cache:
            _model_cache.clear()  # keep one model: each holds 80 MB of weights
            model = VGG19(weights, "max" if pooling == "max" else "avg").to(device)
            if dtype is not None:
                model.set_compute_dtype(dtype)
            if use_channels_last(device):
                model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
            _model_cache[key] = (weights, model)  # the WeightSet keeps its id() valid
        return _model_cache[key][1]


def _to_tensor(image: ImageArray, what: str, device: torch.device) -> Tensor:
    array = np.asarray(image)
    if array.ndim != 3 or array.shape[2] != 3 or min(array.shape[:2]) < 1:
        raise ImageError(what, f"expected an RGB image array (H, W, 3), got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ImageError(what, "the image contains NaN or infinite values")
    tensor = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
    return tensor.permute(2, 0, 1).unsqueeze(0).clamp(0.0, 1.0).to(device).contiguous()


def resize(image: Tensor, hw: tuple[int, int]) -> Tensor:
    """Bicubic resize, antialiased when shrinking, clamped to 0..1."""
    if tuple(image.shape[-2:]) == hw:
        return image
    shrinking = hw[0] * hw[1] < image.shape[-2] * image.shape[-1]
    out = F.interpolate(image, size=hw, mode="bicubic", align_corners=False, antialias=shrinking)
    return out.clamp(0.0, 1.0)


def _prepare(
    content: ImageArray, styles: Sequence[StyleInput], params: Params, init_image: ImageArray | None,
    device: torch.device,
) -> _Inputs:
    if not styles:
        raise ParamsError("Choose at least one style image.")
    total = sum(max(0.0, s.weight) for s in styles)
    if total <= 0 or not all(np.isfinite(s.weight) for s in styles):
        raise ParamsError("Style weights must be non-negative numbers and not all zero.")
    chroma = _to_tensor(content, "content image", device)
    style_ts = [_to_tensor(s.image, s.name or f"style image {i + 1}", device) for i, s in enumerate(styles)]
    weights = [max(0.0, s.weight) / total for s in styles]
    run_content = chroma
    if params.colour == "luminance":
        run_content = colour.luminance(chroma)
        style_ts = [colour.match_luminance(s, chroma).clamp(0, 1) for s in style_ts]
    elif params.colour == "histogram":
        style_ts = [colour.match_histogram(s[0], chroma[0]).unsqueeze(0).clamp(0, 1) for s in style_ts]
    init = None
    if params.init == "image":
        if init_image is None:
            raise ParamsError("'Start from: image' needs a start image.")
        init = _to_tensor(init_image, params.init_image or "start image", device)
        if params.colour == "luminance":
            init = colour.luminance(init)
    return _Inputs(run_content, chroma, list(zip(style_ts, weights, strict=True)), init)


def _initial(params: Params, inputs: _Inputs, hw: tuple[int, int], gen: torch.Generator) -> Tensor:
    device = inputs.content.device
    if params.init == "noise":
        # Drawn on the CPU from a local generator: identical on every device and thread.
        return torch.rand((1, 3, *hw), generator=gen).to(device)
    if params.init == "style":
        return resize(inputs.styles[0][0], hw)
    if params.init == "image" and inputs.init is not None:
        return resize(inputs.init, hw)
    return resize(inputs.content, hw)


def _style_hw(style: Tensor, hw: tuple[int, int], style_scale: float) -> tuple[int, int]:
    """Style size with style_scale^2 times the output's pixel count, keeping its aspect.

    Matching areas rather than long sides keeps brush strokes the same size relative to
    the output even when the style is portrait and the photo landscape.
    """
    sh, sw = style.shape[-2:]
    factor = style_scale * (hw[0] * hw[1] / (sh * sw)) ** 0.5
    return max(16, round(sh * factor)), max(16, round(sw * factor))


def _targets(model: VGG19, inputs: _Inputs, params: Params, hw: tuple[int, int]) -> Targets:
    device = inputs.content.device
    content_layers = [name for name, w in zip(params.content_layers, params.content_layer_weights,
                                              strict=True) if w]
    with torch.inference_mode():
        content: dict[str, Tensor] = {}
        if content_layers:
            feats = model(_layout(resize(inputs.content, hw), device), content_layers)
            content = {k: v.float() for k, v in feats.items()}
        style: dict[str, list[tuple[Tensor, float]]] = {layer: [] for layer in params.style_layers}
        for image, blend in inputs.styles:
            feats = model(_layout(resize(image, _style_hw(image, hw, params.style_scale)), device),
                          params.style_layers)
            for layer in params.style_layers:
                style[layer].append((gram_matrix(feats[layer])[0], blend))
    # Clones leave inference mode: inference tensors cannot be saved for the backward pass.
    return Targets(
        content={k: v.clone() for k, v in content.items()},
        style={k: [(g.clone(), b) for g, b in v] for k, v in style.items()},
    )


def _layout(x: Tensor, device: torch.device) -> Tensor:
    return x.contiguous(memory_format=torch.channels_last) if use_channels_last(device) else x


def _optimizer(params: Params, x: Tensor) -> torch.optim.Optimizer:
    if params.optimizer == "adam":
        return torch.optim.Adam([x], lr=params.learning_rate)
    # One L-BFGS iteration per step so that every step reports and can be stopped; the
    # history persists across step() calls. See presets.py for the choice of history.
    return torch.optim.LBFGS([x], lr=1.0, max_iter=1, history_size=params.lbfgs_history,
                             line_search_fn=None, tolerance_grad=0.0, tolerance_change=0.0)


def _run_scale(
    model: VGG19, x: Tensor, targets: Targets, params: Params, state: RunState) -> bool:
    """Optimise ``x`` in place for one scale; return True if the run was stopped."""
    device = x.device
    layers = sorted(set(params.content_layers) | set(params.style_layers))
    opt = _optimizer(params, x)

    def closure() -> float:
        opt.zero_grad(set_to_none=True)
        feats = model(_layout(x, device), layers)
        terms = total_loss(feats, x, targets, params)
        total = terms["total"]
        if not torch.isfinite(total):
            raise DivergedRunError("The optimisation diverged (the loss became NaN or infinite).",
                                   state.result(stopped=True))
        _backward(total, x, model.compute_dtype)
        values = torch.stack([v.detach() for v in terms.values()]).tolist()  # one device sync
        state.evaluated(x, dict(zip(terms, values, strict=True)))
        return float(values[-1])  # LBFGS only needs the value

    for _ in range(state.scale_steps):
        if state.checkpoint():
            return True
        last_total = opt.step(closure)
        if params.optimizer == "adam":
            with torch.no_grad():
                x.clamp_(0.0, 1.0)  # Adam steps are small; clamping keeps pixels valid
        elif _lbfgs_went_astray(last_total, state.best_loss, x):
            # Without a line search, L-BFGS can overshoot early in a scale (its curvature
            # estimate comes from one tiny first step): the loss explodes and the image lands
            # where whole ReLU layers are dead, the gradient is exactly zero and L-BFGS then
            # does nothing for the rest of the scale. Go back to the best image and start a
            # fresh history rather than waste the scale.
            log.info("L-BFGS went astray at step %d (loss %.3g, best %.3g): restarting from the best image",
                     state.step + 1, float(last_total or math.nan), state.best_loss)
            with torch.no_grad():
                x.copy_(state.best_image())
            opt = _optimizer(params, x)
        state.step_done()
    return False


#: A loss this many times the best of the scale means the last L-BFGS step overshot.
LBFGS_BLOWUP_FACTOR = 10.0


def _lbfgs_went_astray(last_total: object, best: float, x: Tensor) -> bool:
    """True when the loss just evaluated exploded, or the gradient vanished entirely."""
    if not isinstance(last_total, float) or not math.isfinite(best):
        return False
    dead = x.grad is not None and not bool(x.grad.any())
    return last_total > LBFGS_BLOWUP_FACTOR * best or dead


def _backward(total: Tensor, x: Tensor, dtype: torch.dtype) -> None:
    """Backward pass; with float16 convolutions the loss is scaled first.

    The loss terms are means over up to millions of elements, so gradients reaching the
    features are ~1e-8: below float16's smallest subnormal (6e-8) they would flush to
    zero. Scaling the loss by 2**14 lifts them into range; the image gradient is divided
    back in float32. (bfloat16 has float32's exponent range and needs none of this.)
    """
    if dtype != torch.float16:
        total.backward()  # type: ignore[no-untyped-call]
        return
    scale = LOSS_SCALE_FP16
    while True:
        x.grad = None
        (total * scale).backward(retain_graph=scale > 1.0)  # type: ignore[no-untyped-call]
        grad = x.grad
        assert grad is not None
        if scale <= 1.0 or torch.isfinite(grad).all():
            break
        scale /= 16.0  # overflowed: back off and redo the backward pass
    grad.div_(scale)


LOSS_SCALE_FP16 = 2.0**14


@contextlib.contextmanager
def _memory_errors(device: torch.device) -> Iterator[None]:
    """Translate the many ways torch reports exhausted memory into OutOfMemoryError."""
    try:
        yield
    except torch.OutOfMemoryError as exc:
        raise OutOfMemoryError(f"The {device.type.upper()} ran out of memory.") from exc
    except RuntimeError as exc:
        text = str(exc).lower()
        if "out of memory" in text or "not enough memory" in text or "can't allocate" in text:
            raise OutOfMemoryError(f"The {device.type.upper()} ran out of memory.") from exc
        raise


def stylize(
    content: ImageArray,
    styles: Sequence[StyleInput],
    params: Params,
    *,
    weights: WeightSet | None = None,
    init_image: ImageArray | None = None,
    callback: ProgressCallback | None = None,
    control: RunControl | None = None,
    preview_every: int = 10,
) -> RunResult:
    """Paint ``content`` in the style of ``styles``; see the module docstring.

    ``weights=None`` uses the built-in Caffe VGG19. A stopped run returns the best image
    of the scale it reached, at that scale's size, with ``stopped=True``.
    """
    device = pick_device(params.device)
    amp = autocast_dtype(params.precision, device)  # reduced precision for the convs
    started = time.perf_counter()
    with _memory_errors(device):
        model = _get_model(weights or load_caffe_weights(), params.pooling, device, amp)
        torch.manual_seed(params.seed)
        gen = torch.Generator().manual_seed(params.seed)
        inputs = _prepare(content, styles, params, init_image, device)
        sizes = scale_sizes(params, (inputs.content.shape[-2], inputs.content.shape[-1]))
        state = RunState(params, sizes, steps_per_scale(params, len(sizes)), callback, control,
                         preview_every, str(device), started, _display(params, inputs))
        x = _initial(params, inputs, sizes[0], gen)
        log.info("Style transfer on %s, convolutions in %s, scales %s", device, amp, sizes)
        for index, hw in enumerate(sizes):
            x = resize(x, hw).detach().clone().requires_grad_(True)
            targets = _targets(model, inputs, params, hw)
            state.start_scale(index, x)
            if _run_scale(model, x, targets, params, state):
                return state.result(stopped=True)
            x = state.best_image()
        return state.result(stopped=False)


def _display(params: Params, inputs: _Inputs) -> Recolour:
    """How an optimised image becomes a shown one (puts the photo's chroma back if asked)."""
    if params.colour == "luminance":
        chroma = inputs.chroma
        return lambda x: colour.recombine_luminance(x, chroma).clamp(0.0, 1.0)
    return lambda x: x.clamp(0.0, 1.0)
