"""A second style loss: the Wasserstein-2 distance between Gaussian fits of the features.

Instead of matching Gram matrices (uncentred second moments), each style layer's features
are summarised by their mean ``mu`` and covariance ``C``, and the loss is the squared W2
distance between the two Gaussians (the idea of crowsonkb/style-transfer-pytorch, MIT;
written afresh here)::

    W2^2 = |mu - mu_t|^2 + tr(C) + tr(C_t) - 2 tr( sqrt( sqrt(C_t) C sqrt(C_t) ) )

Everything runs in float32 with matrix square roots by coupled Newton-Schulz iterations:
no float64, no eigendecomposition, so it runs on Apple's MPS as on CUDA and the CPU.

Departures from the formula as usually written, and why:

* ``sqrt(C_t)`` is computed once per target (and blend), not per step.
* ``tr sqrt(S C S)`` with ``S = sqrt(C_t)`` and ``C = Xc Xc^T / n`` (Xc the centred
  features, n positions) equals the nuclear norm of ``Y = S Xc / sqrt(n)``, i.e. the trace
  of the square root of ``Y^T Y`` (n x n): used when there are fewer positions than channels.
  At deep layers of a small image (relu5_1 of a 256 px image: 256 positions, 512 channels)
  the n x n one is both cheaper and of full rank, where the C x C one is singular.
* The trace of a square root gets its own backward pass: ``d tr sqrt(M) = 1/2 M^(-1/2)``,
  and the coupled iteration yields ``M^(-1/2)`` alongside ``M^(1/2)``, so the backward pass
  costs one product instead of differentiating through every iteration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

#: Newton-Schulz iterations per loss evaluation and for a target's square root (done once).
#: A small eigenvalue lambda (of the norm-scaled matrix) needs ~log(1/lambda) / 0.8 iterations;
#: on real VGG covariances 15 left W2 1-3 % off and its gradient 5 % off on a matrix of
#: condition 1e5, 18 gets both within 0.1-1 %. Not more: the per-step matrix is singular (the
#: centring removes a dimension, dead ReLU channels more), rounding makes some of its ~0
#: eigenvalues slightly negative, and the iteration amplifies those ~2.25x per step until they
#: overflow (NaN after ~25-30 iterations, measured).
NS_ITERS = 18
NS_ITERS_TARGET = 22
#: Ridge added to a target covariance (relative to its norm) before its square root. Float32
#: covariances of ReLU features are singular and rounding leaves eigenvalues ~-1e-7 x the
#: largest; Newton-Schulz amplifies a negative eigenvalue until it overflows (measured: NaN
#: after ~25 iterations at relu5_1). The ridge keeps them positive; it shifts W2 by ~C x ridge.
TARGET_RIDGE = 1.0e-5


@dataclass(frozen=True)
class GaussianStats:
    """Mean (C,) and covariance (C, C) of one layer's features over the positions, float32."""

    mean: Tensor
    cov: Tensor


@dataclass(frozen=True)
class W2Target:
    """What the W2 loss needs of a style layer: its statistics and ``sqrt(cov)``, computed once.

    ``energy`` = tr(cov) + |mean|^2 (the mean squared feature norm) normalises the loss.
    """

    mean: Tensor
    cov: Tensor
    cov_sqrt: Tensor
    energy: Tensor


def mix(stats: Sequence[GaussianStats], weights: Sequence[float]) -> GaussianStats:
    """Gaussian fit of the *mixture* of several feature distributions (weights sum to 1).

    Its second moment is the weighted mean of theirs, exactly as the Gram blend takes the
    weighted mean of the Grams, so a blend means the same in both style losses.
    """
    mean = sum((w * s.mean for s, w in zip(stats, weights, strict=True)), torch.zeros_like(stats[0].mean))
    second = sum((w * (s.cov + torch.outer(s.mean, s.mean)) for s, w in zip(stats, weights, strict=True)),
                 torch.zeros_like(stats[0].cov))
    cov = second - torch.outer(mean, mean)
    return GaussianStats(mean, (cov + cov.T) / 2)


def sqrtm_newton_schulz(matrix: Tensor, iters: int | None = None) -> tuple[Tensor, Tensor]:
    """``(M^(1/2), M^(-1/2))`` of a symmetric positive semi-definite matrix, float32.

    Coupled Newton-Schulz (Higham 2008, eq. 6.35): scaled by its Frobenius norm, every
    eigenvalue lies in (0, 1], where the iteration converges; then ``Y -> M^(1/2)`` and
    ``Z -> M^(-1/2)``. Eigenvalues that are ~0 stay ~0 in ``Y`` (their square roots are ~0).
    """
    m = matrix.float()
    norm = m.norm().clamp_min(1e-30)
    eye = torch.eye(m.shape[-1], dtype=m.dtype, device=m.device)
    y, z = m / norm, eye
    for _ in range(NS_ITERS if iters is None else iters):
        t = 1.5 * eye - 0.5 * (z @ y)
        y, z = y @ t, t @ z
    root = norm.sqrt()
    return y * root, z / root


class _TraceSqrtm(torch.autograd.Function):
    """tr(M^(1/2)) with the analytic backward pass ``1/2 M^(-1/2)`` (M symmetric)."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, matrix: Tensor) -> Tensor:
        root, inv_root = sqrtm_newton_schulz(matrix.detach())
        ctx.save_for_backward(inv_root)
        return torch.diagonal(root).sum()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (inv_root,) = ctx.saved_tensors
        result: Tensor = 0.5 * grad * (inv_root + inv_root.T) / 2
        return result


def trace_sqrtm(matrix: Tensor) -> Tensor:
    """tr(M^(1/2)) of a symmetric PSD matrix, differentiable."""
    result: Tensor = _TraceSqrtm.apply(matrix)  # type: ignore[no-untyped-call]
    return result


def w2_target(stats: GaussianStats) -> W2Target:
    """A layer's W2 target: its statistics, the square root of its covariance, its energy."""
    eye = torch.eye(stats.cov.shape[-1], dtype=stats.cov.dtype, device=stats.cov.device)
    ridged = stats.cov + TARGET_RIDGE * stats.cov.norm() * eye
    root, _ = sqrtm_newton_schulz(ridged, NS_ITERS_TARGET)
    energy = torch.diagonal(stats.cov).sum() + stats.mean.square().sum()
    return W2Target(stats.mean, stats.cov, (root + root.T) / 2, energy)


def cross_term(cov: Tensor, target: W2Target) -> Tensor:
    """``tr sqrt(S C S)`` in its C x C form (``S = sqrt(C_t)``; ``C`` symmetrised first)."""
    return trace_sqrtm(target.cov_sqrt @ ((cov + cov.T) / 2) @ target.cov_sqrt)


def w2_distance(mean: Tensor, trace_cov: Tensor, cross: Tensor, target: W2Target) -> Tensor:
    """The squared W2 distance to ``target`` of a Gaussian fit given by its ``mean``, the trace of
    its covariance and ``cross`` = tr sqrt(S C S) (C x C or n x n form: engine.losses.terms.Statistics)."""
    result = (mean - target.mean).square().sum() + trace_cov + torch.diagonal(target.cov).sum() - 2 * cross
    return result.clamp_min(0.0)  # ~0 can come out a hair negative in float32
