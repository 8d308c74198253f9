"""A third style loss: the sliced Wasserstein distance (Heitz et al., CVPR 2021).

Written from the paper ("A Sliced Wasserstein Loss for Neural Texture Synthesis"); nothing is
taken from its reference code (which has no licence). A layer's features are a cloud of points
in C dimensions, the style's another. Projected on one direction ``d`` each becomes a set of
numbers, and the Wasserstein-2 distance between two sets of numbers is the squared difference of
their sorted values (their quantiles). The loss averages that over ``K`` random directions::

    SW^2 = 1/K sum_k  sum_i w_i (sort(F d_k)_i - Q_k(u_i))^2

``Q_k`` is the style's quantile function on ``d_k`` (its sorted projections, interpolated
linearly when the image and the style have different numbers of positions), ``w_i`` each sorted
position's share (1/n, or its soft mask's share of a region) and ``u_i`` the middle of its share
of the cumulative weight: with equal counts and weights ``Q_k(u_i)`` is exactly the style's i-th
sorted value. Unlike the Gram and W2 losses it matches the whole distribution of every projection,
not only its first two moments.

The directions are ``K = C`` random unit vectors per layer, drawn on the CPU from a generator
seeded by the run's seed and the step (:func:`step_directions`): the same on every device and
path, fixed during one step (every evaluation of one L-BFGS step's closure sees one set), new at
the next, so over the steps the whole sphere of directions is matched. A target therefore holds
the style's feature *samples* (:class:`SlicedSamples`, a blend's the mixture of its styles', each
row weighted by its style's share); the projections and sorting are done per step
(:func:`sliced_target`), which is most of the loss's cost.

The gradient is ``2 w_i (p_i - Q(u_i))`` on each direction: the order is locally constant, so
each position simply gets the style's quantile at its rank as its target (:func:`sliced_distance`).
The tiled pass (engine.run.tiled_pass) uses exactly that: pass 1 gathers every tile's projections,
the loss sorts them all, pass 2 gives each position its gradient.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor

#: Size-invariant gain: SW^2 / (E|f|^2 / C) of the target, times this, so that style weight 1 pulls
#: about as hard as the Gram loss. Calibrated as W2_GAIN was: at the photo (the start image, 256 px,
#: default layers, averaged over 5 steps' directions) the Gram term's image gradient is 1.73x, 2.70x,
#: 2.54x and 5.07x the ungained sliced term's for Tübingen x Starry Night, x The Scream, Golden Gate
#: x Starry Night, x The Scream (benchmarks/bench_sliced.py --calibrate); 2.8 is their geometric mean.
SLICED_GAIN = 2.8


@dataclass(frozen=True)
class SlicedSamples:
    """A layer's feature samples of one style (or of a blend): ``rows`` (m, C) float32, each row's
    ``weights`` (m,) summing to 1 (None: equal), and ``energy`` = E|f|^2 / C, the mean squared
    projection on a random unit direction (it normalises the loss, whatever the directions)."""

    rows: Tensor
    weights: Tensor | None
    energy: Tensor


def samples_of(rows: Tensor) -> SlicedSamples:
    """A style image's samples at a layer from its (m, C) feature rows."""
    rows = rows.float()
    return SlicedSamples(rows, None, rows.square().sum(1).mean() / rows.shape[1])


def mix_samples(samples: Sequence[SlicedSamples], shares: Sequence[float]) -> SlicedSamples:
    """The mixture of several styles' samples (shares sum to 1): every row kept, weighted by its
    style's share over its count, so a blend means what the Gram and W2 blends mean (the
    distribution of the styles' mixed features)."""
    if len(samples) == 1:
        return samples[0]
    weights = [share * (s.weights if s.weights is not None else
                        torch.full((s.rows.shape[0],), 1.0 / s.rows.shape[0], device=s.rows.device))
               for s, share in zip(samples, shares, strict=True)]
    energy = sum((share * s.energy for s, share in zip(samples, shares, strict=True)),
                 torch.zeros_like(samples[0].energy))
    return SlicedSamples(torch.cat([s.rows for s in samples]), torch.cat(weights), energy)


@dataclass(frozen=True)
class SlicedTarget:
    """What the sliced loss needs of a style layer at one step: the ``directions`` (C, K), the
    style's projections on them, each direction's sorted (``sorted`` (K, m)), the middle of each
    sorted value's share of the cumulative weight (``levels`` (K, m); None for equal weights:
    (j + 1/2) / m) and the samples' ``energy``. ``directions`` None: not sliced yet (the painter
    slices every step)."""

    samples: SlicedSamples
    directions: Tensor | None = None
    sorted: Tensor | None = None
    levels: Tensor | None = None

    @property
    def energy(self) -> Tensor:
        return self.samples.energy


def project(rows: Tensor, directions: Tensor) -> Tensor:
    """(n, C) feature rows on (C, K) directions -> (K, n): one direction a row, contiguous, so each
    direction's values sort along the fast axis."""
    return directions.to(rows.device).T @ rows.float().T


def sliced_target(samples: SlicedSamples, directions: Tensor | None) -> SlicedTarget:
    """The target of ``samples`` on ``directions`` (None: an unsliced placeholder)."""
    if directions is None:
        return SlicedTarget(samples)
    projected = project(samples.rows, directions)
    if samples.weights is None:
        return SlicedTarget(samples, directions, _sorted_values(projected))
    order = _sort_order(projected)
    shares = samples.weights[order]
    return SlicedTarget(samples, directions, projected.gather(1, order), _mid_levels(shares))


