"""Compute device and precision choice.

``auto`` prefers CUDA, then Apple's MPS, then the CPU. Reduced precision applies only to
the VGG convolutions (their weights are cast once, see ``VGG19.set_compute_dtype``; the
name ``autocast_dtype`` is historical): the image being optimised, the Gram matrices and
the loss sums stay float32, because the optimiser's small steps and the loss sums over
hundreds of thousands of positions lose too much in 8 mantissa bits.

torch is imported inside the functions, not at the top: the command line calls
:func:`check_precision` to refuse a bad setting in milliseconds, before paying torch's
import (seconds).
"""

from __future__ import annotations

import functools
import logging
import subprocess
import sys
from typing import TYPE_CHECKING

from nst_desktop.engine.spec.errors import DeviceError
from nst_desktop.engine.spec.params import DeviceName, PrecisionMode, check_precision

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)


def _mps_available() -> bool:
    import torch

    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def pick_device(name: DeviceName | str) -> torch.device:
    """The torch device for a :class:`Params` ``device`` value; :class:`DeviceError` if absent."""
    import torch

    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError("CUDA was requested but no CUDA GPU is available.",
                              hint="Choose 'auto' or 'cpu' as the device.")
        return torch.device(name)
    if name == "mps":
        if not _mps_available():
            raise DeviceError("Apple MPS was requested but is not available on this machine.",
                              hint="Choose 'auto' or 'cpu' as the device.")
        return torch.device("mps")
    raise DeviceError(f"Unknown device {name!r}.", hint="Choose auto, cpu, cuda or mps.")


@functools.cache
def cpu_has_bf16() -> bool:
    """Whether the CPU runs bfloat16 matrix maths natively (AVX512-BF16, AMX, or Arm BF16).

    torch's own CPU feature check (cpuinfo, so it works on Linux, Windows and macOS alike)
    answers for x86; Arm Macs (M2 and later have BF16) are asked through sysctl. Emulated
    bfloat16 is slower than float32, so anything uncertain answers False. Cached.
    """
    import torch

    x86_checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    cpu = getattr(torch, "cpu", None)
    if any(bool(getattr(cpu, name, lambda: False)()) for name in x86_checks):
        return True
    return _arm_mac_has_bf16()


def _arm_mac_has_bf16() -> bool:
    if sys.platform != "darwin":
        return False
    try:
        out = subprocess.run(["sysctl", "-n", "hw.optional.arm.FEAT_BF16"], capture_output=True,
                             text=True, timeout=2, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return False
    return out == "1"


def autocast_dtype(precision: PrecisionMode | str, device: torch.device) -> torch.dtype | None:
    """Compute dtype of the VGG convolutions, or None for plain float32.

    ``auto``: CUDA uses bfloat16 where the GPU supports it (Ampere and newer: same speed as
    float16 with float32's range, so no loss scaling is needed) and float16 otherwise
    (stylize scales the loss for it); the CPU uses bfloat16 only with native support
    (AVX512-BF16/AMX: measured 1.6x faster per step on Zen 4 with the same look, see
    presets.py; emulated bfloat16 is slower than float32); MPS stays float32 (its
    reduced-precision convolution support varies between macOS versions).
    """
    import torch

    check_precision(precision, device.type)
    if precision == "float32":
        return None
    if precision == "bfloat16":
        return torch.bfloat16
    if precision == "float16":
        return torch.float16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "cpu" and cpu_has_bf16():
        return torch.bfloat16
    return None


def use_channels_last(device: torch.device) -> bool:
    """channels_last memory format: faster convolutions on CUDA tensor cores and oneDNN.

    Never on MPS: its channels_last convolution backward is reported many times slower
    than the default layout (PyTorch issues on MPS performance), and the image gradient is
    exactly that backward.
    """
    return device.type in ("cuda", "cpu")


def release_cached_memory(device: torch.device) -> None:
    """Give the allocator's cached blocks back between scales on MPS.

    Every scale has new tensor shapes; MPS's caching allocator is reported to keep the
    blocks of the old shapes, so memory grows scale after scale unless emptied.
    """
    import torch

    if device.type == "mps" and hasattr(torch, "mps"):
        torch.mps.empty_cache()
