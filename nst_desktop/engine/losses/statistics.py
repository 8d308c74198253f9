"""What a style term reads of one layer's features: the statistics every path computes.

The style loss (engine.losses.terms.style_term) is a function of a layer's statistics, never of
its features directly, so one term serves every path:

* :class:`FeatureStats`: the features of the whole image in hand (an untiled run);
* :class:`MaskedFeatureStats`: the same, each position weighted by a region's soft mask ``m``
  and normalised by its area ``W = sum m`` (Gatys et al. 2017's spatial control): a region's
  Gram ``sum m f f^T / W``, mean ``sum m f / W`` and covariance;
* :class:`Stats`: sums gathered tile by tile (``sum f f^T``, ``sum f`` and the count, each
  position weighted by its mask for a region: engine.run.tiled_pass and engine.run.masked_tiled_pass).

Each gives the Gram matrix (the Gram loss) and the three parts of the squared W2 distance
(engine.losses.wasserstein.w2_distance): the mean, the trace of the covariance and
``tr sqrt(S C S)``. With the features in hand that trace takes the C x C form or, with fewer
positions than channels (deep layers of a small image), the n x n one, ``Y^T Y`` with
``Y = S Xc / sqrt(n)`` (``Y = S Xc diag(sqrt(m / W))`` for a region), which is of full rank
where the C x C one is singular. Sums only have the C x C form, which serves the sizes that are
tiled (far more positions than channels), except for a small masked region: one weighting fewer
positions than the layer has channels keeps those positions' features (``Stats.rows``) and takes
the n x n form of :class:`MaskedFeatureStats` from them, as the untiled path does.

The sliced loss (engine.losses.sliced) reads each position's projections on the step's directions
(``projections``) with its weight, and a style image's feature samples (``samples``); tiled sums
cannot give those, so :class:`Stats` carries the projections pass 1 gathered (``projected``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import Tensor

from nst_desktop.engine.losses.sliced import SlicedSamples, project, samples_of
from nst_desktop.engine.losses.wasserstein import GaussianStats, W2Target, cross_term, trace_sqrtm


class Statistics(Protocol):
    """One layer's (or one masked region's) statistics, as a style term reads them."""

    @property
    def channels(self) -> int: ...

    @property
    def gram(self) -> Tensor:
        """(C, C) ``sum f f^T`` over the positions (weighted), divided by their count (area)."""
        ...

    def gaussian(self) -> GaussianStats:
        """Mean and covariance: a style image's W2 source (engine.losses.terms.Targets.sources)."""
        ...

    def w2_parts(self, target: W2Target) -> tuple[Tensor, Tensor, Tensor]:
        """(mean, trace of the covariance, tr sqrt(S C S)) for engine.losses.wasserstein.w2_distance."""
        ...

    def samples(self) -> SlicedSamples:
        """The feature rows: a style image's sliced source (engine.losses.sliced)."""
        ...

    def projections(self, directions: Tensor) -> tuple[Tensor, Tensor | None]:
        """Each position's projections on ``directions`` (C, K) -> (K, n), and its weight (n,) or
        None (equal): what engine.losses.sliced.sliced_distance reads."""
        ...


class _Gram(torch.autograd.Function):
    """``rows^T rows`` for (N, positions, C) rows, with a backward of one matrix product.

    Autograd's own backward of ``A^T A`` takes two (one per factor); ``G`` is symmetric, so
    ``dL/drows = rows (dG + dG^T)`` is the same gradient for one product of the size of the
    forward. The Gram products are ~21 % of a step in bfloat16 (the convolutions run in 16
    bits, these in float32), so this saves ~7 % of every step (RESULTS.md, issue 9.0).
    """

    @staticmethod
    def forward(ctx: Any, rows: Tensor) -> Tensor:
        ctx.save_for_backward(rows)
        return torch.bmm(rows.transpose(1, 2), rows)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (rows,) = ctx.saved_tensors
        return torch.bmm(rows, grad + grad.transpose(1, 2))


def gram_matrix(features: Tensor) -> Tensor:
    """(N, C, H, W) -> (N, C, C) Gram matrices divided by H*W, computed in float32."""
    n, c, h, w = features.shape
    if c > 1 and not features.is_contiguous() and features.is_contiguous(memory_format=torch.channels_last):
        # channels_last stores (N, H, W, C): view it as positions x channels, no transpose copy.
        rows = features.permute(0, 2, 3, 1).reshape(n, h * w, c).float()
    else:
        rows = features.reshape(n, c, h * w).float().transpose(1, 2)
    gram: Tensor = _Gram.apply(rows)  # type: ignore[no-untyped-call]
    return gram / (h * w)


