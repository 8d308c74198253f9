"""Cheap up-front estimate of a run's time and peak memory, for the GUI to show before a run.

Time per optimisation step = a fixed per-step overhead + FLOPs / sustained throughput.
Both are measured once per process, device, precision and thread count (``calibrate``,
~0.2-0.3 s) by timing forward + input-gradient passes through VGG's convolutions up to
conv5_1 (random weights, so no weight file is read) at two small sizes (the fastest of 4
passes each, so that one pass disturbed by another program does not skew the estimate):

* the difference between the two sizes gives the FLOP rate the convolutions sustain on
  big images. A single small pass would not: at 96 px most of its time is per-operation
  overhead (thread hand-offs, oneDNN dispatch), so it under-rated a 2-core CPU ~10x
  whenever the cores were busy, and the estimate came out ~10x too long;
* what is left of the small pass's time is the size-independent overhead of a pass;
* the first call at the second size pays oneDNN's primitive creation for new shapes,
  which a run pays again at every new scale size.

A scale that stylize paints in tiles (print sizes: engine.run.tiled_pass, decided by the same
``tiled_pass.plan_tile``, passed in as a :data:`TilePlan`) is modelled as such: see
:func:`_tiled_scale_s` and :func:`_scale_bytes`.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F  # noqa: N812

from nst_desktop.engine.model.devices import autocast_dtype, pick_device, use_channels_last
from nst_desktop.engine.model.vgg import LAYER_INDEX, POOL_AFTER, conv_flops
from nst_desktop.engine.model.weights import CONV_LAYERS
from nst_desktop.engine.run import tiled_pass
from nst_desktop.engine.spec import tile_plan as geo
from nst_desktop.engine.spec.params import VGG19_LAYERS, Params
from nst_desktop.engine.spec.schedule import (
    brush_style_scale,
    first_scale_after,
    scale_sizes,
    steps_per_scale,
)

#: Backward (input gradients only: the weights are frozen) costs about one more forward.
PASSES_PER_STEP = 2.0
#: Step rate relative to the calibration's convolutions: the Gram matrices and losses (always
#: float32) cost extra, relatively more when the convolutions run in 16 bits. Fitted to real
#: stylize() steps at 128-384 px on the development CPU (Zen 4, 1 and 2 threads): measured
#: step times came within -10..+12% of the model in bfloat16 and float32.
NETWORK_EFFICIENCY = 0.8
NETWORK_EFFICIENCY_FP32 = 1.0
#: A step's fixed overhead in calibration-pass overheads. A step runs ~5x as many operations
#: as the bare convolution pass (losses, Gram matrices, L-BFGS updates), but most of the
#: extra ones are too small to be spread over threads; 3 fitted steps on a busy 2-core CPU.
STEP_OVERHEAD_PASSES = 3.0
#: px; 4x apart in FLOPs and small enough to stay cheap on a CPU; GPUs need bigger images
#: before the arithmetic outweighs the kernel launches.
CALIBRATION_SIZES = {"cpu": (32, 64), "gpu": (64, 384)}
MAX_OVERHEAD_SHARE = 10.0  # the fitted rate is at most this many times the plain average
CALIBRATION_DEPTH = "relu5_1"  # the deepest layer a preset computes (classic, pastiche)
WEIGHT_BYTES = 80_000_000  # 20 M float32 parameters of the 16 convolutions
#: Weight copies at the peak: the cached float32 state dict, the model, its 16-bit cast.
WEIGHTS_PEAK = 2.5
RUN_FIXED_BYTES = 30_000_000  # torch's and oneDNN's scratch, lazily imported modules
INPUT_COPIES = 3  # float32 tensor, clamped copy, resized/colour-matched copy
#: Seconds of a run before its first scale (inputs converted at full size, the model fetched
#: from its cache, the start image); with the engine warmed up as the app does. A reasoned
#: guess (inputs at 1024 px take a few hundred ms), not fitted yet: see bench_estimate.py.
RUN_START_S = 0.5
ACTIVATION_FACTOR = 1.1  # x float32 activation bytes; fitted (see estimate_peak_bytes)
#: On a CPU a step slows down per pixel as the image grows past the caches: the activations,
#: the float32 Gram inputs and the elementwise work are memory-bound, which the calibration's
#: 32/64 px passes (cache-resident) do not see. Measured step time / modelled, whole default
#: runs on the dev CPU (Zen 4, 2 threads, bfloat16, quiet): 1.02 at 96x128, 1.06 at 136x181,
#: 1.25 at 192x256, 1.37 at 272x362, 1.43 at 384x512, i.e. ~+11 % per doubling of the pixels
#: past 96x128. Capped: larger sizes were not measured (and are tiled past ~2048 px).
CPU_SIZE_SLOWDOWN_PER_DOUBLING = 0.11
CPU_SIZE_SLOWDOWN_FROM_PX = 96 * 128
CPU_SIZE_SLOWDOWN_MAX = 1.6
#: Pass overheads per tile window in a tiled step: pass 1 is a forward alone (about half of
#: the calibrated forward + backward), pass 2 a forward + backward.
WINDOW_OVERHEAD_PASSES = 1.5

#: A scale's tile size (0: one whole-image pass), as stylize decides it (``tiled_pass.plan_tile``).
TilePlan = Callable[[tuple[int, int]], int]


def untiled(hw: tuple[int, int]) -> int:
    """The :data:`TilePlan` of a device with memory enough for every scale in one pass."""
    return 0


def device_plan(params: Params, device: torch.device) -> TilePlan:
    """stylize's own decision on ``device`` (free memory now), asked once per scale size so the
    time and the memory of one estimate see the same tiles."""
    return functools.cache(lambda hw: tiled_pass.plan_tile(params, hw, device))


@dataclass(frozen=True)
class Estimate:
    """Predicted wall time and peak memory of a run (rough: +-30%); ``tile`` > 0 when its
    last scale is painted in tiles of that many px."""

    seconds: float
    peak_bytes: int
    tile: int = 0


@dataclass(frozen=True)
class Speed:
    """Measured speed of one device at one precision (see the module docstring)."""

    flops_per_s: float  # sustained convolution throughput (forward + input gradient)
    pass_overhead_s: float  # size-independent time of one forward + backward pass
    new_size_s: float  # extra time of the first pass at a new image size
    float32: bool  # measured at float32 (else at a 16-bit compute dtype)
    cpu: bool = True  # measured on a CPU (see CPU_SIZE_SLOWDOWN_PER_DOUBLING)


#: What the countdown assumes before any calibration in this process (the CLI): the dev CPU's
#: bfloat16 figures; only their overhead-to-FLOPs split matters there (see countdown_costs).
NOMINAL_SPEED = Speed(flops_per_s=400e9, pass_overhead_s=0.004, new_size_s=0.05, float32=False)
_last_speed: dict[tuple[str, str], Speed] = {}  # by (params.device, params.precision)


def _calibration_weights(device: torch.device, dtype: torch.dtype, layout: torch.memory_format
                         ) -> list[torch.Tensor]:
    # One random draw sliced into every layer's shape: drawing 9 M numbers would cost more
    # than the timing itself, and the values do not matter as long as they stay finite.
    depth = LAYER_INDEX[CALIBRATION_DEPTH] + 1
    pool = torch.randn(max(cin * cout * 9 for _n, cin, cout in CONV_LAYERS), device=device)
    return [(pool[: cout * cin * 9].view(cout, cin, 3, 3) * (2.0 / (9 * cin)) ** 0.5)
            .to(dtype=dtype, memory_format=layout) for _name, cin, cout in CONV_LAYERS[:depth]]


def _pass(x: torch.Tensor, weights: list[torch.Tensor]) -> None:
    h = x
    for weight, layer in zip(weights, VGG19_LAYERS, strict=False):
        h = F.relu(F.conv2d(h, weight, padding=1), inplace=True)
        if layer in POOL_AFTER:
            h = F.max_pool2d(h, 2)
    h.float().sum().backward()  # type: ignore[no-untyped-call]


def _timings(run: Callable[[], None], sync: Callable[[], None], repeats: int = 4) -> tuple[float, float]:
    """(first call, fastest of ``repeats`` later calls) in seconds."""
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        run()
        sync()
        times.append(time.perf_counter() - start)
    return times[0], min(times[1:])


@functools.lru_cache(maxsize=8)
def calibrate(device_name: str, amp: torch.dtype | None, threads: int) -> Speed:
    """Measure :class:`Speed` (cached; ``threads`` is part of the key because the CPU's
    speed depends on it: pass ``torch.get_num_threads()``)."""
    device = torch.device(device_name)
    dtype = amp or torch.float32
    layout = torch.channels_last if use_channels_last(device) else torch.contiguous_format
    weights = _calibration_weights(device, dtype, layout)
    sync = {"cuda": torch.cuda.synchronize, "mps": torch.mps.synchronize}.get(device.type, lambda: None)
    measured = []
    for size in CALIBRATION_SIZES["cpu" if device.type == "cpu" else "gpu"]:
        x = torch.rand(1, 3, size, size, device=device, dtype=dtype).to(memory_format=layout)
        x.requires_grad_()
        first, best = _timings(functools.partial(_pass, x, weights), sync)
        flops = PASSES_PER_STEP * conv_flops(size, size, CALIBRATION_DEPTH)
        measured.append((flops, best, first - best))
    # The second size's first call pays only for the new shapes, not for one-off set-up.
    (small_flops, small_s, _), (big_flops, big_s, new_size_s) = measured
    plain = big_flops / big_s  # the rate if the bigger pass had no overhead at all
    # Clamped: timing noise in the difference must not give an absurd rate.
    rate = min(MAX_OVERHEAD_SHARE * plain, max(plain, (big_flops - small_flops) / max(big_s - small_s, 1e-9)))
    overhead = max(0.0, small_s - small_flops / rate)
    return Speed(flops_per_s=rate, pass_overhead_s=overhead, new_size_s=max(0.0, new_size_s),
                 float32=amp is None, cpu=device.type == "cpu")


def size_slowdown(hw: tuple[int, int], speed: Speed) -> float:
    """How much slower than the calibrated rate a step at ``hw`` runs (1 off a CPU: GPUs were
    never measured for it)."""
    if not speed.cpu:
        return 1.0
    doublings = max(0.0, math.log2(hw[0] * hw[1] / CPU_SIZE_SLOWDOWN_FROM_PX))
    return min(CPU_SIZE_SLOWDOWN_MAX, 1.0 + CPU_SIZE_SLOWDOWN_PER_DOUBLING * doublings)


def _activation_bytes(h: int, w: int, deepest: str, bytes_per: int) -> int:
    """Bytes of the activations a forward pass keeps for backward (conv inputs + outputs)."""
    total = 0
    for name, _cin, cout in CONV_LAYERS[: LAYER_INDEX[deepest] + 1]:
        stride = 1 << (int(name[4]) - 1)
        total += 2 * cout * (h // stride) * (w // stride)
    return total * bytes_per


@dataclass(frozen=True)
class ScaleCost:
    """Modelled seconds of one scale of a run: the same figures feed the estimate before a run
    and the countdown during it (``runstate``), so the two cannot disagree in shape."""

    hw: tuple[int, int]
    steps: int
    setup_s: float  # content and style targets, and the first pass at a new size
    step_s: float  # one optimisation step
    tile: int = 0  # painted in tiles of this many px (0: one whole-image pass)

    @property
    def seconds(self) -> float:
        return self.setup_s + self.steps * self.step_s


def _relative_depth(deepest: str) -> float:
    """Convolutions up to ``deepest`` over the calibration's: pass overheads scale with it."""
    return (LAYER_INDEX[deepest] + 1) / (LAYER_INDEX[CALIBRATION_DEPTH] + 1)


