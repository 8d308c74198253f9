"""Tiled loss and gradient for print sizes: exact whole-image statistics, memory of one tile.

A step at 4096 px would keep ~25 GB of VGG activations for the backward pass. Here the
network only ever sees one tile window at a time (engine.spec.tile_plan: geometry and halos):

1. pass 1, no grad: every tile's core features add to each style layer's sums
   ``sum f f^T``, ``sum f`` and count (engine.losses.statistics.Stats), so the whole image's Gram (or mean
   and covariance) is known exactly;
2. the style loss is a function of those small statistics (losses.style_sum): autograd
   on them gives dL/dGram and dL/dmean once per layer, and from those the gradient at every
   position, dL/df = (1/N) (A + A^T) f + b/N (A = dL/dGram, b = dL/dmean);
3. pass 2, tile by tile with grad: backprop the surrogate sum over core positions of
   <dL/df, f> plus the (local) content loss; each core position is counted once, and the
   halo pixels get their real share of the gradient from the core's outputs, so the sum of
   the tiles' input gradients is the whole image's;
4. total variation is local too: it is summed over bands of rows.

The sliced loss (engine.losses.sliced) needs every position, not sums: pass 1 also keeps each
core position's projections on the step's directions (in the tiles' order), the loss sorts them
all at once, and pass 2 hands each position its own gradient dL/dp @ D^T (:func:`sliced_grad`).
For fixed directions that is the untiled gradient; it keeps each style layer's projections of
the whole image in memory (as much as its features; ~8 GB at 4096 px), not its activations.

A random, seeded grid offset each step moves the tile borders, so no seam can settle.
A masked run sums the same statistics per painted region (engine.run.masked_tiled_pass).

A print-size step takes from 20 s to over 10 minutes, so every tile loop asks ``should_stop``
before each tile and abandons the pass with :class:`PassStoppedError` (stylize keeps the best image).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Generic, TypeVar

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor

from nst_desktop.engine.losses.self_similarity import STRUCTURE_FEATURE_SHARE
from nst_desktop.engine.losses.sliced import project
from nst_desktop.engine.losses.statistics import FeatureStats, Statistics, Stats
from nst_desktop.engine.losses.terms import (
    StyleTerm,
    Targets,
    backward_pass,
    content_loss,
    layer_terms,
    style_sum,
    tv_loss,
)
from nst_desktop.engine.model.vgg import VGG19
from nst_desktop.engine.run.inputs import Inputs, assemble_targets, layout, resize
from nst_desktop.engine.spec import tile_plan as geo
from nst_desktop.engine.spec.params import LossNormalisation, Params

#: dL/df at a tile's core positions of one layer: (detached core rows (P, C), the tile) -> (P, C).
FeatureGrad = Callable[[Tensor, geo.Tile], Tensor]
K = TypeVar("K", bound=Hashable)
#: Asked before each tile; True abandons the pass (the run's stop, engine.run.runstate).
StopCheck = Callable[[], bool]


class PassStoppedError(Exception):
    """A stop was asked for between two tiles: the step or targets being computed are abandoned."""


def checked(tiles: Iterable[geo.Tile], should_stop: StopCheck | None) -> Iterator[geo.Tile]:
    """``tiles``, asking ``should_stop`` before each: a stop does not wait for the pass's other tiles."""
    for tile in tiles:
        if should_stop is not None and should_stop():
            raise PassStoppedError
        yield tile


def tile_window(x: Tensor, tile: geo.Tile) -> Tensor:
    y0, y1, x0, x1 = tile.window
    return x[..., y0:y1, x0:x1]


def window_features(model: VGG19, image: Tensor, layers: list[str], tiles: Iterable[geo.Tile],
                    should_stop: StopCheck | None = None) -> Iterator[tuple[geo.Tile, dict[str, Tensor]]]:
    """The no-grad passes' loop (the targets, pass 1): each tile with its window's features at
    ``layers``, asking ``should_stop`` before each tile."""
    for tile in checked(tiles, should_stop):
        with torch.no_grad():
            features = model(layout(tile_window(image, tile), image.device), layers)
        yield tile, features


