"""How close the engine's VGG step comes to this machine's matrix-multiply peak.

1. Matmul peak: a large matrix product in float32 and bfloat16 via ``torch.mm`` (MKL) and via
   a 1x1 convolution (oneDNN), best of N; the faster of the two is the peak.
2. One optimisation step's network work, as the engine runs it: forward to relu5_1 (the
   deepest layer of the default loss), the five style Gram matrices, and the backward
   pass to the input image (the weights are frozen), at 256/384/512 px on a 4:3 image,
   in float32 and in the engine's ``auto`` precision. Median and min of N repeats.
3. Analytic FLOPs: ``2 * Cin * Cout * 9 * H * W`` per convolution forward, twice that
   counted again for the input-gradient backward (one transposed convolution of the same
   size), plus ``2 * C^2 * H * W`` per Gram matrix forward and again for its backward.

    python benchmarks/bench_vgg_throughput.py [--repeats 5] [--sizes 256 384 512] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F  # noqa: N812

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import STYLE_LAYERS, machine, replace_block, today  # noqa: E402

from nst_desktop.engine.losses.statistics import gram_matrix  # noqa: E402
from nst_desktop.engine.model.devices import autocast_dtype, use_channels_last  # noqa: E402
from nst_desktop.engine.model.vgg import VGG19, conv_flops, layer_channels, layer_stride  # noqa: E402
from nst_desktop.engine.model.weights import load_caffe_weights  # noqa: E402


def _best(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up (kernel selection, allocation)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def matmul_peak(dtype: torch.dtype, n: int, repeats: int) -> dict[str, float]:
    """Best GFLOP/s of an n x n x n matrix product, two ways.

    ``torch.mm`` goes to the BLAS torch was built with (MKL, which on AMD CPUs may not pick its
    AVX-512 kernels); a 1x1 convolution over n x n positions in channels_last is the same
    product done by oneDNN, the library that also runs the VGG convolutions.
    """
    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    side = 64  # 4096 positions: a (4096 x n) by (n x n) product
    x = torch.randn(1, n, side, side).to(dtype).contiguous(memory_format=torch.channels_last)
    w = torch.randn(n, n, 1, 1).to(dtype).contiguous(memory_format=torch.channels_last)
    flops = 2.0 * n**3
    conv_flops = 2.0 * n * n * side * side
    return {"torch.mm": flops / _best(lambda: torch.mm(a, b), repeats) / 1e9,
            "1x1 conv (oneDNN)": conv_flops / _best(lambda: F.conv2d(x, w), repeats) / 1e9}


def step_flops(h: int, w: int) -> float:
    """Analytic FLOPs of one step: convs fwd + input-grad bwd, Grams fwd + bwd."""
    convs = 2.0 * conv_flops(h, w, "relu5_1")
    grams = 0.0
    for layer in STYLE_LAYERS:
        s = layer_stride(layer)
        c = layer_channels(layer)
        grams += 2.0 * (2.0 * c * c * (h // s) * (w // s))
    return convs + grams


def time_step(model: VGG19, h: int, w: int, repeats: int, layout: torch.memory_format) -> list[float]:
    """Seconds of forward + Grams + backward to the input, ``repeats`` times after a warm-up."""
    x = torch.rand(1, 3, h, w).contiguous(memory_format=layout).requires_grad_(True)
    times = []
    for i in range(repeats + 1):
        start = time.perf_counter()
        feats = model(x, STYLE_LAYERS)
        loss = sum(gram_matrix(feats[k]).square().mean() for k in STYLE_LAYERS)
        x.grad = None
        loss.backward()  # type: ignore[union-attr]
        if i:
            times.append(time.perf_counter() - start)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 384, 512])
    ap.add_argument("--matmul-n", type=int, default=2048)
    ap.add_argument("--quick", action="store_true", help="128 px, 2 repeats (debugging)")
    args = ap.parse_args()
    if args.quick:
        args.sizes, args.repeats, args.matmul_n = [128], 2, 1024
    print(f"# machine: {machine()}", flush=True)
    measured = {"float32": matmul_peak(torch.float32, args.matmul_n, args.repeats + 2),
                "bfloat16": matmul_peak(torch.bfloat16, args.matmul_n, args.repeats + 2)}
    peaks = {name: max(ways.values()) for name, ways in measured.items()}
    lines = [f"Measured {today()} on: {machine()}.", "",
             f"Command: `python benchmarks/bench_vgg_throughput.py --repeats {args.repeats} "
             f"--sizes {' '.join(map(str, args.sizes))}`", ""]
    for name, ways in measured.items():
        text = ", ".join(f"{way} {value:.1f}" for way, value in ways.items())
        lines.append(f"* matrix product, n = {args.matmul_n}, {name}: {text} GFLOP/s (best of "
                     f"{args.repeats + 2}); peak used below: **{peaks[name]:.1f} GFLOP/s**")
    amp = autocast_dtype("auto", torch.device("cpu"))
    weights = load_caffe_weights()
    engine_layout = torch.channels_last if use_channels_last(torch.device("cpu")) else torch.contiguous_format
    rows = []
    # "float32 NCHW" is how pastiche runs (plain layout); the others are the engine's.
    variants = (("float32 NCHW (pastiche's way)", None, torch.contiguous_format),
                ("float32", None, engine_layout), (f"auto ({amp})", amp, engine_layout))
    for label, dtype, layout in variants:
        model = VGG19(weights, "max")
        if dtype is not None:
            model.set_compute_dtype(dtype)
        model = model.to(memory_format=layout)  # type: ignore[call-overload]
        peak = peaks["bfloat16" if dtype == torch.bfloat16 else "float32"]
        for size in args.sizes:
            h, w = round(size * 3 / 4), size
            times = time_step(model, h, w, args.repeats, layout)
            flops = step_flops(h, w)
            med, best = statistics.median(times), min(times)
            rate = flops / best / 1e9
            rows.append((label, f"{w}x{h}", flops / 1e9, med, best, rate, rate / peak))
    lines += ["", "One step = forward to relu5_1 + 5 Gram matrices + backward to the input image "
              "(analytic FLOPs, see the script's docstring).", "",
              "| precision | image | GFLOP/step | median s | min s | GFLOP/s (min) | of matmul peak |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for label, img, gf, med, best, rate, frac in rows:
        lines.append(f"| {label} | {img} | {gf:.1f} | {med:.3f} | {best:.3f} | {rate:.1f} | {frac:.0%} |")
    print("\n".join(lines))
    if not args.quick:
        replace_block("bench_vgg_throughput", "## Engine: VGG throughput", "\n".join(lines))


if __name__ == "__main__":
    main()
