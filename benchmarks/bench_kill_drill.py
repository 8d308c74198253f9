"""The kill drill of the command line (issue 18.2): SIGKILL ``nst-desktop batch`` at random moments
during a 10-job batch, 10 times, then let it finish; every job must be done exactly once, with
no corrupt or duplicate file.

Each round starts the same batch command (a rerun takes up the unfinished jobs) and kills it
a random delay (``--min-s``..``--max-s``) after its first painted step (a round whose batch ends
first is counted as such). Then the command runs to its end. Counted afterwards:

- the pictures in the output folder: each of the 10 expected names once, nothing else (a
  ``name-2.png`` would be a duplicate), each one decodable and carrying its job's marker;
- the history (the window's): exactly one entry per job;
- the queue: 10 jobs done; how often a job went on from its checkpoint ("goes on from its
  checkpoint" in the runs' logs) and how many rounds killed a job mid-render;
- leftover temporary files (``.nst-*.tmp``, hidden, never under a picture's name).

Real renders, tiny (64 px, two scales, so a checkpoint happens mid-job).

    python benchmarks/bench_kill_drill.py [--rounds 10] [--seed 18] [--write]
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine, replace_block, today  # noqa: E402

PHOTOS = [ROOT / "resources" / "samples" / "tubingen.jpg", ROOT / "resources" / "styles" / "shipwreck.jpg"]
STYLE = ROOT / "resources" / "styles" / "starry_night.jpg"
CLI = "import sys; from nst_desktop.cli import main; sys.exit(main(sys.argv[1:]))"
SETTINGS = ["--size", "64", "--min-size", "32", "--scale-ratio", "2", "--steps", "6", "--coarse-steps", "6",
            "--device", "cpu"]


def batch_command(work: Path) -> list[str]:
    photos = work / "photos"
    photos.mkdir(exist_ok=True)
    for photo in PHOTOS:  # a folder of two photos x five style weights = 10 jobs
        target = photos / photo.name
        if not target.exists():
            target.write_bytes(photo.read_bytes())
    return [sys.executable, "-c", CLI, "-v", "batch", str(photos), "--styles", str(STYLE),
            "--sweep", "style-weight=2,4,8,16,32", "--name", "{photo}_{value}.png", "-o", str(work / "out"),
            *SETTINGS]


def queue_states(home: Path) -> Counter[str]:
    """The queue's statuses, read without opening a store (which would recover the killed job)."""
    path = home / "queue" / "queue.sqlite3"
    if not path.exists():
        return Counter()
    with sqlite3.connect(path) as db:
        return Counter(str(r[0]) for r in db.execute("SELECT status FROM jobs"))


def one_round(command: list[str], env: dict[str, str], log: Path, delay: float | None) -> str:
    """Run the batch; kill it ``delay`` s after it painted its first step (None: let it finish).
    Counted from the first step, not from the start: a process's start (torch's import, the
    model, the first set-up) takes 10-20 s on a busy machine, and kills timed from the start
    landed there almost every time. How the round ended."""
    start = log.stat().st_size if log.exists() else 0
    with log.open("a") as stream:
        process = subprocess.Popen(command, env=env, stdout=stream, stderr=stream)
        if delay is None:
            process.wait()
            return f"ended by itself (exit {process.returncode})"
        while process.poll() is None and " loss " not in _since(log, start):
            time.sleep(0.1)
        try:
            process.wait(timeout=delay)
            return f"ended by itself (exit {process.returncode})"
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return "killed"


def _since(log: Path, start: int) -> str:
    with log.open("rb") as stream:
        stream.seek(start)
        return stream.read().decode(errors="replace")