def scale_costs(params: Params, sizes: Sequence[tuple[int, int]], steps: Sequence[int], n_styles: int,
                speed: Speed, plan: TilePlan = untiled) -> list[ScaleCost]:
    """The modelled cost of every scale of a run going through ``sizes`` with ``steps``."""
    deepest = geo.deepest_computed(params)
    depth = _relative_depth(deepest)
    step_overhead = STEP_OVERHEAD_PASSES * speed.pass_overhead_s * depth
    efficiency = NETWORK_EFFICIENCY_FP32 if speed.float32 else NETWORK_EFFICIENCY
    rate = speed.flops_per_s * efficiency
    costs = []
    for (h, w), n in zip(sizes, steps, strict=True):
        tile = plan((h, w))
        if tile:
            setup_s, step_s = _tiled_scale_s(params, (h, w), tile, n_styles, speed, efficiency)
        else:
            per_pass = conv_flops(h, w, deepest)
            slow = size_slowdown((h, w), speed)
            targets = per_pass * (1 + n_styles * brush_style_scale(params)**2)  # content + style forwards
            setup_s, step_s = slow * targets / rate, slow * PASSES_PER_STEP * per_pass / rate
        costs.append(ScaleCost(hw=(h, w), steps=n, setup_s=setup_s + speed.new_size_s * depth,
                               step_s=step_overhead + step_s, tile=tile))
    return costs