class FeatureStats:
    """The statistics of (1, C, h, w) features over all their positions, computed when asked
    (the Gram once; the W2 parts for each target, as each target's term builds its own graph)."""

    def __init__(self, features: Tensor) -> None:
        self.features = features

    @property
    def channels(self) -> int:
        return int(self.features.shape[1])

    @functools.cached_property
    def gram(self) -> Tensor:
        return gram_matrix(self.features)[0]

    def gaussian(self) -> GaussianStats:
        x = self._rows()
        mean = self._mean(x)
        centred = x - mean[:, None]
        return GaussianStats(mean, self._covariance(centred))

    def w2_parts(self, target: W2Target) -> tuple[Tensor, Tensor, Tensor]:
        x = self._rows()
        mean = self._mean(x)
        centred = x - mean[:, None]
        if x.shape[1] >= x.shape[0]:  # C x C: one pass over the positions (as the Gram), then C^3
            cross = cross_term(self._covariance(centred), target)
        else:  # n x n: tr sqrt(S C S) = nuclear norm of y = tr sqrt(y^T y), of full rank here
            y = self._spread(target.cov_sqrt @ centred)
            cross = trace_sqrtm(y.T @ y)
        return mean, self._trace(centred), cross

    def samples(self) -> SlicedSamples:
        return samples_of(self._rows().T)

    def projections(self, directions: Tensor) -> tuple[Tensor, Tensor | None]:
        return project(self._rows().T, directions), None

    def _rows(self) -> Tensor:
        """(C, h*w) float32 (reshape copies a channels_last tensor: fine)."""
        return self.features[0].reshape(self.features.shape[1], -1).float()

    def _mean(self, x: Tensor) -> Tensor:
        return x.mean(dim=1)

    def _covariance(self, centred: Tensor) -> Tensor:
        return centred @ centred.T / centred.shape[1]

    def _spread(self, scaled: Tensor) -> Tensor:
        """``S Xc`` -> ``Y``, whose ``Y^T Y`` (n x n) has the spectrum of S C S."""
        spread: Tensor = scaled / scaled.shape[1] ** 0.5
        return spread

    def _trace(self, centred: Tensor) -> Tensor:
        return centred.square().sum() / centred.shape[1]


class MaskedFeatureStats(FeatureStats):
    """The statistics of the positions an (h, w) soft ``mask`` weights, normalised by its area:
    with a mask of ones, those of :class:`FeatureStats`."""

    def __init__(self, features: Tensor, mask: Tensor) -> None:
        super().__init__(features)
        self.mask = mask

    @functools.cached_property
    def gram(self) -> Tensor:
        channels = self.features.shape[1]
        flat = self.features.reshape(channels, -1).float()  # reshape copies a channels_last tensor: fine
        weights = self.mask.reshape(1, -1).to(device=flat.device, dtype=flat.dtype)
        return (flat * weights) @ flat.T / weights.sum().clamp_min(1e-12)

    @functools.cached_property
    def _share(self) -> Tensor:
        """Each position's share ``m / W`` of the region (n,)."""
        weights = self.mask.reshape(-1).to(device=self.features.device, dtype=torch.float32)
        return weights / weights.sum().clamp_min(1e-12)

    def _mean(self, x: Tensor) -> Tensor:
        return x @ self._share

    def samples(self) -> SlicedSamples:
        rows = self._rows().T
        return SlicedSamples(rows, self._share, (rows.square().sum(1) @ self._share) / rows.shape[1])

    def projections(self, directions: Tensor) -> tuple[Tensor, Tensor | None]:
        return project(self._rows().T, directions), self._share

    def _covariance(self, centred: Tensor) -> Tensor:
        return (centred * self._share) @ centred.T

    def _spread(self, scaled: Tensor) -> Tensor:
        return scaled * self._share.sqrt()

    def _trace(self, centred: Tensor) -> Tensor:
        return (centred.square() * self._share).sum()


@dataclass(frozen=True)
class Stats:
    """A layer's (or region's) statistics from sums over tiles: ``gram`` = sum f f^T / N (what
    gram_matrix gives), ``mean`` = sum f / N, over ``count`` = N positions. A masked region's
    (engine.run.masked_tiled_pass) weighs each position by its mask: then ``count`` is the weighted
    area sum m, not a whole number.

    ``rows`` (k, C) and ``weights`` (k,): a masked region's every weighted position (mask > 0)
    when there are fewer than C of them. Its covariance then has rank < C and, taken as
    ``gram - mean mean^T`` (float32 rounding leaves it slightly indefinite), Newton-Schulz on the
    C x C form diverges (NaN, or a gradient of 1e14); the n x n form of those rows stays of
    full rank. The mean and W2 parts come from the rows; ``gram`` still serves the Gram loss.

    ``projected`` (K, N): every core position's projections on the step's sliced directions, in
    the tiles' order (engine.run.tiled_pass), with ``projected_weights`` (N,) a region's mask there
    (None: a whole layer's, equal)."""

    gram: Tensor
    mean: Tensor
    count: float
    rows: Tensor | None = None
    weights: Tensor | None = None
    projected: Tensor | None = None
    projected_weights: Tensor | None = None

    @property
    def channels(self) -> int:
        return int(self.gram.shape[0])

    def gaussian(self) -> GaussianStats:
        cov = self.gram - torch.outer(self.mean, self.mean)
        return GaussianStats(self.mean, (cov + cov.T) / 2)

    def w2_parts(self, target: W2Target) -> tuple[Tensor, Tensor, Tensor]:
        if self.rows is not None and self.weights is not None:
            # The rows as a (1, C, k, 1) feature map: k < C positions, so the n x n form.
            features = self.rows.T.reshape(1, self.channels, -1, 1)
            return MaskedFeatureStats(features, self.weights.reshape(-1, 1)).w2_parts(target)
        cov = self.gram - torch.outer(self.mean, self.mean)
        cross = cross_term(cov, target)
        return self.mean, torch.diagonal(cov).sum(), cross

    def samples(self) -> SlicedSamples:
        raise NotImplementedError("sums keep no samples: tiled_pass.tiled_targets gathers a sliced "
                                  "style whole")

    def projections(self, directions: Tensor) -> tuple[Tensor, Tensor | None]:
        assert self.projected is not None and self.projected.shape[0] == directions.shape[1], \
            "pass 1 gathers the projections on the step's directions (tiled_pass.image_stats)"
        return self.projected, self.projected_weights
