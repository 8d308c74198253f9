"""Tiled loss and gradient of a masked run: a style per region at print sizes.

engine.run.tiled_pass sums whole-image statistics over the tiles' cores; a mask needs them per
region, each position weighted by the region's soft mask on that layer's grid
(:meth:`nst_desktop.engine.losses.masked_loss.MaskedStyle.grid`, sliced to the tile's core cells):

1. pass 1, no grad: per style layer and styled region ``r``, ``sum m f f^T``, ``sum m f``
   and ``sum m`` over every core, so each region's masked Gram (or mean and covariance)
   is that of :mod:`nst_desktop.engine.losses.masked_loss` exactly;
2. the masked style loss of those statistics (Gram or W2, the same region targets, area
   fractions and strengths as the untiled loss); autograd on them gives each region's
   ``A = dL/dG_r`` and ``b = dL/dmu_r``;
3. pass 2 (engine.run.tiled_pass.local_pass): at every core position the feature gradient is
   ``sum_r m_r(p) ((A_r + A_r^T) f(p) + b_r) / sum m_r``, the region's share of the position;
4. the content loss, the keep-photo pull and TV are local: per tile, per band of rows.

The sliced loss keeps, per region, every core position's projections with its mask there as its
weight (statistics.Stats.projected): pass 2 hands each position dL/dp @ D^T, summed over the
regions (tiled_pass.sliced_grad); no region is kept as rows for it (those serve W2's n x n form).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

import torch
from torch import Tensor

from nst_desktop.engine.losses.masked_loss import MaskedStyle, RegionKey, keep_photo_pull, region_terms
from nst_desktop.engine.losses.sliced import project
from nst_desktop.engine.losses.statistics import Stats
from nst_desktop.engine.losses.terms import Targets
from nst_desktop.engine.model.vgg import VGG19
from nst_desktop.engine.run.tiled_pass import (
    FeatureGrad,
    StatSums,
    StopCheck,
    banded_loss_and_grad,
    core_offsets,
    core_rows,
    finish,
    local_pass,
    random_offset,
    row_bands,
    sliced_grad,
    slope_grad,
    style_gradients,
    tv_loss_and_grad,
    window_features,
)
from nst_desktop.engine.spec import tile_plan as geo
from nst_desktop.engine.spec.params import Params


def _layer_hw(layer: str, hw: tuple[int, int]) -> tuple[int, int]:
    """``layer``'s whole-image grid (pooling floors: H // stride rows), as the untiled loss sees
    it on the layer's features."""
    stride = geo.stride_of(layer)
    return hw[0] // stride, hw[1] // stride


def _grid(masked: MaskedStyle, layer: str, hw: tuple[int, int]) -> Tensor:
    """The soft masks on ``layer``'s whole-image grid."""
    return masked.grid(_layer_hw(layer, hw)).masks


def _few_positions(masked: MaskedStyle, keys: list[RegionKey], hw: tuple[int, int]) -> set[RegionKey]:
    """The regions that weight fewer positions of their layer than it has channels: kept as rows
    (statistics.Stats.rows), their covariance being singular. Counted on the host: no GPU sync."""
    return {(layer, index) for layer, index in keys
            if masked.grid(_layer_hw(layer, hw)).positions[index] < geo.channels_of(layer)}


def _cell_index(tile: geo.Tile, layer: str, hw: tuple[int, int]) -> Tensor:
    """The flat whole-grid index of each of a tile's core cells at ``layer``, in core_rows' order."""
    gy, gx, _, _ = tile.core_cells(geo.stride_of(layer), hw)
    ys, xs = torch.arange(gy.start, gy.stop), torch.arange(gx.start, gx.stop)
    return (ys[:, None] * _layer_hw(layer, hw)[1] + xs[None, :]).reshape(-1)