def _window(hw: tuple[int, int], tile: int, halo: int) -> tuple[int, int]:
    """A full tile window (core and halo on both sides), clipped to the image."""
    return min(hw[0], tile + 2 * halo), min(hw[1], tile + 2 * halo)


def _tiled_scale_s(params: Params, hw: tuple[int, int], tile: int, n_styles: int, speed: Speed,
                   efficiency: float) -> tuple[float, float]:
    """(set-up without the new-size pass, step without the step overhead) of a tiled scale.

    A step's convolutions are the untiled ones x ``tiles.tiled_step_cost_factor`` (pass 1's
    forward and pass 2's forward + backward over the windows, halos included), at the speed
    of a window's size on a CPU; the Gram and loss work, which the untiled model carries in
    the network efficiency (1 / efficiency - 1 of the convolutions), is done on the cores
    only, so it stays the image's, once; each window pays :data:`WINDOW_OVERHEAD_PASSES`
    pass overheads. The targets are tiled forward passes too (``tiled_pass.tiled_targets``).
    """
    deepest = geo.deepest_computed(params)
    depth = _relative_depth(deepest)
    halo = geo.halo_for(deepest)
    conv_s = PASSES_PER_STEP * conv_flops(*hw, deepest) / speed.flops_per_s  # at the calibrated rate
    window_slow = size_slowdown(_window(hw, tile, halo), speed)
    no_grad_passes = 2 if params.content_loss == "structure" else 1  # engine.run.tiled_structure
    step_s = (window_slow * geo.tiled_step_cost_factor(hw, tile, halo, no_grad_passes) * conv_s
              + size_slowdown(hw, speed) * (1.0 / efficiency - 1.0) * conv_s
              + WINDOW_OVERHEAD_PASSES * speed.pass_overhead_s * depth * geo.mean_tile_count(hw, tile))
    # Targets: one forward (no grad) over the windows of the photo and of each style image
    # (resized to (style_scale x brush_size)^2 times the output's area), half a pass overhead per window.
    scale = brush_style_scale(params)
    style_hw = (max(1, round(hw[0] * scale)), max(1, round(hw[1] * scale)))
    images = [(hw, 1)] + ([(style_hw, n_styles)] if n_styles else [])
    setup_s = sum(count * (window_slow * geo.window_area_ratio(size, tile, halo) * conv_flops(*size, deepest)
                           / (speed.flops_per_s * efficiency)
                           + 0.5 * speed.pass_overhead_s * depth * geo.mean_tile_count(size, tile))
                  for size, count in images)
    return setup_s, step_s


