"""The kill drill of the window (issue 18.2/18.3): start the app under QT_QPA_PLATFORM=offscreen with
a 10-job queue of tiny renders, SIGKILL it at random moments 10 times, then let it finish; every
job must be done exactly once, with no corrupt or duplicate file.

The 10 jobs are the command-line drill's (``bench_kill_drill.py``: 2 photos x 5 style weights,
64 px, two scales, real renders; 30 steps a scale instead of 6), queued before the first start
with the queue package's own planning (``queue.batch.plan``, ``cli.batch.enqueue``). Each round
starts the window (nothing else: it resumes the queue by itself,
``QueueController.resume_at_start``) and kills it after a random delay (``--min-s``..``--max-s``).
The last start runs until the queue has no job left, then the window is closed with SIGTERM (as
at logout). Counted with the command-line drill's ``count_results`` (one way to count): the
pictures in the output folder, the history entries per job, corrupt files, leftover temporary
files; and the jobs that went on from their checkpoint (the runner's INFO line).

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_kill_drill_window.py [--rounds 10] [--write]
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_kill_drill import PHOTOS, STYLE, count_results, queue_states  # noqa: E402
from common import ROOT, machine, replace_block, today  # noqa: E402

# INFO logging: the runner says when a job goes on from its checkpoint (counted below).
WINDOW = ("import logging, sys; logging.basicConfig(level=logging.INFO); "
          "from nst_desktop.gui.app import main; sys.exit(main([]))")
FINAL_TIMEOUT_S = 900.0
FINAL_MIN_S = 20.0  # the last start runs at least this long: its signal handler is installed by then
STEPS = 30
COMMAND = ["QT_QPA_PLATFORM=offscreen", "python", "benchmarks/bench_kill_drill_window.py"]


def queue_jobs(work: Path) -> int:
    """The drill's 10 jobs, in the data folder of ``work`` (run in this process, before any window)."""
    os.environ["NST_DESKTOP_HOME"] = str(work / "home")
    from nst_desktop.cli.batch import enqueue
    from nst_desktop.engine.spec.params import DEFAULTS
    from nst_desktop.queue.batch import Sweep, plan
    from nst_desktop.queue.store import QueueStore
    from nst_desktop.recipe.recipe import Recipe, StyleRef

    photos = work / "photos"
    photos.mkdir()
    for photo in PHOTOS:
        (photos / photo.name).write_bytes(photo.read_bytes())
    # Longer than the command line's jobs (30 steps a scale, not 6): a window's start costs ~10 s
    # before its queue goes on, and each of the 10 kills should find the batch unfinished.
    params = DEFAULTS.with_changes(size=64, min_size=32, scale_ratio=2.0, steps=STEPS, coarse_steps=STEPS,
                                   device="cpu")
    look = (StyleRef(str(STYLE)),)
    base = Recipe(str(photos / PHOTOS[0].name), look, params)
    planned = plan(sorted(photos.iterdir()), [look], base, work / "out", "{photo}_{value}.png",
                   Sweep("style_weight", (2.0, 4.0, 8.0, 16.0, 32.0)))
    store = QueueStore()
    jobs, _ = enqueue(store, planned, "drill")
    store.close()
    return len(jobs)