def count_results(work: Path) -> dict[str, object]:
    from PIL import Image

    from nst_desktop.io.images import read_metadata
    from nst_desktop.io.library import Library

    out = work / "out"
    expected = {f"{p.stem}_{w}.png" for p in PHOTOS for w in (2, 4, 8, 16, 32)}
    files = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
    pictures = [n for n in files if not n.startswith(".")]
    corrupt = 0
    jobs_in_folder: Counter[str] = Counter()
    for name in pictures:
        try:
            with Image.open(out / name) as im:
                im.load()
            marker = (read_metadata(out / name) or {}).get("queue", {})
            jobs_in_folder[str(marker.get("job"))] += 1
        except Exception:  # noqa: BLE001 - any failure to read it back is a corrupt file
            corrupt += 1
    entries = Library(work / "home" / "library").entries()
    jobs_in_history = Counter(str(e.metadata.get("queue", {}).get("job")) for e in entries)
    temps = [*(work / "out").rglob(".nst-*.tmp"), *(work / "home").rglob(".nst-*.tmp"),
             *(work / "home" / "library").glob(".tmp-*")]
    return {"pictures": len(pictures), "expected": len(expected), "missing": len(expected - set(pictures)),
            "unexpected": len(set(pictures) - expected), "corrupt": corrupt,
            "jobs_twice_in_folder": sum(1 for n in jobs_in_folder.values() if n > 1),
            "history_entries": len(entries), "jobs_in_history": len(jobs_in_history),
            "jobs_twice_in_history": sum(1 for n in jobs_in_history.values() if n > 1),
            "temps_left": len(temps)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--min-s", type=float, default=0.0)
    ap.add_argument("--max-s", type=float, default=30.0)
    ap.add_argument("--write", action="store_true", help="write the figures into RESULTS.md")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = {**os.environ, "NST_DESKTOP_HOME": str(work / "home"), "PYTHONPATH": str(ROOT)}
        command, log = batch_command(work), work / "runs.log"
        rounds = []
        started = time.perf_counter()
        for _ in range(args.rounds):
            delay = rng.uniform(args.min_s, args.max_s)
            ending = one_round(command, env, log, delay)
            states = queue_states(work / "home")
            rounds.append((delay, ending, states.get("done", 0), states.get("running", 0)))
            print(f"round {len(rounds)}: {ending} after {delay:.1f} s; done {states.get('done', 0)}, "
                  f"killed mid-job {states.get('running', 0)}", flush=True)
        final = one_round(command, env, log, None)
        elapsed = time.perf_counter() - started
        results = count_results(work)
        resumed = log.read_text(errors="replace").count("goes on from its checkpoint")
        states = queue_states(work / "home")
    killed = sum(1 for r in rounds if r[1] == "killed")
    mid_job = sum(1 for r in rounds if r[1] == "killed" and r[3])
    ok = (results["pictures"] == results["expected"] and not results["missing"] and not results["unexpected"]
          and not results["corrupt"] and not results["jobs_twice_in_folder"]
          and results["jobs_in_history"] == results["expected"] == results["history_entries"]
          and states.get("done", 0) == results["expected"])
    lines = [
        f"Measured {today()} on: {machine()}. The machine is shared with other work.",
        "",
        f"Command: `{shlex.join(['python', 'benchmarks/bench_kill_drill.py', *sys.argv[1:]])}`",
        "",
        f"A 10-job batch (2 photos x 5 style weights, 64 px, two scales) killed with SIGKILL {killed} times "
        f"of {args.rounds} rounds at random moments ({args.min_s:g}-{args.max_s:g} s after its first painted "
        "step; "
        f"{mid_job} kills landed while a job was claimed, i.e. running), then run to its end ({final}); "
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
        f"| leftover temporary files (`.nst-*.tmp`, history `.tmp-*` folders; hidden) | "
        f"{results['temps_left']} |",
        "",
        "**Every job done exactly once, no corrupt or duplicate file.**" if ok
        else "**FAILED: see the table.**",
        "",
        "Rounds (delay after the first step, how it ended, jobs done after it): "
        + "; ".join(f"{d:.1f} s {e} ({n} done)" for d, e, n, _ in rounds) + ".",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        replace_block("bench_kill_drill", "## Queue: the kill drill, command line (issue 18.2)", text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