def _mid_levels(shares: Tensor) -> Tensor:
    """The middle of each sorted value's share of the cumulative weight, per row (shares sum 1)."""
    return shares.cumsum(1) - shares / 2


def _sorted_values(x: Tensor) -> Tensor:
    """Each row of (K, n) sorted ascending. On the CPU by NumPy, whose vectorised sort of float32
    took 0.17 s for 64 x 196,608 values where torch.sort took 1.9 s (2 cores, the relu1_1
    projections of a 512 px image)."""
    if x.device.type != "cpu":
        return x.sort(dim=1).values
    return torch.from_numpy(np.sort(x.detach().contiguous().numpy(), axis=1))


def _sort_order(x: Tensor) -> Tensor:
    """Each row's positions in ascending order of its values, ties in position order: (K, n) int64.

    On the CPU one NumPy sort of int64 keys (the float's bits made order-preserving, in the high
    half; the position in the low half): 0.59 s for 64 x 196,608 values where torch.sort with its
    indices took 1.9 s and np.argsort 1.3-2.0 s."""
    if x.device.type != "cpu":
        return x.sort(dim=1, stable=True).indices
    bits = x.detach().float().contiguous().numpy().view(np.int32)
    # Negative floats' bits order backwards: flipping all but the sign bit makes the int32 order
    # the float order (-0.0 just below +0.0).
    keys = np.where(bits < 0, bits ^ 0x7FFFFFFF, bits).astype(np.int64) << 32
    keys |= np.arange(x.shape[1], dtype=np.int64)
    keys.sort(axis=1)
    return torch.from_numpy(keys & 0xFFFFFFFF)


def step_directions(channels: Mapping[str, int], seed: int, step: int) -> dict[str, Tensor]:
    """The step's random unit directions per layer, (C, C) each (K = C columns), float32 on the CPU.

    Drawn from a generator seeded by the run's seed and the step (layers in name order): a replay
    or a repeat run draws the same; every evaluation of one step uses one set."""
    gen = torch.Generator().manual_seed((seed * 1_000_003 + step) % 2**63)
    out = {}
    for layer in sorted(channels):
        c = channels[layer]
        draws = torch.randn((c, c), generator=gen)
        out[layer] = draws / draws.norm(dim=0, keepdim=True).clamp_min(1e-12)
    return out


def quantiles(target: SlicedTarget, levels: Tensor) -> Tensor:
    """The style's quantile function on each direction at ``levels`` (K, n) in 0..1: its sorted
    projections interpolated linearly between their levels (held flat beyond the first and last).
    Returns (K, n)."""
    assert target.sorted is not None, "a sliced target must be sliced (sliced_target) before use"
    values, m = target.sorted, target.sorted.shape[1]
    if m == 1:
        return values.expand(values.shape[0], levels.shape[-1])
    if target.levels is None:  # equal weights: level (j + 1/2) / m sits at index j
        pos = (levels * m - 0.5).clamp(0.0, m - 1.0)
        low = pos.floor().long().clamp(max=m - 2)
    else:
        low = (torch.searchsorted(target.levels, levels.contiguous()) - 1).clamp(0, m - 2)  # last level below
        at_low, at_high = target.levels.gather(1, low), target.levels.gather(1, low + 1)
        pos = low + ((levels - at_low) / (at_high - at_low).clamp_min(1e-12)).clamp(0.0, 1.0)
    below = values.gather(1, low)
    return below + (pos - low) * (values.gather(1, low + 1) - below)


def _at_ranks(target: SlicedTarget, n: int) -> Tensor:
    """The style's quantiles at the levels (i + 1/2) / n of n equally weighted positions, (K, n)."""
    assert target.sorted is not None
    if target.levels is not None:
        levels = (torch.arange(n, device=target.sorted.device, dtype=torch.float32) + 0.5) / n
        return quantiles(target, levels.expand(target.sorted.shape[0], n))
    if n == target.sorted.shape[1]:
        return target.sorted  # the same count: the i-th smallest's target is the style's i-th
    # Equal weights on both sides: level (i + 1/2) / n sits at (i + 1/2) m / n - 1/2 of the style's
    # sorted values, which is linear interpolation with align_corners=False: torch's kernel, ~8x
    # faster than gathering (0.06 s against 0.5 s at relu1_1 of a 512 px image).
    return F.interpolate(target.sorted[None], size=n, mode="linear", align_corners=False)[0]


def sliced_distance(projected: Tensor, weights: Tensor | None, target: SlicedTarget) -> Tensor:
    """SW^2 (module docstring) of the positions' projections (K, n) on ``target.directions``, each
    position weighted by ``weights`` (n,) (a region's soft mask; None: equal), against ``target``.

    Each position gets the style's quantile at its rank as its own target (no gradient flows into
    the order, which is locally constant), so the backward pass is elementwise."""
    p = projected.float()
    order = _sort_order(p)
    n = p.shape[1]
    assert target.sorted is not None
    if weights is None:
        at_rank = _at_ranks(target, n)
        wanted = torch.empty_like(p).scatter_(1, order, at_rank)
        return (p - wanted).square().mean(1).mean()
    shares = weights.float() / weights.float().sum().clamp_min(1e-12)
    wanted = torch.empty_like(p).scatter_(1, order, quantiles(target, _mid_levels(shares[order])))
    return (shares * (p - wanted).square()).sum(1).mean()
