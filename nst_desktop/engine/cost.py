"""Cheap up-front estimate of a run's time and peak memory, for the GUI to show before a run.

Time = FLOPs of all VGG passes of the run / the device's measured convolution throughput.
The throughput is measured once per process, device and precision by running VGG's first
five convolution shapes on a 96 px image (random weights, ~0.1 s) and cached;
``NETWORK_EFFICIENCY`` converts it to the rate a whole optimisation step achieves.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F  # noqa: N812

from nst_desktop.engine.devices import autocast_dtype, pick_device, use_channels_last
from nst_desktop.engine.params import VGG19_LAYERS, Params
from nst_desktop.engine.schedule import scale_sizes, steps_per_scale
from nst_desktop.engine.vgg import LAYER_INDEX, conv_flops
from nst_desktop.engine.weights import CONV_LAYERS

#: Whole-network step rate relative to the calibration passes: the deeper, wider layers run
#: nearer peak than the early ones, the Gram matrices and the optimiser cost extra. 0.85
#: made estimated and measured seconds per step agree within 10-20% at 256 px on the
#: development CPU, in bfloat16 and float32 (measured under varying load).
NETWORK_EFFICIENCY = 0.85
#: Backward (input gradients only: the weights are frozen) costs about one more forward.
PASSES_PER_STEP = 2.0
WEIGHT_BYTES = 80_000_000  # 20 M float32 parameters of the 16 convolutions


@dataclass(frozen=True)
class Estimate:
    """Predicted wall time and peak memory of a run (rough: +-50%)."""

    seconds: float
    peak_bytes: int


@functools.lru_cache(maxsize=8)
def _throughput(device_name: str, amp: torch.dtype | None) -> float:
    """Measured FLOP/s of forward + input-gradient passes through VGG's first five
    convolution shapes (random weights, so no weight file is read) on a 96 px image."""
    device = torch.device(device_name)
    dtype = amp or torch.float32
    layout = torch.channels_last if use_channels_last(device) else torch.contiguous_format
    convs = [(torch.randn(cout, cin, 3, 3, device=device) * (2.0 / (9 * cin)) ** 0.5).to(dtype=dtype,
             memory_format=layout) for _name, cin, cout in CONV_LAYERS[:5]]
    x = torch.rand(1, 3, 96, 96, device=device, dtype=dtype).to(memory_format=layout).requires_grad_()
    flops = PASSES_PER_STEP * conv_flops(96, 96, "relu3_1")
    best = float("inf")
    for _ in range(4):  # the first run pays for kernel selection; keep the fastest
        start = time.perf_counter()
        h = x
        for i, weight in enumerate(convs):
            h = F.relu(F.conv2d(h, weight, padding=1))
            if i in (1, 3):
                h = F.max_pool2d(h, 2)
        h.float().sum().backward()  # type: ignore[no-untyped-call]
        if device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return flops / max(best, 1e-6)


def _deepest(params: Params) -> str:
    layers = set(params.content_layers) | set(params.style_layers)
    return max(layers, key=VGG19_LAYERS.index)


def _activation_bytes(h: int, w: int, deepest: str, bytes_per: int) -> int:
    """Bytes of the activations a forward pass keeps for backward (conv inputs + outputs)."""
    total = 0
    for name, _cin, cout in CONV_LAYERS[: LAYER_INDEX[deepest] + 1]:
        stride = 1 << (int(name[4]) - 1)
        total += 2 * cout * (h // stride) * (w // stride)
    return total * bytes_per


def estimate(params: Params, content_hw: tuple[int, int], n_styles: int, device: str = "auto") -> Estimate:
    """Seconds and peak bytes a run of ``params`` will take on ``device``."""
    dev = pick_device(device if device != "auto" else params.device)
    amp = autocast_dtype(params.precision, dev)
    deepest = _deepest(params)
    sizes = scale_sizes(params, content_hw)
    steps = steps_per_scale(params, len(sizes))
    flops = 0.0
    for (h, w), n in zip(sizes, steps, strict=True):
        per_pass = conv_flops(h, w, deepest)
        targets = per_pass * (1 + n_styles * params.style_scale**2)  # content + style forwards
        flops += targets + n * PASSES_PER_STEP * per_pass
    seconds = flops / (_throughput(str(dev), amp) * NETWORK_EFFICIENCY)
    h, w = sizes[-1]
    bytes_per = 2 if amp is not None else 4
    activations = _activation_bytes(h, w, deepest, bytes_per)
    image = 3 * h * w * 4
    lbfgs = 2 * params.lbfgs_history * image if params.optimizer == "lbfgs" else 2 * image
    # Gradients of the largest activations live alongside the saved ones during backward.
    peak = WEIGHT_BYTES * (2 if amp is not None else 1) + int(activations * 1.5) + lbfgs + 8 * image
    return Estimate(seconds=seconds, peak_bytes=peak)