def core_rows(features: Tensor, tile: geo.Tile, layer: str, hw: tuple[int, int]) -> Tensor:
    """The core's positions of a window's features as a float32 (positions, channels) matrix."""
    _, _, ry, rx = tile.core_cells(geo.stride_of(layer), hw)
    core = features[0, :, ry, rx].float()
    return core.permute(1, 2, 0).reshape(-1, core.shape[0])


def wide(t: Tensor) -> Tensor:
    """``t`` in float64 for the exact whole-image sums: a 4096 px image adds up 11 M positions
    at relu1_1, beyond float32's 24 bits. On the CPU for MPS, which has no float64 (a C x C
    matrix a tile and layer: ~1 MB, small next to the tile's VGG pass)."""
    return t.to(device="cpu", dtype=torch.float64) if t.device.type == "mps" else t.double()


class StatSums(Generic[K]):
    """Pass 1's running whole-image sums per key (a layer, or a masked region at a layer:
    engine.run.masked_tiled_pass), in float64 (:func:`wide`): ``sum m f f^T``, ``sum m f`` and
    ``sum m`` over the tiles' core positions, each weighted by its mask ``m`` (1 for a layer)."""

    def __init__(self) -> None:
        self._sums: dict[K, tuple[Tensor, Tensor, Tensor | int]] = {}

    def add(self, key: K, rows: Tensor, weights: Tensor | None = None) -> None:
        """A tile's core ``rows`` (positions, C), weighted by ``weights`` (positions, 1) if given."""
        weighted = rows if weights is None else rows * weights
        area = rows.shape[0] if weights is None else wide(weights.sum())
        part = (wide(weighted.T @ rows), wide(weighted.sum(0)), area)
        old = self._sums.get(key)
        self._sums[key] = part if old is None else (old[0] + part[0], old[1] + part[1], old[2] + part[2])

    def stats(self, device: torch.device, kept: Mapping[K, tuple[Tensor, Tensor]] | None = None
              ) -> dict[K, Stats]:
        """Each key's :class:`Stats` on ``device`` (the sums over the area), with the (rows, weights)
        ``kept`` of a small masked region (statistics.Stats.rows)."""
        out = {}
        for key, (gram, mean, area) in self._sums.items():
            count = max(float(area), 1e-12)  # a region whose mask vanished on this grid: no NaN
            rows, weights = (kept or {}).get(key, (None, None))
            gram, mean = (gram / count).to(device, torch.float32), (mean / count).to(device, torch.float32)
            out[key] = Stats(gram, mean, count, rows, weights)
        return out


def image_stats(model: VGG19, image: Tensor, layers: list[str], tiles: list[geo.Tile],
                should_stop: StopCheck | None = None,
                directions: Mapping[str, Tensor] | None = None) -> dict[str, Stats]:
    """Pass 1: each layer's whole-image :class:`Stats`, one tile window in memory at a time; with
    the sliced loss's ``directions``, every core position's projections too (Stats.projected)."""
    hw = (image.shape[-2], image.shape[-1])
    sums = StatSums[str]()
    projected: dict[str, list[Tensor]] = {layer: [] for layer in directions or {}}
    for tile, feats in window_features(model, image, layers, tiles, should_stop):
        for layer in layers:
            rows = core_rows(feats[layer], tile, layer, hw)
            sums.add(layer, rows)
            if layer in projected:
                projected[layer].append(project(rows, (directions or {})[layer]))
    stats = sums.stats(image.device)
    return {layer: replace(s, projected=torch.cat(projected[layer], dim=1)) if layer in projected else s
            for layer, s in stats.items()}


def core_offsets(tiles: Sequence[geo.Tile], layer: str, hw: tuple[int, int]) -> dict[geo.Tile, int]:
    """Where each tile's core rows of ``layer`` start in pass 1's concatenation (tiles in order),
    keyed by the tile (not its window: in an image smaller than a window, the halo makes every
    tile's window the whole image)."""
    offsets: dict[geo.Tile, int] = {}
    start = 0
    for tile in tiles:
        gy, gx, _, _ = tile.core_cells(geo.stride_of(layer), hw)
        offsets[tile] = start
        start += max(0, gy.stop - gy.start) * max(0, gx.stop - gx.start)
    return offsets


