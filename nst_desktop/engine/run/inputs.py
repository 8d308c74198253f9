"""A run's inputs as tensors: the photo, the styles with their blend, the start image, and
the VGG targets they define at one scale.

Kept apart from the optimisation loop because a live edit (engine.spec.live) rebuilds them in
the middle of a run: a new colour mode recolours the styles, a new blend or style scale
changes the Gram targets. The raw tensors are converted once and kept for that.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor

from nst_desktop.engine.losses import colour
from nst_desktop.engine.losses.statistics import FeatureStats, Statistics
from nst_desktop.engine.losses.terms import StyleStats, Targets, style_source, style_targets
from nst_desktop.engine.model.devices import use_channels_last
from nst_desktop.engine.model.vgg import VGG19
from nst_desktop.engine.run.style_cache import STYLE_CACHE, LayerStats, digest
from nst_desktop.engine.spec.errors import ImageError, ParamsError
from nst_desktop.engine.spec.events import ImageArray, StyleInput
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.schedule import brush_style_scale, fit_long_side


@dataclass(frozen=True)
class RawInputs:
    """The images as given, (1, 3, H, W) tensors on the run's device, and the blend as given."""

    content: Tensor
    styles: tuple[Tensor, ...]
    blend: tuple[float, ...]
    init: Tensor | None  # the start image when params.init == "image"
    # Digests of the arrays as given (engine.run.style_cache keys): empty, the styles' statistics
    # are built for this run only (RawInputs made by hand, in tests and benchmarks).
    style_digests: tuple[str, ...] = ()
    content_digest: str = ""


@dataclass(frozen=True)
class Inputs:
    """What the loss sees under the current colour mode and blend."""

    content: Tensor  # what the content loss and "content" init see
    chroma: Tensor  # the original content, whose colours luminance mode puts back
    styles: list[tuple[Tensor, float]]  # (image, normalised blend weight)
    init: Tensor | None
    style_keys: tuple[Hashable, ...] = ()  # each style tensor's identity (style_cache); () for none


def to_tensor(image: ImageArray, what: str, device: torch.device) -> Tensor:
    """(H, W, 3) float array -> (1, 3, H, W) tensor in 0..1; ImageError naming ``what`` if unusable."""
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


def check_blend(blend: Sequence[float]) -> tuple[float, ...]:
    """Blend weights normalised to sum 1; ParamsError if negative, non-finite or all zero."""
    values = tuple(float(w) for w in blend)
    if not values:
        raise ParamsError("Choose at least one style image.")
    if not all(np.isfinite(w) and w >= 0 for w in values) or sum(values) <= 0:
        raise ParamsError("Style weights must be non-negative numbers and not all zero.")
    total = sum(values)
    return tuple(w / total for w in values)


def load_inputs(
    content: ImageArray, styles: Sequence[StyleInput], params: Params, init_image: ImageArray | None,
    device: torch.device,
) -> RawInputs:
    blend = check_blend([s.weight for s in styles])
    style_ts = tuple(to_tensor(s.image, s.name or f"style image {i + 1}", device)
                     for i, s in enumerate(styles))
    init = None
    if params.init == "image":
        if init_image is None:
            raise ParamsError("'Start from: image' needs a start image.")
        init = to_tensor(init_image, params.init_image or "start image", device)
    return RawInputs(to_tensor(content, "content image", device), style_ts, blend, init,
                     tuple(digest(s.image) for s in styles), digest(content))


def prepare(raw: RawInputs, params: Params, blend: Sequence[float]) -> Inputs:
    """Apply the colour mode to the photo and the styles; normalise the blend."""
    chroma, style_ts = raw.content, list(raw.styles)
    run_content, init = chroma, raw.init
    if params.colour == "luminance":
        run_content = colour.luminance(chroma)
        style_ts = [colour.match_luminance(s, chroma).clamp(0, 1) for s in style_ts]
        init = colour.luminance(init) if init is not None else None
    elif params.colour == "histogram":
        style_ts = [colour.match_histogram(s[0], chroma[0]).unsqueeze(0).clamp(0, 1) for s in style_ts]
    weights = check_blend(blend)
    # The styles as recoloured: by the colour mode, and by the photo unless it keeps the style's colours.
    photo = raw.content_digest if params.colour != "style" else ""
    keys = tuple((d, params.colour, photo) for d in raw.style_digests)
    return Inputs(run_content, chroma, list(zip(style_ts, weights, strict=True)), init, keys)


