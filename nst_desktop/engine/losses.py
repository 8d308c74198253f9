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

``pastiche`` reproduces pastiche 1.6.0's ``_calc_loss`` term by term (see each function).
The gains below put the size-invariant terms on a scale where weights of 1 look good.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor

from nst_desktop.engine.params import LossNormalisation, Params

#: Size-invariant gains (calibrated so that content, style and TV weights of 1 balance).
CONTENT_GAIN = 1.0
STYLE_GAIN = 1.0
TV_GAIN = 1.0e-2
TV_EPS = 1.0e-3  # in 0..1 image units: well below one 8-bit level step (1/255)

#: pastiche's built-in constants: content layer weight 0.01, style layer weight 10/C^2.
PASTICHE_CONTENT_LAYER_WEIGHT = 0.01
PASTICHE_STYLE_NUMERATOR = 10.0
PASTICHE_IMAGE_SCALE = 255.0  # its TV is computed on the Caffe-unit image (0..255)


def gram_matrix(features: Tensor) -> Tensor:
    """(N, C, H, W) -> (N, C, C) Gram matrices divided by H*W, computed in float32."""
    n, c, h, w = features.shape
    if c > 1 and not features.is_contiguous() and features.is_contiguous(memory_format=torch.channels_last):
        # channels_last stores (N, H, W, C): view it as positions x channels, no transpose copy.
        rows = features.permute(0, 2, 3, 1).reshape(n, h * w, c).float()
        return torch.bmm(rows.transpose(1, 2), rows) / (h * w)
    flat = features.reshape(n, c, h * w).float()
    return torch.bmm(flat, flat.transpose(1, 2)) / (h * w)


def content_loss(features: Tensor, target: Tensor, mode: LossNormalisation) -> Tensor:
    """One content layer. pastiche: ``0.01 * mse(F, Fc)``."""
    mse = F.mse_loss(features.float(), target.float())
    if mode == "pastiche":
        return PASTICHE_CONTENT_LAYER_WEIGHT * mse
    return CONTENT_GAIN * mse / target.float().square().mean().clamp_min(1e-12)


def style_loss(gram: Tensor, target_gram: Tensor, mode: LossNormalisation) -> Tensor:
    """One style layer, one style image. pastiche: ``10 / C^2 * mse(G, Gs)``."""
    if mode == "pastiche":
        channels = gram.shape[-1]
        return PASTICHE_STYLE_NUMERATOR / channels**2 * F.mse_loss(gram, target_gram)
    err = (gram - target_gram).square().sum()
    return STYLE_GAIN * err / target_gram.square().sum().clamp_min(1e-12)


def tv_loss(image: Tensor, mode: LossNormalisation) -> Tensor:
    """Total variation of an RGB 0..1 image (N, 3, H, W).

    pastiche: ``0.5 * (mean|dx| + mean|dy|)`` on the 0..255 image (the channel order and
    mean subtraction of Caffe units do not change absolute differences).
    """
    dx = image[..., :, 1:] - image[..., :, :-1]
    dy = image[..., 1:, :] - image[..., :-1, :]
    if mode == "pastiche":
        return 0.5 * PASTICHE_IMAGE_SCALE * (dx.abs().mean() + dy.abs().mean())
    h, w = image.shape[-2:]
    magnitude = torch.sqrt(dx[..., :-1, :].square() + dy[..., :, :-1].square() + TV_EPS**2)
    result: Tensor = TV_GAIN * magnitude.mean() * float(h * w) ** 0.5
    return result


@dataclass(frozen=True)
class Targets:
    """What the image is pulled towards at one scale.

    ``style`` maps each style layer to one (Gram, blend weight) pair per style image;
    blend weights sum to 1.
    """

    content: Mapping[str, Tensor]
    style: Mapping[str, Sequence[tuple[Tensor, float]]]


def total_loss(
    features: Mapping[str, Tensor], image: Tensor, targets: Targets, params: Params
) -> dict[str, Tensor]:
    """Weighted terms ``content``, ``style``, ``tv`` and their sum ``total`` (float32 scalars)."""
    mode = params.loss_normalisation
    zero = image.new_zeros(())
    content = zero
    for layer, weight in zip(params.content_layers, params.content_layer_weights, strict=True):
        if weight:
            content = content + weight * content_loss(features[layer], targets.content[layer], mode)
    style = zero
    for layer, weight in zip(params.style_layers, params.style_layer_weights, strict=True):
        if not weight:
            continue
        gram = gram_matrix(features[layer])[0]
        for target_gram, blend in targets.style[layer]:
            style = style + weight * blend * style_loss(gram, target_gram, mode)
    tv = tv_loss(image, mode) if params.tv_weight else zero
    terms = {
        "content": params.content_weight * content,
        "style": params.style_weight * style,
        "tv": params.tv_weight * tv,
    }
    terms["total"] = terms["content"] + terms["style"] + terms["tv"]
    return terms