def one_round(env: dict[str, str], log: Path, work: Path, delay: float | None) -> str:
    """Start the window; kill it after ``delay`` s, or (None) close it once the queue is empty."""
    with log.open("a") as stream:
        process = subprocess.Popen([sys.executable, "-c", WINDOW], env=env, stdout=stream, stderr=stream)
        if delay is not None:
            try:
                process.wait(timeout=delay)
                return f"ended by itself (exit {process.returncode})"
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait()
                return "killed"
        started = time.monotonic()
        while time.monotonic() < started + FINAL_TIMEOUT_S and process.poll() is None:
            states = queue_states(work / "home")
            if not states.get("waiting") and not states.get("running") \
                    and time.monotonic() > started + FINAL_MIN_S:
                break
            time.sleep(1.0)
        process.send_signal(signal.SIGTERM)  # closes the window cleanly (gui.signal_close)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            return "did not close within 60 s of SIGTERM"
        return f"finished the queue, closed by SIGTERM (exit {process.returncode})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--seed", type=int, default=183)
    ap.add_argument("--min-s", type=float, default=8.0)
    ap.add_argument("--max-s", type=float, default=30.0)
    ap.add_argument("--write", action="store_true", help="write the figures into RESULTS.md")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        queued = queue_jobs(work)
        env = {**os.environ, "NST_DESKTOP_HOME": str(work / "home"), "PYTHONPATH": str(ROOT),
               "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
        log = work / "window.log"
        rounds = []
        started = time.perf_counter()
        for _ in range(args.rounds):
            delay = rng.uniform(args.min_s, args.max_s)
            ending = one_round(env, log, work, delay)
            states = queue_states(work / "home")
            rounds.append((delay, ending, states.get("done", 0), states.get("running", 0)))
            print(f"round {len(rounds)}: {ending} after {delay:.1f} s; done {states.get('done', 0)}, "
                  f"killed mid-job {states.get('running', 0)}", flush=True)
        final = one_round(env, log, work, None)
        elapsed = time.perf_counter() - started
        results = count_results(work)
        text_log = log.read_text(errors="replace")
        resumed = text_log.count("goes on from its checkpoint")
        tracebacks = text_log.count("Traceback")
        states = queue_states(work / "home")
    killed = sum(1 for r in rounds if r[1] == "killed")
    mid_job = sum(1 for r in rounds if r[1] == "killed" and r[3])
    ok = (queued == results["expected"] and results["pictures"] == results["expected"]
          and not results["missing"] and not results["unexpected"] and not results["corrupt"]
          and not results["jobs_twice_in_folder"]
          and results["jobs_in_history"] == results["expected"] == results["history_entries"]
          and states.get("done", 0) == results["expected"])
    lines = [
        f"Measured {today()} on: {machine()}. The machine is shared with other work.",
        "",
        f"Command: `{shlex.join(COMMAND + sys.argv[1:])}`",
        "",
        "The window (`nst_desktop.gui.app.main`, offscreen) with a 10-job queue (2 photos x 5 style weights, "
        f"64 px, two scales of {STEPS} steps, real renders) killed with SIGKILL {killed} times of "
        f"{args.rounds} rounds at random "
        f"moments ({args.min_s:g}-{args.max_s:g} s after its start; {mid_job} kills landed while a job was "
        f"painting); each start resumed the queue by itself. Then it ran to the end ({final}); "
        f"{elapsed:.0f} s in all.",
        "",
        "| count | value |",
        "| --- | ---: |",
        f"| jobs done (queue) | {states.get('done', 0)} of {results['expected']} |",
        f"| pictures in the output folder | {results['pictures']} |",
        f"| missing / unexpected (duplicate) names | {results['missing']} / {results['unexpected']} |",
        f"| corrupt pictures (fail to decode or to read their record) | {results['corrupt']} |",
        f"| jobs with two pictures in the folder | {results['jobs_twice_in_folder']} |",
        f"| history entries / jobs in the history / jobs twice there | {results['history_entries']} / "
        f"{results['jobs_in_history']} / {results['jobs_twice_in_history']} |",
        f"| jobs that went on from their checkpoint | {resumed} |",
        f"| leftover temporary files (`.nst-*.tmp`, hidden) | {results['temps_left']} |",
        f"| tracebacks in the windows' output | {tracebacks} |",
        "",
        "**Every job done exactly once, no corrupt or duplicate file.**" if ok
        else "**FAILED: see the table.**",
        "",
        "Rounds (delay before the kill, how it ended, jobs done after it): "
        + "; ".join(f"{d:.1f} s {e} ({n} done)" for d, e, n, _ in rounds) + ".",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        replace_block("bench_kill_drill_window", "## Queue: the kill drill, window (issue 18.2/18.3)", text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
