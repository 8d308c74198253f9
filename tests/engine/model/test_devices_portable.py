"""Device decisions for Macs, Windows and GPUs, tested with the device faked (none of them
runs here): bf16 detection without /proc/cpuinfo, no channels_last on MPS, the MPS cache
freed between scales, histogram matching off the GPU, and float32 Grams under bf16."""

from __future__ import annotations

import subprocess
import types

import pytest
import torch

from nst_desktop.engine.losses import colour
from nst_desktop.engine.losses.statistics import gram_matrix
from nst_desktop.engine.losses.terms import content_loss, style_loss
from nst_desktop.engine.model import devices


@pytest.fixture(autouse=True)
def _fresh_cache():
    devices.cpu_has_bf16.cache_clear()
    yield
    devices.cpu_has_bf16.cache_clear()


def _fake_cpu(monkeypatch, *, bf16: bool, amx: bool = False) -> None:
    fake = types.SimpleNamespace(_is_avx512_bf16_supported=lambda: bf16, _is_amx_tile_supported=lambda: amx)
    monkeypatch.setattr(torch, "cpu", fake)


def test_bf16_detection_uses_torchs_cpu_check_not_proc_cpuinfo(monkeypatch) -> None:
    real_open = open
    monkeypatch.setattr(
        "builtins.open",
        lambda path, *a, **k: (
            (_ for _ in ()).throw(OSError("no /proc"))
            if str(path) == "/proc/cpuinfo"
            else real_open(path, *a, **k)
        ),
    )
    monkeypatch.setattr(devices.sys, "platform", "win32")
    _fake_cpu(monkeypatch, bf16=True)
    assert devices.cpu_has_bf16()
    devices.cpu_has_bf16.cache_clear()
    _fake_cpu(monkeypatch, bf16=False, amx=True)
    assert devices.cpu_has_bf16()  # AMX counts too
    devices.cpu_has_bf16.cache_clear()
    _fake_cpu(monkeypatch, bf16=False)
    assert not devices.cpu_has_bf16()  # emulated bf16 would be slower than float32


def test_arm_mac_asks_sysctl(monkeypatch) -> None:
    _fake_cpu(monkeypatch, bf16=False)
    monkeypatch.setattr(devices.sys, "platform", "darwin")
    answers = {"value": "1"}

    def fake_run(args, **kwargs):
        assert args[:2] == ["sysctl", "-n"] and "FEAT_BF16" in args[2]
        return subprocess.CompletedProcess(args, 0, stdout=answers["value"] + "\n")

    monkeypatch.setattr(devices.subprocess, "run", fake_run)
    assert devices.cpu_has_bf16()
    devices.cpu_has_bf16.cache_clear()
    answers["value"] = "0"  # an M1: no BF16
    assert not devices.cpu_has_bf16()


def test_no_channels_last_on_mps() -> None:
    assert not devices.use_channels_last(torch.device("mps"))
    assert devices.use_channels_last(torch.device("cuda"))
    assert devices.use_channels_last(torch.device("cpu"))


def test_auto_precision_on_mps_stays_float32(monkeypatch) -> None:
    _fake_cpu(monkeypatch, bf16=True)
    assert devices.autocast_dtype("auto", torch.device("mps")) is None


def test_mps_cache_is_emptied_between_scales_and_only_there(monkeypatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(
        torch, "mps", types.SimpleNamespace(empty_cache=lambda: calls.append("mps")), raising=False
    )
    devices.release_cached_memory(torch.device("cpu"))
    devices.release_cached_memory(torch.device("cuda"))
    assert calls == []
    devices.release_cached_memory(torch.device("mps"))
    assert calls == ["mps"]


def test_stylize_releases_memory_once_per_finished_scale(monkeypatch, photo, painting) -> None:
    from nst_desktop.engine.run import stylize as stylize_module
    from nst_desktop.engine.spec.events import StyleInput
    from nst_desktop.engine.spec.params import Params

    released: list[str] = []
    monkeypatch.setattr(stylize_module, "release_cached_memory", lambda device: released.append(device.type))
    params = Params(size=48, min_size=32, steps=2, coarse_steps=2, device="cpu")
    stylize_module.stylize(photo, [StyleInput(painting)], params)
    assert released == ["cpu", "cpu"]  # two scales: [32, 48]


def test_histogram_matching_does_its_float64_maths_on_the_cpu(monkeypatch) -> None:
    seen: list[tuple[str, torch.dtype]] = []
    real_eigh = torch.linalg.eigh

    def spy(matrix, *args, **kwargs):
        seen.append((matrix.device.type, matrix.dtype))
        return real_eigh(matrix, *args, **kwargs)

    monkeypatch.setattr(torch.linalg, "eigh", spy)
    style, content = torch.rand(3, 8, 8), torch.rand(3, 8, 8)
    out = colour.match_histogram(style, content)
    assert out.dtype == torch.float32 and out.device == style.device
    assert seen and all(device == "cpu" and dtype == torch.float64 for device, dtype in seen)


def test_grams_and_losses_stay_float32_under_reduced_precision() -> None:
    features = torch.rand(1, 8, 6, 6).to(torch.bfloat16)
    gram = gram_matrix(features)
    assert gram.dtype == torch.float32
    assert style_loss(gram[0], gram[0] * 1.1, "size_invariant").dtype == torch.float32
    assert content_loss(features, features * 0.9, "size_invariant").dtype == torch.float32