def run_costs(params: Params, content_hw: tuple[int, int], n_styles: int, speed: Speed,
              start_long_side: int = 0, plan: TilePlan = untiled) -> list[ScaleCost]:
    """:func:`scale_costs` of the scales a run will go through; ``start_long_side`` > 0 for a
    run that continues from a picture of that size (promote: the smaller scales are skipped)."""
    sizes = scale_sizes(params, content_hw)
    steps = steps_per_scale(params, len(sizes))
    first = first_scale_after(sizes, start_long_side) if start_long_side > 0 else 0
    return scale_costs(params, sizes[first:], steps[first:], n_styles, speed, plan)


def estimate_seconds(params: Params, content_hw: tuple[int, int], n_styles: int, speed: Speed,
                     start_long_side: int = 0, plan: TilePlan = untiled) -> float:
    """Seconds of a run of ``params`` on a device with the measured ``speed``."""
    return RUN_START_S + sum(c.seconds for c in run_costs(params, content_hw, n_styles, speed,
                                                           start_long_side, plan))


def countdown_costs(params: Params, sizes: Sequence[tuple[int, int]], steps: Sequence[int],
                    n_styles: int, device: torch.device | str | None = None) -> list[ScaleCost]:
    """Per-scale costs for a running run's countdown, without timing anything.

    Uses the speed last measured in this process (the GUI estimates before every run), else
    :data:`NOMINAL_SPEED`: the countdown rescales these by the speed the run itself shows, so
    only the split between fixed overhead and FLOPs matters, not the absolute rate. On a
    ``device``, the scales stylize will tile are costed as tiled (:func:`device_plan`).
    """
    plan = untiled if device is None else device_plan(params, torch.device(device))
    return scale_costs(params, sizes, steps, n_styles,
                       _last_speed.get((params.device, params.precision), NOMINAL_SPEED), plan)


