"""engine.cost: the run-time and memory model (fixed speeds: no timing assertions) and the
calibration that feeds it (sanity and caching only: this machine's speed varies)."""

from __future__ import annotations

import math

import pytest
import torch

from nst_desktop.engine.cost import Speed, calibrate, estimate, estimate_peak_bytes, estimate_seconds
from nst_desktop.engine.params import Params

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


def test_estimate_uses_the_calibrated_speed() -> None:
    params = Params(size=256, device="cpu", precision="float32")
    result = estimate(params, HW, 1, "cpu")
    speed = calibrate("cpu", None, torch.get_num_threads())
    assert result.seconds == pytest.approx(estimate_seconds(params, HW, 1, speed))
    assert result.peak_bytes == estimate_peak_bytes(params, HW, 1)
    assert estimate(params.with_changes(size=512), HW, 1, "cpu").seconds > result.seconds
