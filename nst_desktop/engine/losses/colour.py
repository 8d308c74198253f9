"""Colour control (Gatys et al. 2017, "Controlling Perceptual Factors in Neural Style Transfer").

Two ways to keep the photo's colours:

* luminance-only transfer: style is transferred on the luminance channel only (YIQ, as in
  the paper), after matching the style's luminance mean and spread to the content's, and
  the result's luminance is recombined with the content's I and Q (chroma) channels;
* histogram matching: the style image's colours are linearly transformed so their mean and
  covariance equal the content's, then the normal transfer runs on the recoloured style.

All functions work on float tensors (..., 3, H, W), RGB, 0..1.
"""

from __future__ import annotations

import torch
from torch import Tensor

# NTSC YIQ (the transform used by Gatys et al. 2017 for luminance-only transfer).
_RGB_TO_YIQ = torch.tensor(
    [[0.299, 0.587, 0.114], [0.595716, -0.274453, -0.321263], [0.211456, -0.522591, 0.311135]]
)


def _apply(matrix: Tensor, image: Tensor) -> Tensor:
    return torch.einsum("ij,...jhw->...ihw", matrix.to(image), image)


def rgb_to_yiq(image: Tensor) -> Tensor:
    """RGB -> YIQ, channel-wise linear."""
    return _apply(_RGB_TO_YIQ, image)


def yiq_to_rgb(image: Tensor) -> Tensor:
    """YIQ -> RGB (exact inverse of :func:`rgb_to_yiq`)."""
    return _apply(torch.linalg.inv(_RGB_TO_YIQ.double()).float(), image)


def luminance(image: Tensor) -> Tensor:
    """The Y channel replicated to three channels: a grey RGB image VGG can read."""
    y = rgb_to_yiq(image)[..., :1, :, :]
    return y.expand(*y.shape[:-3], 3, *y.shape[-2:]).contiguous()


def match_luminance(style: Tensor, content: Tensor) -> Tensor:
    """Grey style luminance whose mean and standard deviation equal the content's."""
    ys, yc = luminance(style), luminance(content)
    scale = yc.std() / ys.std().clamp_min(1e-6)
    return (ys - ys.mean()) * scale + yc.mean()


def recombine_luminance(result: Tensor, content: Tensor) -> Tensor:
    """RGB image with the result's luminance and the content's I/Q chroma."""
    if content.shape[-2:] != result.shape[-2:]:
        content = torch.nn.functional.interpolate(
            content.reshape(-1, 3, *content.shape[-2:]), size=result.shape[-2:], mode="bilinear",
            align_corners=False, antialias=True,
        ).reshape(*content.shape[:-2], *result.shape[-2:])
    yiq = rgb_to_yiq(content).clone()
    yiq[..., :1, :, :] = rgb_to_yiq(result)[..., :1, :, :]
    return yiq_to_rgb(yiq)


def _mean_cov(image: Tensor) -> tuple[Tensor, Tensor]:
    pixels = image.reshape(3, -1).double()
    mean = pixels.mean(dim=1, keepdim=True)
    centred = pixels - mean
    return mean, centred @ centred.T / pixels.shape[1]


def _sym_sqrt(matrix: Tensor, inverse: bool = False) -> Tensor:
    """Symmetric (inverse) square root via eigh; tiny eigenvalues are floored so flat
    (e.g. grey) images do not blow up the inverse."""
    values, vectors = torch.linalg.eigh(matrix)
    values = values.clamp_min(1e-8).sqrt()
    if inverse:
        values = 1.0 / values
    result: Tensor = (vectors * values) @ vectors.T
    return result


def match_histogram(style: Tensor, content: Tensor) -> Tensor:
    """Recolour ``style`` (3, H, W) so its colour mean and covariance equal ``content``'s.

    x' = C_c^(1/2) C_s^(-1/2) (x - mu_s) + mu_c: whitening then colouring, so cov(x') = C_c.
    Not clamped: the caller clamps to 0..1 (clamping here would bias the statistics).

    The statistics and the 3x3 square roots are computed on the CPU in float64 whatever the
    run's device: MPS has neither float64 nor ``eigh``, and this runs once per run (and per
    live colour edit) on a few hundred thousand pixels, so the copy costs milliseconds.
    """
    device, dtype = style.device, style.dtype
    style_cpu, content_cpu = style.detach().cpu(), content.detach().cpu()
    mu_s, cov_s = _mean_cov(style_cpu)
    mu_c, cov_c = _mean_cov(content_cpu)
    transform = _sym_sqrt(cov_c) @ _sym_sqrt(cov_s, inverse=True)
    pixels = style_cpu.reshape(3, -1).double()
    out = transform @ (pixels - mu_s) + mu_c
    result: Tensor = out.reshape(style.shape).to(device=device, dtype=dtype)
    return result
