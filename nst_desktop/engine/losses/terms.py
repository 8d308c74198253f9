"""Loss terms of neural style transfer (Gatys et al.), in two normalisations.

``size_invariant`` (the default) is built so that the same weights give the same look at
256, 512 or 1024 px. The idea: treat the image as a function on a fixed canvas of unit
area and make every term an *integral over that canvas*, which does not depend on how
finely the canvas is sampled:

* content: the mean (not the sum) of squared feature differences, i.e. an average over
  positions; divided by the mean square of the target features so the term is a
  dimensionless relative error. That also makes it independent of the weight set: Caffe
  features are ~50x larger than torchvision's because of the 0..255 input scale.
* style: Gram matrices divided by the number of positions are averages over the canvas
  (a 1024 px image has 16x the positions of a 256 px one but the same *mean* feature
  correlations); the squared Frobenius error is again divided by that of the target, so
  every layer contributes O(1) whatever its channel count or activation scale.
* TV: the mean over pixels of the gradient magnitude |grad u| approximates the integral of
  |grad u| over the canvas only after converting per-pixel differences into per-canvas
  derivatives, i.e. multiplying by the number of pixels per unit length, sqrt(H*W). A
  smooth ramp sampled twice as finely has half the pixel differences, so the plain mean
  would halve while the picture is the same; the product stays put. (L1 TV is the
  resolution-consistent one: squared differences scale as 1/N^2 for ramps but 1/N for
  edges, so no single factor fixes them.) A small epsilon (Charbonnier) keeps it smooth.
  Plus a squared part, 8x the mean of the squared differences (issue 20.1). The L1 TV pulls
  every difference back with the same force whatever its size, so a high-contrast one-pixel
  speck costs no more per unit of contrast than fine paint, and the style loss, which asks
  for fine texture *energy*, got much of it as isolated dots (39 per 1000 px at 512 px on
  Tübingen x Starry Night; 9 in neural-style's published picture, whose TV is squared).
  The squared part's pull grows with the contrast: on a lone 0.3 speck the TV now pulls 6.6x
  as hard as the L1 part alone, on a faint 0.05 one 1.9x (tests/engine/losses/test_terms.py).
  The dots fell to 15 per 1000 px and the strokes stayed (benchmarks/RESULTS.md, "Stipple").
  It takes the L1 part's size factor, as the candidate judged did, so every scale of a 512 px
  run is what was looked at; at print sizes it weighs more, where a pixel is too small to see.

``pastiche`` reproduces pastiche 1.6.0's ``_calc_loss`` term by term (see each function).
``classic`` reproduces jcjohnson/neural-style's loss modules (neural_style.lua) term by term,
in the units our VGG wrapper sees (its input is our 0..1 RGB image; it applies the Caffe
scale, channel order and mean itself, so the features are neural-style's):

* ContentLoss: ``strength * MSECriterion(F, Fc)`` (sizeAverage: the mean over C*H*W);
* StyleLoss: ``G = F F^T / input:nElement()`` (C*H*W), ``strength * MSE(G, Gs)`` (mean over
  C*C). Our ``gram_matrix`` divides by H*W only, so G = gram / C and the term is
  ``mse(gram, target) / C^2``; blended targets are one weighted Gram, as ours (weights sum 1);
* TVLoss: only a backward pass, ``strength * (x_diff + y_diff ...)`` on the Caffe image, which
  is the gradient of ``strength / 2 * sum((x[i,j] - x[i,j+1])^2 + (x[i,j] - x[i+1,j])^2)``
  over the top-left (H-1) x (W-1) pixels (squared, not L1; the 1/2 because its gradient is
  the difference, not twice it). On our image: that sum times 255^2. neural-style's
  preprocess multiplies by 256, not 255: its features and TV are 0.4 % / 0.8 % larger than
  ours for the same picture; the Caffe weights we ship expect 255, so we keep 255.
The gains below put the size-invariant terms on a scale where weights of 1 look good.

Blends. Gatys et al. (and pastiche) sum one term per style. Under the size-invariant
normalisation each term is divided by its own target's ||G_s||^2, so the sum's optimum is
the mean of the Grams weighted by ``blend_s / ||G_s||^2``: the style with the smaller Grams
won (Starry Night's are ~1.5x The Scream's, so 1:1 came out mostly Scream, issue 8.5). Size
invariant runs therefore match the *blended statistics* (the weighted mean of the Grams,
i.e. the second moment of the styles' mixed features) with one term; blend weights then
mean what they say (tests/engine/run/test_blend_share.py). ``pastiche`` keeps the sum.

The style loss is the Gram loss or, with ``style_loss="wasserstein"``, the W2 distance
between Gaussian fits of the features (engine/losses/wasserstein.py), or, with
``style_loss="sliced"``, the sliced Wasserstein distance on random directions drawn anew each
step (engine/losses/sliced.py; :func:`targets_for_step`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor

from nst_desktop.engine.losses.self_similarity import STRUCTURE_FEATURE_SHARE, self_similarity_loss
from nst_desktop.engine.losses.sliced import (
    SLICED_GAIN,
    SlicedSamples,
    SlicedTarget,
    mix_samples,
    sliced_distance,
    sliced_target,
    step_directions,
)
from nst_desktop.engine.losses.statistics import FeatureStats, Statistics
from nst_desktop.engine.losses.wasserstein import GaussianStats, W2Target, mix, w2_distance, w2_target
from nst_desktop.engine.model.weights import CAFFE_IMAGE_SCALE
from nst_desktop.engine.spec.params import ContentLoss, LossNormalisation, Params

#: Size-invariant gains (calibrated so that content, style and TV weights of 1 balance).
CONTENT_GAIN = 1.0
STYLE_GAIN = 1.0
TV_GAIN = 1.0e-2
TV_EPS = 1.0e-3  # in 0..1 image units: well below one 8-bit level step (1/255)
#: The squared part of the size-invariant TV, against its L1 part: the candidate judged at
#: 512 px (``tv_sq8`` in benchmarks/bench_stipple.py).
TV_SQUARED_SHARE = 8.0

#: pastiche's built-in constants: content layer weight 0.01, style layer weight 10/C^2.
PASTICHE_CONTENT_LAYER_WEIGHT = 0.01
PASTICHE_STYLE_NUMERATOR = 10.0
#: W2 under size_invariant: W2^2 / E|f|^2 of the target, times this gain. Calibrated so that
#: style weight 1 pulls about as hard as the Gram loss: at the photo (the start image, 256 px)
#: the Gram term's image gradient is 1.3x, 2.6x, 2.2x and 5.1x the ungained W2 term's for
#: Tübingen and Golden Gate x Starry Night and The Scream; 2.5 is their geometric mean.
W2_GAIN = 2.5


def content_loss(features: Tensor, target: Tensor, mode: LossNormalisation, kind: ContentLoss = "features"
                 ) -> Tensor:
    """One content layer. pastiche: ``0.01 * mse(F, Fc)``; classic: ``mse(F, Fc)``. ``kind``
    "structure": the self-similarity term (engine.losses.self_similarity), size invariant in
    every normalisation (neither pastiche nor neural-style has one)."""
    if kind == "structure":
        features_term = content_loss(features, target, mode)
        return self_similarity_loss(features, target) + STRUCTURE_FEATURE_SHARE * features_term
    mse = F.mse_loss(features.float(), target.float())
    if mode == "pastiche":
        return PASTICHE_CONTENT_LAYER_WEIGHT * mse
    if mode == "classic":
        return mse
    return CONTENT_GAIN * mse / target.float().square().mean().clamp_min(1e-12)


def style_loss(gram: Tensor, target_gram: Tensor, mode: LossNormalisation) -> Tensor:
    """One style layer, one style image. pastiche: ``10 / C^2 * mse(G, Gs)``; classic:
    ``mse(G / C, Gs / C)`` (neural-style divides F F^T by C*H*W, ``gram`` by H*W)."""
    if mode == "pastiche":
        channels = gram.shape[-1]
        return PASTICHE_STYLE_NUMERATOR / channels**2 * F.mse_loss(gram, target_gram)
    if mode == "classic":
        return F.mse_loss(gram, target_gram) / gram.shape[-1] ** 2
    err = (gram - target_gram).square().sum()
    return STYLE_GAIN * err / target_gram.square().sum().clamp_min(1e-12)


def tv_loss(rows: Tensor, mode: LossNormalisation, image_hw: tuple[int, int] | None = None,
            last: bool = True) -> Tensor:
    """Total variation of an RGB 0..1 image (N, 3, H, W), or a band of its rows' share of it.

    pastiche: ``0.5 * (mean|dx| + mean|dy|)`` on the 0..255 image (the channel order and
    mean subtraction of Caffe units do not change absolute differences). classic:
    neural-style's squared TV, ``0.5 * sum(dx^2 + dy^2)`` over the top-left (H-1) x (W-1)
    pixels of the 0..255 image (see the module docstring). size_invariant: the mean of the
    Charbonnier gradient magnitude over those pixels plus 8x its square's (the squared part:
    see the module docstring), times sqrt(H W).

    The one formula of TV: the whole image is its only band. A band (engine.run.tiled_pass sums
    them at print sizes) holds its rows and the next one, of an ``image_hw`` image: it owns the
    vertical pairs starting in its rows, the horizontal pairs of its rows and, if ``last``, those
    of the image's last row. So the means are written as sums over the band divided by the whole
    image's counts (classic's TV is a plain sum): on the CPU torch's mean is that sum divided
    by the count, so the whole image's value is the plain mean's to the bit.
    """
    h, w = image_hw or (rows.shape[-2], rows.shape[-1])
    planes = rows.numel() // (rows.shape[-2] * rows.shape[-1])  # images x channels
    x = rows.float()
    if mode == "classic":
        top = x[..., :-1, :-1]
        dx, dy = top - x[..., :-1, 1:], top - x[..., 1:, :-1]
        return 0.5 * CAFFE_IMAGE_SCALE**2 * (dx.square().sum() + dy.square().sum())
    dx = x[..., :, 1:] - x[..., :, :-1]  # every row's horizontal pairs
    dy = x[..., 1:, :] - x[..., :-1, :]  # the vertical pairs
    if mode == "pastiche":
        own_dx = dx if last else dx[..., :-1, :]  # the next band owns the next row's pairs
        return 0.5 * CAFFE_IMAGE_SCALE * (own_dx.abs().sum() / (planes * h * (w - 1))
                                          + dy.abs().sum() / (planes * (h - 1) * w))
    squared = dx[..., :-1, :].square() + dy[..., :, :-1].square()
    magnitude = torch.sqrt(squared + TV_EPS**2).sum() + TV_SQUARED_SHARE * squared.sum()
    result: Tensor = TV_GAIN * (magnitude / (planes * (h - 1) * (w - 1))) * float(h * w) ** 0.5
    return result


def w2_style_loss(w2: Tensor, channels: int, target: W2Target, mode: LossNormalisation) -> Tensor:
    """One style layer's W2 term from the squared distance ``w2`` to ``target``.

    size_invariant: relative to the target's mean squared feature norm, which (like the Gram
    loss's ||G_s||^2) makes every layer O(1) and does not depend on the weight set's units.
    pastiche (which has no W2 term): crowsonkb's scale, W2^2 per channel. classic (neural-style
    has none either) uses the size-invariant scale.
    """
    if mode == "pastiche":
        return w2 / channels
    return W2_GAIN * w2 / target.energy.clamp_min(1e-12)


def sliced_style_loss(sw: Tensor, target: SlicedTarget, mode: LossNormalisation) -> Tensor:
    """One style layer's sliced term from its SW^2 ``sw`` (engine.losses.sliced).

    size_invariant (and classic, which has no such term): relative to the style's mean squared
    projection E|f|^2 / C, O(1) per layer whatever its channels or units, times SLICED_GAIN.
    pastiche (no such term either): SW^2 as it is, already a mean over directions.
    """
    if mode == "pastiche":
        return sw
    return SLICED_GAIN * sw / target.energy.clamp_min(1e-12)


def style_term(stats: Statistics, target: StyleTarget, mode: LossNormalisation) -> Tensor:
    """One layer's (or region's) style term against one target: the Gram loss, W2 or sliced."""
    if isinstance(target, SlicedTarget):
        assert target.directions is not None, "sliced targets are sliced each step (targets_for_step)"
        return sliced_style_loss(sliced_distance(*stats.projections(target.directions), target), target, mode)
    if isinstance(target, W2Target):
        return w2_style_loss(w2_distance(*stats.w2_parts(target), target), stats.channels, target, mode)
    return style_loss(stats.gram, target, mode)


#: One layer's statistics of one style image: its Gram matrix, its Gaussian fit (W2), or its
#: feature samples (sliced).
StyleStats = Tensor | GaussianStats | SlicedSamples
#: What a style term is computed against: a Gram matrix, a W2 target, or a sliced one.
StyleTarget = Tensor | W2Target | SlicedTarget


@dataclass(frozen=True)
class Targets:
    """What the image is pulled towards at one scale.

    ``style`` maps each style layer to (target, weight) pairs, one term each: a single
    blended target with weight 1 (size_invariant, see the module docstring), or one per
    style image with its blend weight (pastiche's sum). ``sources`` keeps each style's own
    statistics per layer (its Gram, or its Gaussian fit), so a live change of the blend
    re-blends them without a VGG pass (and a masked region can pick one style's).
    ``directions``: the sliced loss's directions per layer for the step at hand (empty for the
    other losses, and before a sliced run's first step: :func:`targets_for_step`).
    """

    content: Mapping[str, Tensor]
    style: Mapping[str, Sequence[tuple[StyleTarget, float]]]
    sources: Mapping[str, Sequence[StyleStats]] = field(default_factory=dict)
    directions: Mapping[str, Tensor] = field(default_factory=dict)


def _blend(stats: Sequence[StyleStats], weights: Sequence[float]) -> StyleStats:
    """The blended statistics: weighted mean of the Grams, Gaussian fit or samples of the mixture."""
    samples = [s for s in stats if isinstance(s, SlicedSamples)]
    if samples:
        return mix_samples(samples, weights)
    gaussians = [s for s in stats if isinstance(s, GaussianStats)]
    if gaussians:
        return mix(gaussians, weights)
    grams = [s for s in stats if isinstance(s, Tensor)]
    return sum((w * g for g, w in zip(grams, weights, strict=True)), torch.zeros_like(grams[0]))


def style_source(stats: Statistics, params: Params) -> StyleStats:
    """A style image's :class:`Targets` ``sources`` entry at a layer: its Gram, its Gaussian fit
    (W2) or its feature samples (sliced)."""
    if params.style_loss == "sliced":
        return stats.samples()
    return stats.gaussian() if params.style_loss == "wasserstein" else stats.gram


def _as_target(stats: StyleStats, directions: Tensor | None) -> StyleTarget:
    if isinstance(stats, SlicedSamples):
        return sliced_target(stats, directions)
    return w2_target(stats) if isinstance(stats, GaussianStats) else stats


def style_targets(sources: Mapping[str, Sequence[StyleStats]], weights: Sequence[float],
                  mode: LossNormalisation, directions: Mapping[str, Tensor] | None = None
                  ) -> dict[str, list[tuple[StyleTarget, float]]]:
    """The style terms of :class:`Targets` from each style's statistics and the blend (and, for
    the sliced loss, the step's ``directions`` per layer)."""
    along = directions or {}
    if mode == "pastiche":
        return {layer: [(_as_target(s, along.get(layer)), w) for s, w in zip(stats, weights, strict=True)]
                for layer, stats in sources.items()}
    return {layer: [(_as_target(_blend(stats, weights), along.get(layer)), 1.0)]
            for layer, stats in sources.items()}


def targets_for_step(targets: Targets, weights: Sequence[float], params: Params, step: int) -> Targets:
    """``targets`` for the step ``step`` (counted over the whole run): for the sliced loss the
    style's projections on that step's directions (engine.losses.sliced.step_directions, seeded by
    ``params.seed`` and the step); the other losses' targets as they are."""
    if params.style_loss != "sliced":
        return targets
    channels = {layer: _channels(stats[0]) for layer, stats in targets.sources.items() if stats}
    directions = step_directions(channels, params.seed, step)
    style = style_targets(targets.sources, weights, params.loss_normalisation, directions)
    return Targets(targets.content, style, targets.sources, directions)


def _channels(stats: StyleStats) -> int:
    if isinstance(stats, SlicedSamples):
        return int(stats.rows.shape[1])
    return int((stats.mean if isinstance(stats, GaussianStats) else stats).shape[-1])


K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class StyleTerm(Generic[K]):
    """A style layer's (or a masked region's at a layer) place in the style loss: the key of its
    statistics, its weight (the layer's, times a region's strength and area fraction) and its
    (target, share) pairs."""

    key: K
    weight: float
    targets: Sequence[tuple[StyleTarget, float]]


def layer_terms(targets: Targets, params: Params) -> list[StyleTerm[str]]:
    """The style terms of an unmasked run: each style layer of non-zero weight."""
    return [StyleTerm(layer, weight, targets.style[layer]) for layer, weight in params.active_layers("style")]


def style_sum(terms: Iterable[StyleTerm[K]], stats: Mapping[K, Statistics], mode: LossNormalisation,
              device: torch.device) -> Tensor:
    """The style loss before ``params.style_weight``: the sum over ``terms`` of weight x share x
    :func:`style_term`, whichever path gathered the statistics (whole image, masked, tiled)."""
    total = torch.zeros((), device=device)
    for term in terms:
        for target, share in term.targets:
            total = total + (term.weight * share) * style_term(stats[term.key], target, mode)
    return total


def total_loss(
    features: Mapping[str, Tensor], image: Tensor, targets: Targets, params: Params
) -> dict[str, Tensor]:
    """Weighted terms ``content``, ``style``, ``tv`` and their sum ``total`` (float32 scalars)."""
    mode = params.loss_normalisation
    zero = image.new_zeros(())
    content = zero
    for layer, weight in params.active_layers("content"):
        content = content + weight * content_loss(features[layer], targets.content[layer], mode,
                                                  params.content_loss)
    stats = {layer: FeatureStats(feats) for layer, feats in features.items()}
    style = style_sum(layer_terms(targets, params), stats, mode, image.device)
    tv = tv_loss(image, mode) if params.tv_weight else zero
    terms = {
        "content": params.content_weight * content,
        "style": params.style_weight * style,
        "tv": params.tv_weight * tv,
    }
    terms["total"] = terms["content"] + terms["style"] + terms["tv"]
    return terms


#: The loss scale of a float16 backward pass (:func:`backward_pass`).
LOSS_SCALE_FP16 = 2.0**14


def backward_pass(loss: Tensor, leaf: Tensor, dtype: torch.dtype) -> Tensor:
    """Backward pass of ``loss`` into ``leaf.grad`` (returned); with float16 convolutions
    (``dtype``) the loss is scaled first.

    The loss terms are means over up to millions of elements, so gradients reaching the
    features are ~1e-8: below float16's smallest subnormal (6e-8) they would flush to
    zero. Scaling the loss by 2**14 lifts them into range; the image gradient is divided
    back in float32. (bfloat16 has float32's exponent range and needs none of this.)
    """
    if dtype != torch.float16:
        loss.backward()  # type: ignore[no-untyped-call]
    else:
        scale = LOSS_SCALE_FP16
        while True:
            leaf.grad = None
            (loss * scale).backward(retain_graph=scale > 1.0)  # type: ignore[no-untyped-call]
            if scale <= 1.0 or torch.isfinite(_grad_of(leaf)).all():
                break
            scale /= 16.0  # overflowed: back off and redo the backward pass
        _grad_of(leaf).div_(scale)
    return _grad_of(leaf)


def _grad_of(leaf: Tensor) -> Tensor:
    grad = leaf.grad
    assert grad is not None, "the loss does not depend on this tensor"
    return grad
