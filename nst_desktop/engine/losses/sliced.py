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

The gradient needs no custom backward: sorting is a permutation, and autograd's gather hands each
position ``2 w_i (p_i - Q(u_i))`` on each direction, i.e. a target per position given the
global order. The tiled pass (engine.run.tiled_pass) uses exactly that: pass 1 gathers every
tile's projections, the loss sorts them all, pass 2 gives each position its gradient.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
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
    style's projections on them sorted per direction (m, K), the middle of each sorted value's
    share of the cumulative weight (``levels`` (m, K); None for equal weights: (j + 1/2) / m) and
    the samples' ``energy``. ``directions`` None: not sliced yet (the painter slices every step)."""

    samples: SlicedSamples
    directions: Tensor | None = None
    sorted: Tensor | None = None
    levels: Tensor | None = None

    @property
    def energy(self) -> Tensor:
        return self.samples.energy


def sliced_target(samples: SlicedSamples, directions: Tensor | None) -> SlicedTarget:
    """The target of ``samples`` on ``directions`` (None: an unsliced placeholder)."""
    if directions is None:
        return SlicedTarget(samples)
    projected = samples.rows @ directions.to(samples.rows.device)
    ordered, order = projected.sort(dim=0)
    levels = None if samples.weights is None else _mid_levels(samples.weights[order])
    return SlicedTarget(samples, directions, ordered, levels)


def _mid_levels(shares: Tensor) -> Tensor:
    """The middle of each sorted value's share of the cumulative weight, per column (shares sum 1)."""
    return shares.cumsum(0) - shares / 2


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
    """The style's quantile function on each direction at ``levels`` (n, K) in 0..1: its sorted
    projections interpolated linearly between their levels (held flat beyond the first and last)."""
    assert target.sorted is not None, "a sliced target must be sliced (sliced_target) before use"
    values, m = target.sorted, target.sorted.shape[0]
    if m == 1:
        return values.expand_as(levels)
    if target.levels is None:  # equal weights: level (j + 1/2) / m sits at index j
        pos = (levels * m - 0.5).clamp(0.0, m - 1.0)
        low = pos.floor().long().clamp(max=m - 2)
    else:
        ends = target.levels.T.contiguous()  # (K, m), ascending per row
        above = torch.searchsorted(ends, levels.T.contiguous()).T  # first level >= u
        low = (above - 1).clamp(0, m - 2)
        at_low, at_high = target.levels.gather(0, low), target.levels.gather(0, low + 1)
        pos = low + ((levels - at_low) / (at_high - at_low).clamp_min(1e-12)).clamp(0.0, 1.0)
    frac = pos - low
    below = values.gather(0, low)
    return below + frac * (values.gather(0, low + 1) - below)


def sliced_distance(projected: Tensor, weights: Tensor | None, target: SlicedTarget) -> Tensor:
    """SW^2 (module docstring) of the positions' projections (n, K) on ``target.directions``, each
    position weighted by ``weights`` (n,) (a region's soft mask; None: equal), against ``target``."""
    ordered, order = projected.float().sort(dim=0)
    n = ordered.shape[0]
    assert target.sorted is not None
    if weights is None:
        if n == target.sorted.shape[0] and target.levels is None:
            wanted = target.sorted  # the same count: the i-th sorted value's target is the style's i-th
        else:
            levels = ((torch.arange(n, device=ordered.device, dtype=torch.float32) + 0.5) / n)
            wanted = quantiles(target, levels[:, None].expand_as(ordered))
        return (ordered - wanted.detach()).square().mean(0).mean()
    shares = (weights.float() / weights.float().sum().clamp_min(1e-12))[order]
    wanted = quantiles(target, _mid_levels(shares))
    return (shares * (ordered - wanted.detach()).square()).sum(0).mean()
