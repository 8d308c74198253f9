"""The masked Wasserstein-2 style loss: a Gaussian fit of the features each region covers.

The W2 counterpart of :func:`nst_desktop.engine.masked.masked_gram`. A region's soft mask
``m(p)`` weights every position, normalised by the region's weighted area ``W = sum_p m(p)``:

    mu_r = sum_p m(p) f(p) / W,        C_r = sum_p m(p) (f(p) - mu_r)(f(p) - mu_r)^T / W,

so a region is summarised by the mean and covariance of *its* features whatever its size,
and the W2 term between that Gaussian and the region's style target is the unmasked one's
(engine.wasserstein) term for term. With a mask of ones, ``m(p) / W = 1 / n`` and everything
is the unmasked computation, including the choice between the C x C and the n x n form of
``tr sqrt(S C S)`` (the n x n one is ``Y^T Y`` with ``Y = S Xc diag(sqrt(m / W))``).

A region's targets follow :func:`nst_desktop.engine.losses.style_targets`: under the size
invariant normalisation one Gaussian fit of the mixture of its styles (weighted by the
region's blend), under pastiche one term per style. Their square roots (22 Newton-Schulz
iterations at up to 512 channels) are computed once per scale and blend, not per step:
:class:`RegionTargets` keeps them.
"""

from __future__ import annotations

from torch import Tensor

from nst_desktop.engine.losses import W2_GAIN, StyleTarget, Targets, style_targets
from nst_desktop.engine.masks import Region
from nst_desktop.engine.params import LossNormalisation
from nst_desktop.engine.wasserstein import GaussianStats, W2Target, trace_sqrtm


def _weighted(features: Tensor, mask: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """(C, n) float32 features, each position's share ``m / W`` (n,), and the weighted mean (C,)."""
    x = features[0].reshape(features.shape[1], -1).float()  # copies a channels_last tensor: fine
    weights = mask.reshape(-1).to(device=x.device, dtype=x.dtype)
    share = weights / weights.sum().clamp_min(1e-12)
    return x, share, x @ share


def masked_stats(features: Tensor, mask: Tensor) -> GaussianStats:
    """Mean (C,) and covariance (C, C) of (1, C, h, w) features weighted by an (h, w) mask."""
    x, share, mean = _weighted(features, mask)
    centred = x - mean[:, None]
    return GaussianStats(mean, (centred * share) @ centred.T)


def masked_w2_squared(features: Tensor, mask: Tensor, target: W2Target) -> Tensor:
    """Squared W2 distance between the masked Gaussian fit of ``features`` and ``target``."""
    x, share, mean = _weighted(features, mask)
    centred = x - mean[:, None]
    if x.shape[1] >= x.shape[0]:  # as wasserstein.w2_squared: the C x C form
        cov = (centred * share) @ centred.T
        cross = trace_sqrtm(target.cov_sqrt @ ((cov + cov.T) / 2) @ target.cov_sqrt)
    else:  # fewer positions than channels: the n x n form, of full rank
        y = (target.cov_sqrt @ centred) * share.sqrt()
        cross = trace_sqrtm(y.T @ y)
    trace_cov = (centred.square() * share).sum()
    trace_target = target.cov.diagonal().sum()
    result = (mean - target.mean).square().sum() + trace_cov + trace_target - 2 * cross
    return result.clamp_min(0.0)  # ~0 can come out a hair negative in float32


def masked_w2_loss(features: Tensor, mask: Tensor, target: W2Target, mode: LossNormalisation) -> Tensor:
    """:func:`nst_desktop.engine.losses.w2_style_loss` of the region ``mask`` weights."""
    w2 = masked_w2_squared(features, mask, target)
    if mode == "pastiche":
        return w2 / features.shape[1]
    return W2_GAIN * w2 / target.energy.clamp_min(1e-12)


class RegionTargets:
    """Each region's targets per layer (Grams, or W2 targets with their square roots),
    computed once per :class:`Targets` (a scale, a retarget) and blend: a new Targets object
    empties the cache. Gram and W2 regions blend alike, as losses.style_targets does for an
    unmasked run (so a 1:1 region gives each style an equal share, issue 8.5)."""

    def __init__(self) -> None:
        self._of: Targets | None = None
        self._cache: dict[tuple[str, tuple[tuple[int, float], ...]], list[tuple[StyleTarget, float]]] = {}

    def get(self, targets: Targets, layer: str, region: Region,
            mode: LossNormalisation) -> list[tuple[StyleTarget, float]]:
        if targets is not self._of:
            self._of, self._cache = targets, {}
        blend = region.blend()
        key = (layer, blend)
        if key not in self._cache:
            sources = targets.sources[layer]
            chosen = [sources[style] for style, _ in blend]
            self._cache[key] = style_targets({layer: chosen}, [share for _, share in blend], mode)[layer]
        return self._cache[key]