def region_stats(model: VGG19, image: Tensor, keys: list[RegionKey], tiles: list[geo.Tile],
                 masked: MaskedStyle, should_stop: StopCheck | None = None,
                 directions: Mapping[str, Tensor] | None = None) -> dict[RegionKey, Stats]:
    """Pass 1: each region's masked whole-image :class:`Stats`, one tile window at a time; a region
    of few positions keeps their features and weights (statistics.Stats.rows); with the sliced
    loss's ``directions``, every core position's projections and mask (Stats.projected)."""
    hw = (image.shape[-2], image.shape[-1])
    layers = sorted({layer for layer, _ in keys})
    few = set() if directions else _few_positions(masked, keys, hw)
    sums = StatSums[RegionKey]()
    kept: dict[RegionKey, list[tuple[Tensor, Tensor, Tensor]]] = {key: [] for key in few}
    # The sliced loss's (projections, mask) per region, in the tiles' order.
    projected: dict[RegionKey, list[tuple[Tensor, Tensor]]] = {k: [] for k in (keys if directions else ())}
    for tile, feats in window_features(model, image, layers, tiles, should_stop):
        for layer in layers:
            rows = core_rows(feats[layer], tile, layer, hw)
            gy, gx, _, _ = tile.core_cells(geo.stride_of(layer), hw)
            grids = _grid(masked, layer, hw)
            along = project(rows, directions[layer]) if directions else None
            for key in (k for k in keys if k[0] == layer):
                weights = grids[key[1]][gy, gx].reshape(-1, 1).to(rows.dtype)
                sums.add(key, rows, weights)
                if key in kept:
                    where = weights[:, 0] > 0
                    cells = _cell_index(tile, layer, hw)[where.cpu()]
                    kept[key].append((rows[where], weights[where, 0], cells))
                if along is not None:
                    projected[key].append((along, weights[:, 0]))
    stats = sums.stats(image.device, {key: _in_grid_order(parts) for key, parts in kept.items()})
    return {key: replace(s, projected=torch.cat([p for p, _ in projected[key]], dim=1),
                         projected_weights=torch.cat([w for _, w in projected[key]]))
            if key in projected else s for key, s in stats.items()}


def _in_grid_order(parts: list[tuple[Tensor, Tensor, Tensor]]) -> tuple[Tensor, Tensor]:
    """The (rows, weights, cell index) the tiles kept, as (rows, weights) in the order of the grid's
    flat index: pass 2 finds a cell's row from the mask alone (:func:`_weighted_cells`)."""
    order = torch.argsort(torch.cat([part[2] for part in parts]))
    return torch.cat([part[0] for part in parts])[order], torch.cat([part[1] for part in parts])[order]


def _weighted_cells(grid: Tensor) -> Tensor:
    """The flat index of every cell a region's (h, w) mask weights, ascending (a kept row's cell)."""
    return torch.nonzero(grid.reshape(-1) > 0)[:, 0].cpu()


def _region_grads(slopes: Mapping[RegionKey, Tensor], row_grads: Mapping[RegionKey, Tensor],
                  masked: MaskedStyle, hw: tuple[int, int],
                  sliced: Callable[[str, Tensor], FeatureGrad] | None) -> dict[str, FeatureGrad]:
    """Per layer, dL/df at a tile's core: each region's slope weighted by its mask there, plus a
    region kept as rows' own gradient at its cells (the mask's share is in it already), or the
    sliced loss's gradient of its projections (``sliced``: the layer and dL/dp -> its FeatureGrad)."""
    out: dict[str, FeatureGrad] = {}
    for layer in sorted({layer for layer, _ in slopes}):
        grids = _grid(masked, layer, hw)

        def kept(index: int, layer: str = layer, grids: Tensor = grids) -> FeatureGrad | None:
            row_grad = row_grads.get((layer, index))
            if sliced is not None and row_grad is not None:
                return sliced(layer, row_grad)
            return _row_grad(layer, row_grad, grids[index], hw)

        mine = [(index, slope_grad(slope), kept(index))
                for (name, index), slope in slopes.items() if name == layer]
        stride = geo.stride_of(layer)

        def grad(rows: Tensor, tile: geo.Tile, mine: list[tuple[int, FeatureGrad, FeatureGrad | None]] = mine,
                 grids: Tensor = grids, stride: int = stride) -> Tensor:
            gy, gx, _, _ = tile.core_cells(stride, hw)
            total = torch.zeros_like(rows)
            for index, region_grad, kept_grad in mine:
                weights = grids[index][gy, gx].reshape(-1, 1).to(rows.dtype)
                total = total + weights * region_grad(rows, tile)
                if kept_grad is not None:
                    total = total + kept_grad(rows, tile)
            return total

        out[layer] = grad
    return out