def run_device(params: Params, device: str = "auto") -> torch.device:
    """Where a run of ``params`` goes: ``device``, or the params' own choice for "auto"."""
    return pick_device(device if device != "auto" else params.device)


def speed_key(params: Params, device: str = "auto") -> str:
    """What a measured :class:`Speed` is valid for: the device, the compute precision and the
    thread count a run of ``params`` gets here (a speed learned in float32 says nothing of
    bfloat16, nor a CPU's of a GPU's)."""
    dev = run_device(params, device)
    amp = autocast_dtype(params.precision, dev)
    return f"{dev}/{str(amp or torch.float32).removeprefix('torch.')}/{torch.get_num_threads()} threads"


def calibrated_speed(params: Params, device: str = "auto") -> Speed:
    """:func:`calibrate` for a run of ``params`` on ``device`` (cached: timed once a process)."""
    dev = run_device(params, device)
    return calibrate(str(dev), autocast_dtype(params.precision, dev), torch.get_num_threads())


def estimate(params: Params, content_hw: tuple[int, int], n_styles: int, device: str = "auto",
             start_long_side: int = 0, speed: Speed | None = None) -> Estimate:
    """Seconds and peak bytes a run of ``params`` will take on ``device`` (``start_long_side``:
    see :func:`run_costs`), and the tile size of its last scale if it is painted in tiles.
    ``speed``: a speed measured before (the app's, learned from runs: see ``speed_key``);
    None: calibrated now."""
    dev = run_device(params, device)
    speed = speed or calibrated_speed(params, device)
    _last_speed[(params.device, params.precision)] = speed
    plan = device_plan(params, dev)
    seconds = estimate_seconds(params, content_hw, n_styles, speed, start_long_side, plan)
    return Estimate(seconds=seconds, peak_bytes=estimate_peak_bytes(params, content_hw, n_styles, plan),
                    tile=plan(scale_sizes(params, content_hw)[-1]))


def estimate_peak_bytes(params: Params, content_hw: tuple[int, int], n_styles: int,
                        plan: TilePlan = untiled) -> int:
    """Peak memory of a run (no timing): weights, inputs, saved activations, optimiser state.

    Fitted to the peak resident memory of fresh processes (ru_maxrss) at 128-384 px, which
    it matched within -8..+15%. Activations are counted at 4 bytes in every precision: the
    16-bit ones come with float32 copies for the Gram matrices and float32 gradients, and
    measured peaks were the same as float32 runs within noise. The largest scale's figure,
    unless a tiled scale (bound by its window, not its size) needs less than an earlier one.
    """
    full = 3 * content_hw[0] * content_hw[1] * 4
    # Inputs are converted at full size (a few copies each); styles assumed photo-sized.
    inputs = INPUT_COPIES * full * (1 + n_styles)
    scales = max(_scale_bytes(params, hw, n_styles, plan(hw)) for hw in scale_sizes(params, content_hw))
    return int(WEIGHTS_PEAK * WEIGHT_BYTES + RUN_FIXED_BYTES + inputs + scales)


def _scale_bytes(params: Params, hw: tuple[int, int], n_styles: int, tile: int) -> float:
    """Peak bytes of one scale besides the weights and inputs: its VGG pass and image-sized
    state. A tiled scale keeps one window's pass (engine.spec.tile_plan) and the image-sized state as
    ``tiles.image_bytes_per_pixel`` counts it; an untiled one the whole image's activations."""
    h, w = hw
    deepest = geo.deepest_computed(params)
    # L-BFGS keeps at most one pair per step, and at print sizes the capped history.
    history = min(geo.lbfgs_history_for(params.lbfgs_history, h * w), params.steps)
    if tile:
        state = geo.image_bytes_per_pixel(history, params.optimizer, n_styles, brush_style_scale(params))
        return geo.pass_bytes(_window(hw, tile, geo.halo_for(deepest)), deepest) + state * h * w
    image = 3 * h * w * 4
    activations = ACTIVATION_FACTOR * _activation_bytes(h, w, deepest, 4)
    optimiser = 2 * history * image if params.optimizer == "lbfgs" else 2 * image
    return activations + optimiser + 8 * image