def sliced_grad(dprojected: Tensor, directions: Tensor,
                offsets: Mapping[geo.Tile, int]) -> FeatureGrad:
    """The FeatureGrad of the sliced loss: a core position's dL/df = dL/dp @ D^T, its dL/dp found in
    pass 1's order by its tile's offset (:func:`core_offsets`)."""
    back = directions.to(dprojected.device)

    def grad(rows: Tensor, tile: geo.Tile) -> Tensor:
        start = offsets[tile]
        return (back @ dprojected[:, start:start + rows.shape[0]]).T.to(rows.dtype)

    return grad


def image_features(model: VGG19, image: Tensor, layers: list[str], tiles: list[geo.Tile],
                   should_stop: StopCheck | None = None) -> dict[str, Tensor]:
    """Whole-image features (float32) of ``layers``, assembled from the tiles' cores, no grad."""
    hw = (image.shape[-2], image.shape[-1])
    out: dict[str, Tensor] = {}
    for tile, feats in window_features(model, image, layers, tiles, should_stop):
        for layer in layers:
            s = geo.stride_of(layer)
            if layer not in out:
                out[layer] = image.new_zeros((1, geo.channels_of(layer), hw[0] // s, hw[1] // s))
            gy, gx, ry, rx = tile.core_cells(s, hw)
            out[layer][..., gy, gx] = feats[layer][..., ry, rx].float()
    return out


def tiled_targets(model: VGG19, inputs: Inputs, params: Params, hw: tuple[int, int], tile: int,
                  should_stop: StopCheck | None = None) -> Targets:
    """inputs.targets for an image too big for one pass: the content features and each style's
    statistics gathered tile by tile (inputs.assemble_targets blends them; a sliced style's
    features whole, its samples)."""
    halo = geo.halo_for(geo.deepest_computed(params))
    content_layers = [layer for layer, _ in params.active_layers("content")]
    content: dict[str, Tensor] = {}
    if content_layers:
        image = resize(inputs.content, hw)
        content = image_features(model, image, content_layers, geo.plan_tiles(hw, tile, halo), should_stop)

    def style_stats(image: Tensor) -> Mapping[str, Statistics]:
        tiles = geo.plan_tiles((image.shape[-2], image.shape[-1]), tile, halo)
        if params.style_loss == "sliced":
            features = image_features(model, image, list(params.style_layers), tiles, should_stop)
            return {layer: FeatureStats(f) for layer, f in features.items()}
        return image_stats(model, image, list(params.style_layers), tiles, should_stop)

    # The style's tiles follow from the tile and the halo (which the content layers can deepen).
    return assemble_targets(content, style_stats, inputs, params, hw, model, ("tiled", tile, halo))


def _content_scale(target: Tensor, mode: LossNormalisation) -> Tensor:
    """content_loss per unit of mean squared error, read off the real function (it is
    linear in the MSE), so the tiled sum follows any change of its normalisation."""
    shifted = target + 1.0
    return content_loss(shifted, target, mode) / F.mse_loss(shifted, target)


def style_gradients(stats: Mapping[K, Stats], terms: Sequence[StyleTerm[K]], params: Params
                    ) -> tuple[Tensor, dict[K, Tensor], dict[K, Tensor]]:
    """The weighted style term of ``terms`` (losses.style_sum, times the style weight); per
    layer (or masked region), the (sym(A)/N, b/N) that give dL/df = f @ sym + b; and for a
    small region kept as rows (statistics.Stats.rows), dL/d(rows) at its positions, or for the
    sliced loss's projections (statistics.Stats.projected), dL/d(projections)."""
    leaves = {k: _leaf(s) for k, s in stats.items()}
    device = next(iter(leaves.values())).gram.device
    value = params.style_weight * style_sum(terms, leaves, params.loss_normalisation, device)
    inputs = [t for s in leaves.values() for t in (s.gram, s.mean)]
    with_rows = [(k, kept) for k, s in leaves.items()
                 if (kept := s.rows if s.rows is not None else s.projected) is not None]
    inputs += [rows for _, rows in with_rows]
    # A term may ignore some statistics (a Gram loss never reads the mean): those get zeros.
    grads: list[Tensor | None] = (list(torch.autograd.grad(value, inputs, allow_unused=True))
                                  if value.requires_grad else [None] * len(inputs))
    out = {}
    for i, (layer, s) in enumerate(leaves.items()):
        dgram = grads[2 * i] if grads[2 * i] is not None else torch.zeros_like(s.gram)
        dmean = grads[2 * i + 1] if grads[2 * i + 1] is not None else torch.zeros_like(s.mean)
        assert dgram is not None and dmean is not None
        out[layer] = torch.cat([(dgram + dgram.T) / s.count, (dmean / s.count)[None]])  # (C + 1, C)
    row_grads = {}
    for (key, rows), drows in zip(with_rows, grads[2 * len(leaves):], strict=True):
        row_grads[key] = drows if drows is not None else torch.zeros_like(rows)
    return value.detach(), out, row_grads


def _leaf(stats: Stats) -> Stats:
    """``stats`` with fresh leaves to differentiate the style term by."""
    rows = None if stats.rows is None else stats.rows.clone().requires_grad_(True)
    projected = None if stats.projected is None else stats.projected.clone().requires_grad_(True)
    return Stats(stats.gram.clone().requires_grad_(True), stats.mean.clone().requires_grad_(True),
                 stats.count, rows, stats.weights, projected, stats.projected_weights)


def slope_grad(slope: Tensor) -> FeatureGrad:
    """The FeatureGrad of a layer's whole-image (sym(A)/N, b/N): dL/df = f @ sym + b everywhere."""
    return lambda rows, _tile: rows @ slope[:-1] + slope[-1]


def local_pass(model: VGG19, x: Tensor, targets: Targets, params: Params, tiles: list[geo.Tile],
               slopes: Mapping[str, FeatureGrad], grad: Tensor,
               should_stop: StopCheck | None = None) -> Tensor:
    """Pass 2: every tile's share of the gradient into ``grad``; returns the content term."""
    from nst_desktop.engine.run.tiled_structure import merged, structure_grads  # it builds on this module

    hw = (x.shape[-2], x.shape[-1])
    mode = params.loss_normalisation
    # The structure term's self-similarity is not local: its own pass gathers the grid and hands
    # each cell its gradient through ``slopes`` (engine.run.tiled_structure); its share of the
    # features term is local, here.
    structure, structure_slopes = structure_grads(model, x, targets, params, tiles, should_stop)
    slopes = merged(slopes, structure_slopes)
    share = 1.0 if params.content_loss == "features" else STRUCTURE_FEATURE_SHARE
    content = [(layer, w * share, targets.content[layer], _content_scale(targets.content[layer], mode))
               for layer, w in params.active_layers("content") if params.content_weight and share]
    layers = sorted(set(slopes) | {layer for layer, *_ in content})
    total = x.new_zeros((), dtype=torch.float32)
    for tile in checked(tiles, should_stop):
        window = tile_window(x, tile).clone().requires_grad_(True)
        feats = model(layout(window, window.device), layers)
        surrogate = x.new_zeros((), dtype=torch.float32)
        for layer, slope in slopes.items():
            rows = core_rows(feats[layer], tile, layer, hw)
            surrogate = surrogate + (slope(rows.detach(), tile) * rows).sum()
        for layer, weight, target, scale in content:
            gy, gx, _, _ = tile.core_cells(geo.stride_of(layer), hw)
            rows = core_rows(feats[layer], tile, layer, hw)
            want = target[0, :, gy, gx].permute(1, 2, 0).reshape(rows.shape)
            term = params.content_weight * weight * scale * (rows - want).square().sum() / target.numel()
            total, surrogate = total + term.detach(), surrogate + term
        if surrogate.requires_grad:
            grad[..., tile.window[0]:tile.window[1], tile.window[2]:tile.window[3]] += backward_pass(
                surrogate, window, model.compute_dtype)
    return total + structure


def row_bands(count: int, rows: int) -> Iterator[tuple[int, int]]:
    """Ranges [r0, r1) of at most ``rows`` partitioning ``count`` rows (or pairs of rows)."""
    for r0 in range(0, count, rows):
        yield r0, min(r0 + rows, count)


#: A local term's value on a band of rows ``x[..., r0:r1, :]``: (the band, r0, r1) -> a scalar.
BandLoss = Callable[[Tensor, int, int], Tensor]


def banded_loss_and_grad(x: Tensor, grad: Tensor, bands: Iterable[tuple[int, int]],
                         band_loss: BandLoss) -> Tensor:
    """The sum of a local term (TV, the keep-photo pull) over ``bands`` of rows of ``x``, its
    gradient added to ``grad``: one band's graph in memory at a time, not the print's."""
    total = x.new_zeros((), dtype=torch.float32)
    for r0, r1 in bands:
        band = x[..., r0:r1, :].detach().clone().requires_grad_(True)
        value = band_loss(band, r0, r1)
        (band_grad,) = torch.autograd.grad(value, band)
        grad[..., r0:r1, :] += band_grad
        total = total + value.detach()
    return total


def tv_loss_and_grad(x: Tensor, params: Params, grad: Tensor, rows: int = 256) -> Tensor:
    """losses.tv_loss (weighted) as the sum of its bands' shares; adds its gradient to ``grad``."""
    h, w = x.shape[-2:]
    if not params.tv_weight or h < 2 or w < 2:
        return x.new_zeros(())

    def band_tv(band: Tensor, _r0: int, r1: int) -> Tensor:
        return params.tv_weight * tv_loss(band, params.loss_normalisation, (h, w), last=r1 == h)

    # A band of the H - 1 vertical pairs [r0, r1) holds rows r0..r1: the next row closes its pairs.
    return banded_loss_and_grad(x, grad, ((r0, r1 + 1) for r0, r1 in row_bands(h - 1, rows)), band_tv)


def random_offset(tile: int, gen: torch.Generator) -> tuple[int, int]:
    """A grid offset (multiples of 16 below the tile), drawn on the CPU: the same on every device."""
    steps = tile // geo.ALIGN
    oy, ox = torch.randint(0, steps, (2,), generator=gen).tolist()
    return oy * geo.ALIGN, ox * geo.ALIGN


def tiled_loss_and_grad(model: VGG19, x: Tensor, targets: Targets, params: Params, tile: int,
                        gen: torch.Generator, *,
                        should_stop: StopCheck | None = None) -> dict[str, float]:
    """losses.total_loss's terms of ``x`` and its gradient, one tile window at a time.

    The gradient goes where ``x.backward(g)`` puts it: into ``x.grad`` for a leaf, through
    to the optimised tensor when ``x`` was computed from one (a bounded parametrisation).
    """
    hw = (x.shape[-2], x.shape[-1])
    image = x.detach()
    style_layers = [layer for layer, _ in params.active_layers("style")]
    halo = geo.halo_for(geo.deepest([layer for layer, _ in params.active_layers("content")] + style_layers))
    tiles = geo.plan_tiles(hw, tile, halo, random_offset(tile, gen))
    grad = torch.zeros_like(image, dtype=torch.float32)
    style, slopes = x.new_zeros(()), dict[str, FeatureGrad]()
    if style_layers:
        stats = image_stats(model, image, style_layers, tiles, should_stop, targets.directions or None)
        style, layer_slopes, projected_grads = style_gradients(stats, layer_terms(targets, params), params)
        slopes = {layer: slope_grad(slope) for layer, slope in layer_slopes.items()}
        slopes.update({layer: sliced_grad(dp, targets.directions[layer], core_offsets(tiles, layer, hw))
                       for layer, dp in projected_grads.items()})
    content = local_pass(model, image, targets, params, tiles, slopes, grad, should_stop)
    tv = tv_loss_and_grad(image, params, grad, rows=max(tile, 64))
    return finish(x, grad, content, style, tv)


def finish(x: Tensor, grad: Tensor, content: Tensor, style: Tensor, tv: Tensor) -> dict[str, float]:
    """Hand the assembled ``grad`` to ``x`` (its leaf, or the tensor it was computed from) and
    report the terms, with one device sync."""
    if x.requires_grad:
        x.backward(grad.to(x.dtype))  # type: ignore[no-untyped-call]
    values = torch.stack([content, style, tv]).tolist()
    return {"content": values[0], "style": values[1], "tv": values[2], "total": sum(values)}


def plan_tile(params: Params, hw: tuple[int, int], device: torch.device) -> int:
    """The tile size for a scale: 0 (no tiling) when one pass fits, else the largest that fits
    the free memory."""
    return geo.choose_tile(hw, geo.deepest_computed(params), geo.MEMORY_SHARE * device_free_bytes(device))


def device_free_bytes(device: torch.device) -> int:
    """Free memory where the activations live: the GPU's own, or the system's."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    return geo.free_memory_bytes()  # the CPU, and Apple's unified memory