def _row_grad(layer: str, row_grad: Tensor | None, grid: Tensor, hw: tuple[int, int]) -> FeatureGrad | None:
    """The FeatureGrad of a kept region's dL/d(rows) (rows in grid order, statistics.Stats.rows):
    each core cell that ``grid`` weights gets its row's; the other cells none."""
    if row_grad is None:
        return None
    weighted = _weighted_cells(grid)

    def grad(rows: Tensor, tile: geo.Tile) -> Tensor:
        cells = _cell_index(tile, layer, hw)
        here = grid.reshape(-1)[cells.to(grid.device)].cpu() > 0
        total = torch.zeros_like(rows)
        at = torch.searchsorted(weighted, cells[here]).to(row_grad.device)
        total[here.to(rows.device)] = row_grad[at].to(rows.dtype)
        return total

    return grad


def keep_photo_loss_and_grad(x: Tensor, photo: Tensor, masked: MaskedStyle, grad: Tensor,
                             rows: int = 256) -> Tensor:
    """masked.keep_photo_loss as the sum of its bands' shares (masked.keep_photo_pull); adds its
    gradient to ``grad``."""
    hw = (x.shape[-2], x.shape[-1])
    mask = masked.keep_photo_mask(hw)
    if mask is None:
        return x.new_zeros((), dtype=torch.float32)

    def band_pull(band: Tensor, r0: int, r1: int) -> Tensor:
        return keep_photo_pull(band, photo[..., r0:r1, :], mask[r0:r1], hw)

    return banded_loss_and_grad(x, grad, row_bands(hw[0], rows), band_pull)


def tiled_loss_and_grad(model: VGG19, x: Tensor, targets: Targets, params: Params, tile: int,
                        gen: torch.Generator, masked: MaskedStyle, photo: Tensor, *,
                        should_stop: StopCheck | None = None) -> dict[str, float]:
    """masked.masked_total_loss's terms of ``x`` and its gradient, one tile window at a time
    (``photo``: the content at ``x``'s size, as the untiled loss takes it; ``should_stop``: as
    engine.run.tiled_pass's)."""
    hw = (x.shape[-2], x.shape[-1])
    image = x.detach()
    terms = region_terms(targets, params, masked, lambda layer: _layer_hw(layer, hw))
    layers = sorted({term.key[0] for term in terms} | {layer for layer, _ in params.active_layers("content")})
    halo = geo.halo_for(geo.deepest(layers)) if layers else 0
    tiles = geo.plan_tiles(hw, tile, halo, random_offset(tile, gen))
    grad = torch.zeros_like(image, dtype=torch.float32)
    style, slopes = x.new_zeros(()), dict[str, FeatureGrad]()
    if terms:
        directions = targets.directions or None
        keys = [term.key for term in terms]
        stats = region_stats(model, image, keys, tiles, masked, should_stop, directions)
        style, region_slopes, row_grads = style_gradients(stats, terms, params)

        def sliced(layer: str, dprojected: Tensor) -> FeatureGrad:
            return sliced_grad(dprojected, targets.directions[layer], core_offsets(tiles, layer, hw))

        slopes = _region_grads(region_slopes, row_grads, masked, hw, sliced if directions else None)
    content = local_pass(model, image, targets, params, tiles, slopes, grad, should_stop)
    # Not scaled by the content weight (masked.masked_total_loss): reported inside "content".
    content = content + keep_photo_loss_and_grad(image, photo, masked, grad, rows=max(tile, 64))
    tv = tv_loss_and_grad(image, params, grad, rows=max(tile, 64))
    return finish(x, grad, content, style, tv)
