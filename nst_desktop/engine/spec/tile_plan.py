"""Tile geometry and memory planning for print-size renders (no torch: the GUI imports it).

A tiled VGG pass (engine.run.tiled_pass) splits the image into *cores* that partition it and runs
the network on each core widened by a *halo*. The features of a core's positions are then
exactly the untiled ones, provided that

* the halo covers the receptive field of the deepest layer: inside the image, a 3x3
  convolution at the tile edge sees zero padding instead of real pixels, and that error
  creeps one feature row inwards per convolution and is rounded up to whole cells by each
  2x2 pooling (:func:`halo_for`; 80 px for relu5_1);
* tile windows start on multiples of 16 px, the pooling stride at relu5_x, so that every
  pooling window of a tile is a pooling window of the whole image;
* at the true image border the window stops, so the zero padding there is the real one.

Memory figures are in bytes per pixel of float32 activations kept for the backward pass.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from nst_desktop.engine.spec.params import VGG19_LAYERS, Params

#: Tile origins, core sizes and halos are multiples of this: the largest pooling stride.
ALIGN = 16
#: Smallest tile the auto rule picks: below it the halo costs more than the core.
MIN_TILE = 128
#: Share of the free memory a run may plan to use (the rest: the OS, the app, other programs).
MEMORY_SHARE = 0.6
#: Assumed free memory when the OS will not tell (a small 8 GB machine with half in use).
FALLBACK_FREE_BYTES = 4 * 2**30


def _block(layer: str) -> int:
    return int(layer[4])


def stride_of(layer: str) -> int:
    """Down-sampling of a ``reluB_C`` layer relative to the input (1, 2, 4, 8 or 16)."""
    return 1 << (_block(layer) - 1)


def channels_of(layer: str) -> int:
    return min(64 << (_block(layer) - 1), 512)


def deepest(layers: tuple[str, ...] | list[str] | set[str]) -> str:
    return max(layers, key=VGG19_LAYERS.index)


def deepest_computed(params: Params) -> str:
    """The deepest layer a run of ``params`` computes: stylize's VGG pass asks for every content
    and style layer, weighted or not, and the targets are built for all of them."""
    return deepest(params.content_layers + params.style_layers)


def halo_for(deepest_layer: str) -> int:
    """Pixels of real image a tile needs around its core for exact features up to a layer."""
    wrong, stride = 0, 1  # width of the wrong border, in input pixels, and the current stride
    last = VGG19_LAYERS.index(deepest_layer)
    for i, layer in enumerate(VGG19_LAYERS[: last + 1]):
        wrong += stride  # one more feature row (of ``stride`` px) sees the padding
        pooled = i < last and _block(VGG19_LAYERS[i + 1]) != _block(layer)
        if pooled:  # a pooled cell is wrong when any of its 2x2 inputs is
            stride *= 2
            wrong = math.ceil(wrong / stride) * stride
    return math.ceil(wrong / ALIGN) * ALIGN


@dataclass(frozen=True)
class Tile:
    """A core (the pixels whose features this tile contributes) and its window (core + halo).

    Coordinates are in pixels, ``[start, stop)``, rows then columns.
    """

    window: tuple[int, int, int, int]  # y0, y1, x0, x1
    core: tuple[int, int, int, int]

    def core_cells(self, stride: int, hw: tuple[int, int]) -> tuple[slice, slice, slice, slice]:
        """The core's feature cells at ``stride``: (rows, cols) in the whole image's feature
        grid, then the same cells in the window's grid."""
        (wy0, _, wx0, _), (cy0, cy1, cx0, cx1) = self.window, self.core
        # Pooling floors, so the image's grid has H // stride rows; a core reaching the image
        # border owns the cells up to there, which the alignment of interior edges keeps exact.
        gy1 = hw[0] // stride if cy1 == hw[0] else cy1 // stride
        gx1 = hw[1] // stride if cx1 == hw[1] else cx1 // stride
        gy0, gx0 = min(cy0 // stride, gy1), min(cx0 // stride, gx1)
        oy, ox = wy0 // stride, wx0 // stride
        return (slice(gy0, gy1), slice(gx0, gx1), slice(gy0 - oy, gy1 - oy), slice(gx0 - ox, gx1 - ox))


def _cuts(length: int, tile: int, offset: int) -> list[tuple[int, int]]:
    """Core intervals along one axis: boundaries at ``offset + k * tile``, clipped."""
    edges = [0] + list(range(offset or tile, length, tile)) + [length]
    return [(a, b) for a, b in zip(edges, edges[1:], strict=False) if b > a]


def plan_tiles(hw: tuple[int, int], tile: int, halo: int, offset: tuple[int, int] = (0, 0)) -> list[Tile]:
    """Tiles whose cores partition an ``hw`` image; ``offset`` shifts the grid (multiples of 16)."""
    if tile <= 0 or tile % ALIGN or halo % ALIGN or any(o % ALIGN or not 0 <= o < tile for o in offset):
        raise ValueError(f"tile {tile}, halo {halo} and offset {offset} must be multiples of {ALIGN}, "
                         "the offset below the tile")
    tiles = []
    for cy0, cy1 in _cuts(hw[0], tile, offset[0]):
        for cx0, cx1 in _cuts(hw[1], tile, offset[1]):
            window = (max(0, cy0 - halo), min(hw[0], cy1 + halo), max(0, cx0 - halo), min(hw[1], cx1 + halo))
            tiles.append(Tile(window, (cy0, cy1, cx0, cx1)))
    return tiles


def activation_bytes_per_pixel(deepest_layer: str) -> float:
    """float32 bytes per input pixel a forward pass keeps for backward (conv inputs and outputs)."""
    last = VGG19_LAYERS.index(deepest_layer)
    return sum(2 * 4 * channels_of(layer) / stride_of(layer) ** 2 for layer in VGG19_LAYERS[: last + 1])


#: Peak of a real pass over what :func:`activation_bytes_per_pixel` counts. A forward and
#: backward of a 416-672 px window measured 0.98-1.15x (ru_maxrss growth, bfloat16 and
#: float32 alike); the rest is room for the float32 core copies the tiled loss takes.
ACTIVATION_OVERHEAD = 1.3


def pass_bytes(hw: tuple[int, int], deepest_layer: str) -> float:
    return ACTIVATION_OVERHEAD * hw[0] * hw[1] * activation_bytes_per_pixel(deepest_layer)


def choose_tile(hw: tuple[int, int], deepest_layer: str, budget_bytes: float) -> int:
    """0 when a whole-image pass fits ``budget_bytes``; else the largest tile (multiple of 16,
    at least :data:`MIN_TILE`) whose window, core plus halo on both sides, fits it."""
    if pass_bytes(hw, deepest_layer) <= budget_bytes:
        return 0
    halo = halo_for(deepest_layer)
    per_px = pass_bytes((1, 1), deepest_layer)
    side = math.sqrt(max(budget_bytes, 0.0) / per_px) - 2 * halo
    tile = max(MIN_TILE, int(side) // ALIGN * ALIGN)
    return min(tile, math.ceil(max(hw) / ALIGN) * ALIGN)


def window_area_ratio(hw: tuple[int, int], tile: int, halo: int) -> float:
    """Pixels the tile windows cover over the image's, averaged over the random offsets."""
    offsets = range(0, tile, ALIGN)

    def axis(length: int) -> float:
        total = 0
        for offset in offsets:
            total += sum(min(length, b + halo) - max(0, a - halo) for a, b in _cuts(length, tile, offset))
        return total / len(offsets) / length

    return axis(hw[0]) * axis(hw[1])


def mean_tile_count(hw: tuple[int, int], tile: int) -> float:
    """Tile windows per tiled pass over an ``hw`` image, averaged over the random offsets
    (an offset grid has one more cut per axis than the aligned one, unless it divides evenly)."""
    offsets = range(0, tile, ALIGN)

    def axis(length: int) -> float:
        return sum(len(_cuts(length, tile, offset)) for offset in offsets) / len(offsets)

    return axis(hw[0]) * axis(hw[1])


def tiled_step_cost_factor(hw: tuple[int, int], tile: int, halo: int, no_grad_passes: int = 1) -> float:
    """Convolution work of a tiled step over an untiled one (2 passes: forward + backward).

    A tiled step runs a no-grad forward over the windows (pass 1), then forward + backward
    over them again (pass 2): 3 passes over the window area instead of 2 over the image.
    The structure content term gathers its grid in a second no-grad pass (engine.run.tiled_structure).
    """
    return window_area_ratio(hw, tile, halo) * (2.0 + no_grad_passes) / 2.0


def free_memory_bytes() -> int:
    """Memory the OS says is available now (Linux: SC_AVPHYS_PAGES; macOS has no such name,
    so a quarter of the physical memory); :data:`FALLBACK_FREE_BYTES` when unknown."""
    try:
        page = os.sysconf("SC_PAGE_SIZE")
        names = os.sysconf_names
        if "SC_AVPHYS_PAGES" in names:
            return int(page * os.sysconf("SC_AVPHYS_PAGES"))
        if "SC_PHYS_PAGES" in names:
            return int(page * os.sysconf("SC_PHYS_PAGES") // 4)
    except (ValueError, OSError, AttributeError):  # AttributeError: no os.sysconf on Windows
        pass
    return FALLBACK_FREE_BYTES


#: Bytes L-BFGS's history may hold: two float32 image-sized vectors per remembered step, so a
#: history of 30 at 4096 x 4096 px would be 12 GB. A constant, not a share of the free memory:
#: the history changes the picture, so it must follow from the params and the size alone, or a
#: recorded run replayed on another machine (or on this one with other programs open) would
#: paint differently. 2 GiB keeps the default history (30) up to ~3 MP (2048 x 1456 px) and
#: presets' 100 up to ~0.9 MP (their sizes are 512-768 px); A4 at 300 dpi gets 10, A3 the floor.
LBFGS_HISTORY_BYTES = 2 * 2**30
#: Fewest steps L-BFGS remembers at any size: below ~5 pairs its curvature estimate is poor.
MIN_LBFGS_HISTORY = 5


def lbfgs_history_for(history: int, pixels: int) -> int:
    """The L-BFGS history a run uses at a scale of ``pixels`` (h x w): ``history`` (the
    params'), capped so that its pairs fit :data:`LBFGS_HISTORY_BYTES`, but at least
    :data:`MIN_LBFGS_HISTORY` (or ``history`` if smaller). Deterministic: see the budget."""
    fits = LBFGS_HISTORY_BYTES // (2 * 3 * 4 * max(pixels, 1))
    return min(history, max(MIN_LBFGS_HISTORY, fits))


def image_bytes_per_pixel(lbfgs_history: int, optimizer: str, n_styles: int, style_scale: float) -> float:
    """Bytes per output pixel of everything image-sized in a run (not the VGG pass).

    The image, its gradient, the best image, the content features (relu4_2: 512 channels at
    1/64 of the pixels) and, above all, L-BFGS's history: two image-sized vectors per
    remembered step (pass the capped history, :func:`lbfgs_history_for`), plus its ~4
    working vectors. The style images are resized to style_scale^2 times the output's area.
    """
    image = 3 * 4
    optimiser = (2 * lbfgs_history + 4) if optimizer == "lbfgs" else 2
    styles = n_styles * style_scale**2 * image * 2
    return image * (4 + optimiser) + 512 * 4 / 64 + styles


def max_long_side(aspect: float, lbfgs_history: int, optimizer: str, n_styles: int = 1,
                  style_scale: float = 1.0, free_bytes: int | None = None) -> int:
    """The largest output long side (multiple of 16) a tiled run fits into the free memory.

    ``aspect`` is long side / short side of the photo. Tiling bounds the VGG pass, so what
    limits the size is the image-sized state (:func:`image_bytes_per_pixel`, with the history
    :func:`lbfgs_history_for` gives at that size) next to one tile pass at :data:`MIN_TILE`
    and the fixed cost of the model (weights, ~250 MB).
    """
    budget = MEMORY_SHARE * (free_memory_bytes() if free_bytes is None else free_bytes)
    # A tile pass as deep as relu5_1, the deepest any preset computes (classic, pastiche).
    available = max(0.0, budget - 250e6 - pass_bytes((MIN_TILE + 2 * halo_for("relu5_1"),) * 2, "relu5_1"))
    aspect = max(aspect, 1.0)

    def state_bytes(long_side: int) -> float:
        pixels = long_side * long_side / aspect
        history = lbfgs_history_for(lbfgs_history, int(pixels))
        return image_bytes_per_pixel(history, optimizer, n_styles, style_scale) * pixels

    # The cap makes the state a sawtooth in the size (a pair less where the history steps
    # down), so search down from the size the smallest possible history would allow.
    smallest = min(lbfgs_history, MIN_LBFGS_HISTORY)
    per_px = image_bytes_per_pixel(smallest, optimizer, n_styles, style_scale)
    long_side = int(math.sqrt(available / per_px * aspect)) // ALIGN * ALIGN
    while long_side > ALIGN and state_bytes(long_side) > available:
        long_side -= ALIGN
    return max(ALIGN, long_side)
