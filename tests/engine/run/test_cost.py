"""engine.run.cost: the run-time and memory model (fixed speeds: no timing assertions) and the
calibration that feeds it (sanity and caching only: this machine's speed varies)."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch

from nst_desktop.engine.model.vgg import LAYER_INDEX
from nst_desktop.engine.run.cost import (
    CALIBRATION_DEPTH,
    NOMINAL_SPEED,
    RUN_START_S,
    Speed,
    calibrate,
    countdown_costs,
    estimate,
    estimate_peak_bytes,
    estimate_seconds,
    run_costs,
    scale_costs,
)
from nst_desktop.engine.spec import tile_plan as geo
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.presets import quick_look

BF16 = Speed(flops_per_s=200e9, pass_overhead_s=0.01, new_size_s=0.01, float32=False)
FP32 = Speed(flops_per_s=100e9, pass_overhead_s=0.01, new_size_s=0.01, float32=True)
HW = (768, 1024)


def seconds(speed: Speed = BF16, n_styles: int = 1, **changes: object) -> float:
    return estimate_seconds(Params(device="cpu").with_changes(**changes), HW, n_styles, speed)


def peak(n_styles: int = 1, **changes: object) -> int:
    return estimate_peak_bytes(Params(device="cpu").with_changes(**changes), HW, n_styles)


def test_seconds_grow_with_size_steps_styles_and_depth() -> None:
    sizes = [seconds(size=s) for s in (128, 192, 256, 384, 512)]
    assert all(a < b for a, b in zip(sizes, sizes[1:], strict=False))
    assert sizes[-1] / sizes[2] > 2.5  # mostly FLOPs: ~4x the pixels at the final scales
    assert seconds(steps=40) < seconds(steps=120) < seconds(steps=400)
    assert seconds(coarse_steps=0) < seconds(coarse_steps=50)
    assert seconds() < seconds(n_styles=3) < seconds(n_styles=3, style_scale=2.0)
    shallow = seconds(style_layers=("relu1_1", "relu2_1"), style_layer_weights=(1.0, 1.0),
                      content_layers=("relu2_2",))
    assert shallow < seconds() / 2


def test_steps_cost_time_in_proportion_at_one_scale() -> None:
    base = seconds(steps=10, size=256, min_size=256)
    per_step = (seconds(steps=110, size=256, min_size=256) - base) / 100
    assert per_step > 0
    assert seconds(steps=210, size=256, min_size=256) - base == pytest.approx(200 * per_step)


def test_precisions_and_overheads_are_consistent() -> None:
    # bfloat16 twice as fast at the convolutions: faster, but not twice (float32 extras).
    assert 0.4 * seconds(FP32) < seconds(BF16) < seconds(FP32)
    same_rate = Speed(BF16.flops_per_s, 0.01, 0.01, float32=True)
    assert seconds(same_rate) < seconds(BF16)  # at an equal rate, 16-bit extras cost more
    slow_ops = Speed(BF16.flops_per_s, 0.5, 0.01, float32=False)
    # A per-operation overhead matters most on small images.
    assert seconds(slow_ops, size=128) / seconds(size=128) > seconds(slow_ops, size=512) / seconds(size=512)


def test_peak_bytes_grow_with_size_history_and_styles() -> None:
    sizes = [peak(size=s) for s in (128, 256, 512, 1024)]
    assert all(a < b for a, b in zip(sizes, sizes[1:], strict=False))
    assert 150e6 < sizes[0] < sizes[-1] < 8e9
    assert peak(optimizer="adam") < peak() < peak(lbfgs_history=100)
    assert peak(steps=5) < peak(steps=100)  # L-BFGS keeps at most one entry per step
    assert peak() < peak(n_styles=3)
    assert peak(precision="bfloat16") == peak(precision="float32")  # see estimate_peak_bytes


def test_calibration_is_sane_and_cached() -> None:
    threads = torch.get_num_threads()
    speed = calibrate("cpu", None, threads)
    assert calibrate("cpu", None, threads) is speed
    assert 1e8 < speed.flops_per_s < 1e14 and math.isfinite(speed.flops_per_s)
    assert 0.0 <= speed.pass_overhead_s < 60 and speed.new_size_s >= 0 and speed.float32


# A tiny run worked out by hand: a 32x32 photo at 32 px (one scale), 10 steps, only relu1_1
# (conv1_1: 3 -> 64 channels, 3x3 kernel, 32*32 positions), float32. The expected numbers
# below are derived from the model's documented constants (2 passes a step, 3 pass
# overheads a step, overheads scaled by the 1/13 of the convolutions up to conv5_1 that
# relu1_1 needs, float32 at the full measured rate); refitting them must change these.
TINY_RUN = Params(size=32, min_size=32, steps=10, coarse_steps=0, device="cpu", precision="float32",
                  content_layers=("relu1_1",), content_layer_weights=(1.0,),
                  style_layers=("relu1_1",), style_layer_weights=(1.0,))
TINY_SPEED = Speed(flops_per_s=1e9, pass_overhead_s=0.013, new_size_s=0.026, float32=True)
CONV1_1_FLOPS = 2 * 9 * 3 * 64 * 32 * 32  # 3,538,944 multiply-add FLOPs (x2)


def test_estimate_matches_a_hand_derived_tiny_run() -> None:
    assert CONV1_1_FLOPS == 3_538_944
    # targets: 1 content + 1 style forward = 7,077,888 FLOPs at 1 GFLOP/s = 0.007077888 s;
    # first pass at the new size: 0.026 s / 13 = 0.002 s;
    # 10 steps x (3 x 0.013 s / 13 = 0.003 s overhead + 2 x 3,538,944 FLOPs = 0.007077888 s).
    # Plus the run's fixed start-up, RUN_START_S = 0.5 s.
    assert estimate_seconds(TINY_RUN, (32, 32), 1, TINY_SPEED) == pytest.approx(
        0.5 + 0.007077888 + 0.002 + 10 * (0.003 + 0.007077888), rel=1e-9)
    # Two styles at style scale 2: each style forward has 4x the pixels, so the targets cost
    # (1 + 2 x 4) forwards = 0.031850496 s; the steps cost the same.
    assert estimate_seconds(TINY_RUN.with_changes(style_scale=2.0), (32, 32), 2, TINY_SPEED) == pytest.approx(
        0.5 + 0.031850496 + 0.002 + 10 * (0.003 + 0.007077888), rel=1e-9)
    # A 2x brush costs what style scale 2 does (issue 20.2): bigger style images, the same steps.
    assert estimate_seconds(TINY_RUN.with_changes(brush_size=2.0), (32, 32), 2, TINY_SPEED) == pytest.approx(
        0.5 + 0.031850496 + 0.002 + 10 * (0.003 + 0.007077888), rel=1e-9)
    # bfloat16 at the same measured rate: the convolutions reach 0.8 of it.
    bf16 = Speed(1e9, 0.013, 0.026, float32=False)
    assert estimate_seconds(TINY_RUN, (32, 32), 1, bf16) == pytest.approx(
        0.5 + 0.007077888 / 0.8 + 0.002 + 10 * (0.003 + 0.007077888 / 0.8), rel=1e-9)


def test_peak_bytes_of_a_hand_derived_tiny_run() -> None:
    image = 3 * 32 * 32 * 4  # 12,288 bytes: one float32 RGB 32x32 image
    expected = (
        2.5 * 80_000_000  # weight copies
        + 30_000_000  # torch's and oneDNN's scratch
        + 3 * image * (1 + 1)  # 3 copies of the photo and of the one style
        + 1.1 * 2 * 64 * 32 * 32 * 4  # saved activations: 2 x 64 channels x 32x32, float32, x 1.1
        + 2 * 10 * image  # L-BFGS history of min(30, 10 steps) pairs
        + 8 * image  # the model's allowance of 8 more image-sized buffers
    )
    assert expected == pytest.approx(230_994_508.8)
    assert estimate_peak_bytes(TINY_RUN, (32, 32), 1) == int(expected)


def test_estimate_uses_the_calibrated_speed(monkeypatch: pytest.MonkeyPatch) -> None:
    from nst_desktop.engine.run import cost

    asked: list[tuple[object, ...]] = []

    def fixed_speed(device: str, amp: torch.dtype | None, threads: int) -> Speed:
        asked.append((device, amp, threads))
        return TINY_SPEED

    monkeypatch.setattr(cost, "calibrate", fixed_speed)
    result = estimate(TINY_RUN, (32, 32), 1, "cpu")
    assert asked == [("cpu", None, torch.get_num_threads())]  # float32: no autocast dtype
    assert result.seconds == pytest.approx(0.609856768, rel=1e-9)  # the hand-derived run above
    assert result.peak_bytes == 230_994_508


def test_estimate_with_the_real_calibration_is_sane() -> None:
    params = Params(size=256, device="cpu", precision="float32")
    small = estimate(params, HW, 1, "cpu")
    assert 0.0 < small.seconds < 3600 and math.isfinite(small.seconds)
    assert small.peak_bytes == estimate_peak_bytes(params, HW, 1)  # memory needs no calibration
    assert estimate(params.with_changes(size=512), HW, 1, "cpu").seconds > small.seconds


def test_run_costs_are_the_estimate_scale_by_scale() -> None:
    params = Params(device="cpu")
    costs = run_costs(params, HW, 2, BF16)
    assert [max(c.hw) for c in costs] == [128, 181, 256, 362, 512]
    assert [c.steps for c in costs] == [50, 50, 50, 50, 120]
    assert all(a.step_s < b.step_s for a, b in zip(costs, costs[1:], strict=False))
    assert estimate_seconds(params, HW, 2, BF16) == pytest.approx(RUN_START_S + sum(c.seconds for c in costs))


def test_a_promoted_run_pays_only_the_scales_above_its_picture() -> None:
    params = Params(device="cpu")
    full = run_costs(params, HW, 1, BF16)
    promoted = run_costs(params, HW, 1, BF16, start_long_side=256)  # from a 256 px quick look
    assert promoted == full[3:]
    assert estimate_seconds(params, HW, 1, BF16, start_long_side=256) < estimate_seconds(params, HW, 1, BF16)


def test_a_quick_look_is_estimated_like_any_run() -> None:
    look = quick_look(Params(device="cpu"))
    assert [max(c.hw) for c in run_costs(look, HW, 1, BF16)] == [128, 181, 256]
    assert seconds(BF16) / 5 > estimate_seconds(look, HW, 1, BF16) > 0


def test_the_countdown_uses_the_speed_the_last_estimate_measured(monkeypatch: pytest.MonkeyPatch) -> None:
    from nst_desktop.engine.run import cost

    monkeypatch.setattr(cost, "_last_speed", {})
    params = TINY_RUN.with_changes(size=64, min_size=32)
    sizes, steps = [(32, 32), (64, 64)], [3, 10]
    assert countdown_costs(params, sizes, steps, 1) == scale_costs(params, sizes, steps, 1, NOMINAL_SPEED)
    monkeypatch.setattr(cost, "calibrate", lambda *args: TINY_SPEED)
    estimate(params, (64, 64), 1, "cpu")
    assert countdown_costs(params, sizes, steps, 1) == scale_costs(params, sizes, steps, 1, TINY_SPEED)


# --- tiled scales (print sizes): the same model, with stylize's tile decision -----------------
PRINT_HW = (2731, 4096)  # a 3:2 photo at 4096 px, one scale
PRINT = Params(device="cpu", size=4096, min_size=4096, steps=10)
#: The default layers' deepest (relu4_2, the content layer) and the halo tiles need for it.
DEEPEST = geo.deepest(PRINT.style_layers + PRINT.content_layers)
HALO = geo.halo_for(DEEPEST)


def tiles_of(tile: int) -> Callable[[tuple[int, int]], int]:
    return lambda hw: tile if max(hw) > tile else 0  # as tiled_pass.plan_tile with a forced tile


def test_a_tiled_step_costs_the_tiled_factor_plus_an_overhead_per_window() -> None:
    # A GPU's speed (no CPU cache slowdown) in float32 (no Gram share): worked out by hand.
    gpu = Speed(flops_per_s=1e12, pass_overhead_s=0.01, new_size_s=0.0, float32=True, cpu=False)
    (untiled_cost,) = run_costs(PRINT, PRINT_HW, 1, gpu)
    (tiled,) = run_costs(PRINT, PRINT_HW, 1, gpu, plan=tiles_of(512))
    assert untiled_cost.tile == 0 and tiled.tile == 512
    factor, windows = geo.tiled_step_cost_factor(PRINT_HW, 512, HALO), geo.mean_tile_count(PRINT_HW, 512)
    assert 2.0 < factor < 3.0 and 48 < windows < 72  # 6 x 8 cores, one more per axis when offset
    # Overheads scale with the convolutions passed through, relative to the calibration's.
    overhead = 0.01 * (LAYER_INDEX[DEEPEST] + 1) / (LAYER_INDEX[CALIBRATION_DEPTH] + 1)
    conv_s = untiled_cost.step_s - 3 * overhead  # the untiled step less its fixed overhead
    assert tiled.step_s == pytest.approx(3 * overhead + factor * conv_s + 1.5 * overhead * windows, rel=1e-9)
    # On a CPU in bfloat16: about the factor more per step (the Gram share is paid once).
    (cpu_untiled,) = run_costs(PRINT, PRINT_HW, 1, BF16)
    (cpu_tiled,) = run_costs(PRINT, PRINT_HW, 1, BF16, plan=tiles_of(512))
    assert 0.75 * factor < cpu_tiled.step_s / cpu_untiled.step_s < 1.1 * factor
    # Smaller tiles: more halo and more windows per step.
    (small,) = run_costs(PRINT, PRINT_HW, 1, BF16, plan=tiles_of(256))
    assert small.step_s > cpu_tiled.step_s and small.setup_s > cpu_untiled.setup_s


def test_the_structure_content_term_costs_one_more_no_grad_pass_per_tiled_step_only() -> None:
    """engine.run.tiled_structure gathers its grid in a pass of its own; untiled it costs nothing
    the model sees (a 1024 x 1024 matrix beside a VGG pass)."""
    gpu = Speed(flops_per_s=1e12, pass_overhead_s=0.0, new_size_s=0.0, float32=True, cpu=False)
    structure = PRINT.with_changes(content_loss="structure")
    (features,) = run_costs(PRINT, PRINT_HW, 1, gpu, plan=tiles_of(512))
    (with_structure,) = run_costs(structure, PRINT_HW, 1, gpu, plan=tiles_of(512))
    assert with_structure.step_s / features.step_s == pytest.approx(4 / 3, rel=1e-9)  # 4 passes, not 3
    assert run_costs(structure, PRINT_HW, 1, gpu) == run_costs(PRINT, PRINT_HW, 1, gpu)


def test_a_tiled_peak_follows_the_tile_not_the_output() -> None:
    untiled_peak = estimate_peak_bytes(PRINT, PRINT_HW, 1)
    tiled = {tile: estimate_peak_bytes(PRINT, PRINT_HW, 1, tiles_of(tile)) for tile in (256, 512)}
    assert untiled_peak > 25e9  # ~28 GB of activations of the whole image
    assert tiled[512] < 6 * 2**30
    # One window's pass is what the tile changes: (256 + 2 halo)^2 against (512 + 2 halo)^2 px.
    big, small = (512 + 2 * HALO,) * 2, (256 + 2 * HALO,) * 2
    assert tiled[512] - tiled[256] == pytest.approx(
        geo.pass_bytes(big, DEEPEST) - geo.pass_bytes(small, DEEPEST), abs=2)
    # The rest is image-sized state, with the history capped at this size (tiles.lbfgs_history_for):
    # asking for 30 or for the 7 that fit costs the same.
    assert geo.lbfgs_history_for(30, 2731 * 4096) == 7
    assert estimate_peak_bytes(PRINT.with_changes(lbfgs_history=7), PRINT_HW, 1, tiles_of(512)) == tiled[512]


def test_the_countdown_of_a_tiled_run_is_the_estimate_scale_by_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    from nst_desktop.engine.run import cost, tiled_pass
    from nst_desktop.engine.run.runstate import RunState
    from nst_desktop.engine.spec.schedule import scale_sizes, steps_per_scale

    monkeypatch.setattr(cost, "_last_speed", {})
    monkeypatch.setattr(cost, "calibrate", lambda *args: BF16)
    monkeypatch.setattr(tiled_pass, "plan_tile", lambda params, hw, device: tiles_of(512)(hw))
    params = PRINT.with_changes(min_size=1024)
    result = estimate(params, PRINT_HW, 1, "cpu")
    modelled = run_costs(params, PRINT_HW, 1, BF16, plan=tiles_of(512))
    assert [(max(c.hw), c.tile) for c in modelled] == [(n, 512) for n in (1024, 1448, 2048, 2896, 4096)]
    assert result.tile == 512
    assert result.seconds == pytest.approx(RUN_START_S + sum(c.seconds for c in modelled))
    assert result.peak_bytes == estimate_peak_bytes(params, PRINT_HW, 1, tiles_of(512))
    sizes = scale_sizes(params, PRINT_HW)
    steps = steps_per_scale(params, len(sizes))
    assert countdown_costs(params, sizes, steps, 1, "cpu") == modelled
    state = RunState(params, sizes, steps, None, None, 0, "cpu", 0.0, lambda t: t)
    assert state.costs == modelled  # the run's own countdown, on its device


def test_an_untiled_estimate_says_no_tile() -> None:
    assert estimate(TINY_RUN, (32, 32), 1, "cpu").tile == 0
