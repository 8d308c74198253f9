"""The structure content term (engine.losses.self_similarity) at print sizes, tile by tile.

Unlike the features content term it is not local: its grid spans the whole image, and every
grid position's distances to all the others count. So, like the style's statistics, it takes
two passes (engine.run.tiled_pass):

1. no grad: each content layer's features at the grid (every ``stride``-th cell of the whole
   image's feature map, in whichever tile's core it lies) are gathered into one (P, C) matrix,
   in the untiled run's row-major order; the term and dL/d(rows) are computed once on it;
2. pass 2 hands each core cell its gradient (zero off the grid) through the same
   :data:`FeatureGrad` as the style's, so each position is counted once and the sum of the
   tiles' input gradients is the untiled one.

It costs one more no-grad pass over the tiles at the content layers (a third of a step, or
less); P <= 1024 keeps the matrices small whatever the print size.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
from torch import Tensor

from nst_desktop.engine.losses.self_similarity import grid_rows, grid_stride, structure_loss
from nst_desktop.engine.losses.terms import Targets
from nst_desktop.engine.model.vgg import VGG19
from nst_desktop.engine.run.tiled_pass import FeatureGrad, StopCheck, core_rows, window_features
from nst_desktop.engine.spec import tile_plan as geo
from nst_desktop.engine.spec.params import Params

#: Per tile (not per window: in a small image every window is the whole image): (indices into its
#: core rows, indices into the grid's rows).
GridCells = dict[geo.Tile, tuple[Tensor, Tensor]]


def grid_cells(tiles: Sequence[geo.Tile], layer: str, hw: tuple[int, int], stride: int,
               device: torch.device) -> GridCells:
    """Where each tile's core holds grid positions of ``layer``: every cell whose row and column
    in the whole image's map are multiples of ``stride``."""
    grid_width = math.ceil((hw[1] // geo.stride_of(layer)) / stride)
    cells: GridCells = {}
    for tile in tiles:
        gy, gx, _, _ = tile.core_cells(geo.stride_of(layer), hw)
        ys = range(-(-gy.start // stride) * stride, gy.stop, stride)
        xs = range(-(-gx.start // stride) * stride, gx.stop, stride)
        width = gx.stop - gx.start
        core = [(y - gy.start) * width + (x - gx.start) for y in ys for x in xs]
        grid = [(y // stride) * grid_width + x // stride for y in ys for x in xs]
        cells[tile] = (torch.tensor(core, dtype=torch.long, device=device),
                              torch.tensor(grid, dtype=torch.long, device=device))
    return cells


def structure_grads(model: VGG19, image: Tensor, targets: Targets, params: Params, tiles: list[geo.Tile],
                    should_stop: StopCheck | None = None) -> tuple[Tensor, dict[str, FeatureGrad]]:
    """The weighted structure term of ``image`` and, per content layer, the FeatureGrad that
    gives pass 2 its gradient; (0, {}) for the features content term or a zero content weight."""
    zero = image.new_zeros((), dtype=torch.float32)
    active = params.active_layers("content")
    if params.content_loss != "structure" or not params.content_weight or not active:
        return zero, {}
    hw = (image.shape[-2], image.shape[-1])
    target_rows, cells, rows = {}, {}, {}
    for layer, _ in active:
        target = targets.content[layer]
        stride = grid_stride(target.shape[-2], target.shape[-1])
        target_rows[layer] = grid_rows(target, stride)
        cells[layer] = grid_cells(tiles, layer, hw, stride, image.device)
        rows[layer] = torch.zeros_like(target_rows[layer])
    for tile, feats in window_features(model, image, [layer for layer, _ in active], tiles, should_stop):
        for layer, _ in active:
            core_index, grid_index = cells[layer][tile]
            rows[layer][grid_index] = core_rows(feats[layer], tile, layer, hw)[core_index]
    total, grads = zero, {}
    for layer, weight in active:
        leaf = rows[layer].requires_grad_(True)
        term = params.content_weight * weight * structure_loss(leaf, target_rows[layer])
        (drows,) = torch.autograd.grad(term, leaf)
        total = total + term.detach()
        grads[layer] = _grid_grad(drows, cells[layer])
    return total, grads


def _grid_grad(drows: Tensor, cells: GridCells) -> FeatureGrad:
    def grad(rows: Tensor, tile: geo.Tile) -> Tensor:
        core_index, grid_index = cells[tile]
        out = torch.zeros_like(rows)
        out[core_index] = drows[grid_index].to(rows.dtype)
        return out

    return grad


def merged(slopes: Mapping[str, FeatureGrad], more: Mapping[str, FeatureGrad]) -> dict[str, FeatureGrad]:
    """Both sets of feature gradients; a layer in both (a content layer that is also a style
    layer) gets their sum."""
    out = dict(slopes)
    for layer, grad in more.items():
        first = out.get(layer)
        out[layer] = grad if first is None else _sum(first, grad)
    return out


def _sum(a: FeatureGrad, b: FeatureGrad) -> FeatureGrad:
    return lambda rows, tile: a(rows, tile) + b(rows, tile)