def initial(params: Params, inputs: Inputs, hw: tuple[int, int], gen: torch.Generator) -> Tensor:
    """The start image at the first scale: ``params.init``, with ``init_noise`` of it noise."""
    device = inputs.content.device
    if params.init == "noise":
        # Drawn on the CPU from a local generator: identical on every device and thread.
        return torch.rand((1, 3, *hw), generator=gen).to(device)
    if params.init == "style":
        start = resize(inputs.styles[0][0], hw)
    elif params.init == "image" and inputs.init is not None:
        start = resize(inputs.init, hw)
    else:
        start = resize(inputs.content, hw)
    if params.init_noise <= 0.0:
        return start
    # Noise breaks up the photo's flat and dark areas, where the content loss alone would keep
    # them photographic: the style has texture to grow there (issue 9.1). Luminance mode
    # optimises a grey image, so its noise is grey too.
    noise = torch.rand((1, 1 if params.colour == "luminance" else 3, *hw), generator=gen).to(device)
    return torch.lerp(start, noise.expand_as(start), params.init_noise)


def convert_colour_space(x: Tensor, old: Params, new: Params, chroma: Tensor) -> Tensor:
    """The image being optimised, carried across a live change of colour mode.

    In luminance mode the optimiser works on a grey image (the photo's chroma is put back
    for display); leaving it, the grey image gets the photo's chroma so the painting so far
    is kept, and entering it, the picture is reduced to its luminance.
    """
    if old.colour == new.colour or "luminance" not in (old.colour, new.colour):
        return x
    if new.colour == "luminance":
        return colour.luminance(x)
    return colour.recombine_luminance(x, chroma).clamp(0.0, 1.0)


#: A style whose size is within this many pixels (each side) of the size asked for is used as it is:
#: resampling 208x165 to 209x166 (a style pastiche had already sized) blurred every pixel, and
#: under pastiche's normalisation moved the optimum 6x away from the race scorer's (issue 20.7).
SAME_SIZE_SLACK_PX = 2


def style_hw(style: Tensor, hw: tuple[int, int], style_scale: float, like_pastiche: bool = False
             ) -> tuple[int, int]:
    """Style size with style_scale^2 times the output's pixel count, keeping its aspect; the
    style's own size when that is within :data:`SAME_SIZE_SLACK_PX` of it (never resampled by a
    pixel or two).

    Matching areas rather than long sides keeps brush strokes the same size relative to
    the output even when the style is portrait and the photo landscape. ``like_pastiche``
    rounds as pastiche 1.6.0's ``load_image`` does (the height, then the width from it).
    """
    sh, sw = style.shape[-2:]
    factor = style_scale * (hw[0] * hw[1] / (sh * sw)) ** 0.5
    height = max(16, round(sh * factor))
    width = max(16, round(sw / sh * height) if like_pastiche else round(sw * factor))
    if abs(height - sh) <= SAME_SIZE_SLACK_PX and abs(width - sw) <= SAME_SIZE_SLACK_PX:
        return int(sh), int(sw)
    return height, width


#: A brush of size B paints from the style at B**this times its 1x size (see :func:`brush_source`):
#: 0, the 1x picture, magnified. 0.5 was tried (half way in ratio) and lost: see below.
BRUSH_DETAIL_EXPONENT = 0.0


def brush_source(style: Tensor, params: Params, output_hw: tuple[int, int], like_pastiche: bool = False
                 ) -> Tensor:
    """The style image a brush of ``params.brush_size`` (B) paints from: at 1x the style as given;
    above, the style reduced to the size a 1x run gives it at the output (never enlarged), which
    each scale then sizes up to B times its 1x size (``brush_style_scale``): the 1x painting,
    magnified B times.

    Why: every scale sees the style's strokes B times larger against the picture, so the coarse
    scales, where they fit VGG's receptive field, lay out B times bigger strokes, and the finer
    scales keep them, since the magnified style has no finer detail for their fine layers to add.
    Sized up straight from the file it would show fine detail a 1x run never sees (canvas,
    bristles), painted as a stipple over the big strokes: Starry Night at 2x measured a *finer*
    stroke scale than 1x (1.30 -> 1.12 px, 256 px). Half way (B**0.5 times the 1x detail) was
    crisper but kept that stipple inside the strokes and grew the stroke scale 1.10-1.24x at 2x
    and 1.20-1.40x at 4x, against 1.36-1.44x and 1.76-2.47x magnified (384 px, issue 20.2,
    docs/quality/README.md). The cost of magnifying: 4x is soft, a broad brush without bristles.
    """
    if params.brush_size == 1.0:
        return style
    detail = params.style_scale * params.brush_size**BRUSH_DETAIL_EXPONENT
    base = style_hw(style, output_hw, detail, like_pastiche)
    return resize(style, base) if base[0] * base[1] < style.shape[-2] * style.shape[-1] else style


def layout(x: Tensor, device: torch.device) -> Tensor:
    return x.contiguous(memory_format=torch.channels_last) if use_channels_last(device) else x


#: A style image, resized for the scale -> its statistics at every style layer.
StyleStatsOf = Callable[[Tensor], Mapping[str, Statistics]]


def assemble_targets(content: dict[str, Tensor], style_stats: StyleStatsOf, inputs: Inputs, params: Params,
                     hw: tuple[int, int], model: VGG19, path: Hashable) -> Targets:
    """One scale's :class:`Targets` from its content features and each style image's statistics
    (its Gram or Gaussian fit per layer, blended by losses.style_targets): what the untiled
    (:func:`targets`) and the tiled way (engine.run.tiled_pass.tiled_targets) have in common.

    Each style's statistics come from engine.run.style_cache when a job before built them with
    ``model`` the same ``path`` (how ``style_stats`` gathers them: whole, or which tiles)."""
    sources: dict[str, list[StyleStats]] = {layer: [] for layer in params.style_layers}
    like_pastiche = params.loss_normalisation == "pastiche"
    output_hw = fit_long_side((inputs.chroma.shape[-2], inputs.chroma.shape[-1]), params.size)
    for index, (image, _) in enumerate(inputs.styles):
        size = style_hw(image, hw, brush_style_scale(params), like_pastiche)

        def build(image: Tensor = image, size: tuple[int, int] = size) -> LayerStats:
            stats = style_stats(resize(brush_source(image, params, output_hw, like_pastiche), size))
            return {layer: style_source(stats[layer], params) for layer in params.style_layers}

        if inputs.style_keys:
            # The brush's source (the style at the output's 1x size) decides the pixels too.
            brush = (params.brush_size, output_hw) if params.brush_size != 1.0 else ()
            key = (inputs.style_keys[index], size, tuple(params.style_layers), params.style_loss, path,
                   *brush)
            per_layer = STYLE_CACHE.get_or_build(model, key, build)
        else:
            per_layer = build()
        for layer in params.style_layers:
            sources[layer].append(per_layer[layer])
    weights = [w for _, w in inputs.styles]
    return Targets(content, style_targets(sources, weights, params.loss_normalisation), sources)


def targets(model: VGG19, inputs: Inputs, params: Params, hw: tuple[int, int]) -> Targets:
    """Content features and style targets (Grams, or W2 statistics) at one scale."""
    device = inputs.content.device
    content_layers = [layer for layer, _ in params.active_layers("content")]
    # no_grad, not inference_mode: inference tensors could not be saved for the backward pass.
    with torch.no_grad():
        feats = model(layout(resize(inputs.content, hw), device), content_layers) if content_layers else {}
    content = {k: v.float() for k, v in feats.items()}

    def style_stats(image: Tensor) -> dict[str, FeatureStats]:
        with torch.no_grad():
            features = model(layout(image, device), params.style_layers)
        return {layer: FeatureStats(features[layer]) for layer in params.style_layers}

    return assemble_targets(content, style_stats, inputs, params, hw, model, "whole")
