"""``nst-desktop batch PHOTO|FOLDER... --styles S... -o FOLDER``: photos x styles (x a sweep) on
the durable queue, painted one after another, with "job i of n", steps and the batch's time left.

Every job goes through the queue the window uses (``queue.store``): a batch killed or stopped
goes on where it was when run again (a rerun skips the jobs whose output already carries the
same recipe key, takes up the unfinished ones again, and goes on from their last finished scale).
At the end a table says what was done and what failed, and why; the exit status is 1 if any job
failed. Ctrl-C stops after the current step (every job in flight): the finished pictures are
saved, and the stopped job goes on next time from its last finished scale (from the stopped
picture itself when it was at full size); a second Ctrl-C aborts at once (the job goes on from
its last finished scale too).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from nst_desktop.cli.common import EXIT_ERROR, EXIT_INTERRUPTED, PROG, UsageError
from nst_desktop.cli.farm_options import add_farm_options, farm_render
from nst_desktop.cli.progress import ProgressBar
from nst_desktop.cli.recipe_options import planned_jobs
from nst_desktop.engine.spec.errors import ImageError
from nst_desktop.engine.spec.events import ProgressEvent
from nst_desktop.formatting import format_duration
from nst_desktop.queue.batch import DEFAULT_PATTERN, PlannedJob
from nst_desktop.queue.delivery import marker_of
from nst_desktop.queue.pool import RunnerPool
from nst_desktop.queue.runner import JobOutcome, QueueProgress, Runner, RunSummary
from nst_desktop.queue.store import Place, QueuedJob, QueueStore, Status
from nst_desktop.queue.timing import Tally

AddParamOptions = Callable[[argparse.ArgumentParser], None]


def add_job_arguments(p: argparse.ArgumentParser, add_param_options: AddParamOptions) -> None:
    """The options that describe a batch's jobs (``batch`` and ``queue add``); the settings are
    the render command's own options, generated from Params (``add_param_options``)."""
    p.add_argument("photos", nargs="+", metavar="PHOTO|FOLDER", help="photos, or folders of photos")
    p.add_argument("--styles", nargs="+", required=True, metavar="STYLE",
                   help="style images: each one its own look (blended into one with --style-weights/--blend)")
    p.add_argument("--style-weights", nargs="+", type=float, metavar="W",
                   help="blend the styles into one look with these weights")
    p.add_argument("--blend", action="store_true", help="blend the styles into one look, equal weights")
    p.add_argument("--sweep", metavar="SETTING=V1,V2,...",
                   help="paint each look at several values of one setting, e.g. style-weight=4,8,16")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="FOLDER",
                   help="folder for the pictures")
    p.add_argument("--name", default=DEFAULT_PATTERN, metavar="PATTERN",
                   help="file name of each picture: {photo} {style} {n} {value} {setting}; "
                        f"the extension picks the format (default: {DEFAULT_PATTERN})")
    p.add_argument("--preset", help=f"named parameter set (see '{PROG} presets')")
    p.add_argument("--params", type=Path, metavar="FILE",
                   help="settings of an earlier picture (PNG, its .json sidecar, or a params JSON)")
    add_param_options(p)


def add_batch_parser(sub: Any, add_param_options: AddParamOptions) -> None:
    p = sub.add_parser("batch", help="paint photos x styles (x a sweep) into a folder, resumable",
                       description="Paint every photo in every style (optionally at several values of one "
                                   "setting) through the render queue. A rerun skips what is already painted "
                                   "and goes on with the rest.",
                       epilog="Precedence: explicit options > --preset > --params FILE > defaults.")
    add_job_arguments(p, add_param_options)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_farm_options(p)
    p.set_defaults(func=cmd_batch)


# --- planning --------------------------------------------------------------------------------


def enqueue(store: QueueStore, planned: Sequence[PlannedJob], batch: str,
            place: Place = Place.LOCAL) -> tuple[list[QueuedJob], list[PlannedJob]]:
    """The queue's jobs for ``planned``, to be painted at ``place``: those of an earlier run of the
    same batch taken up again (a failed one retried), the others added; and the planned jobs
    already painted (skipped)."""
    jobs: list[QueuedJob] = []
    skipped: list[PlannedJob] = []
    for item in planned:
        earlier = store.find(item.key, item.output)
        if _already_painted(item, earlier):
            skipped.append(item)
            continue
        if earlier is not None and earlier.status != Status.DONE:
            store.set_place([earlier.id], place)
            if earlier.status == Status.FAILED:
                store.retry(earlier.id)
            jobs.append(store.get(earlier.id))
            continue
        jobs.append(store.add(item.recipe, item.output, batch=batch, key=item.key, place=place))
    return jobs, skipped


def _already_painted(item: PlannedJob, earlier: QueuedJob | None) -> bool:
    """The output (or the file an earlier run of this job wrote instead) carries this recipe key."""
    paths = [item.output.path] + ([Path(earlier.output_path)] if earlier and earlier.output_path else [])
    return any(p.is_file() and marker_of(p).get("recipe") == item.key for p in paths)


# --- running ---------------------------------------------------------------------------------


class BatchBar(ProgressBar):
    """The render's progress line, after "job i of n", its file and the batch's time left."""

    job_text = ""

    def render(self, ev: ProgressEvent) -> str:
        return f"{self.job_text} {super().render(ev)}"


def run_jobs(store: QueueStore, only: list[int] | None, quiet: bool, stream: TextIO,
             stylize_fn: Any = None, render_fn: Any = None,
             place: Place | None = None) -> tuple[RunSummary, bool]:
    """Paint the jobs (``only`` these ids, of ``place``; None: the whole queue), with a progress
    line per job and Ctrl-C; the summary, and whether a second Ctrl-C aborted the run. On the
    farm (``render_fn``) as many jobs are painted at once as it can paint (``queue.pool``)."""
    from nst_desktop.io.library import Library

    bars: dict[int, BatchBar] = {}  # job id -> its own line: farm jobs paint side by side
    lock = threading.Lock()  # the lanes report from their own threads
    ended: list[JobOutcome] = []
    history = _history(Library)

    def on_progress(p: QueueProgress) -> None:
        if quiet or p.event is None:
            return
        with lock:
            bar = bars.setdefault(p.job.id, BatchBar(stream))
            bar.job_text = (f"job {p.index} of {p.count} {p.job.name}: "
                            f"batch {format_duration(p.queue_left_s)} left |")
            bar.update(p.event)

    def on_ended(outcome: JobOutcome) -> None:
        with lock:
            ended.append(outcome)
            bar = bars.pop(outcome.job.id, None)
            if bar is not None:
                bar.close()
            if outcome.status == Status.FAILED and not quiet:
                print(f"{PROG}: {outcome.job.name} failed: {outcome.reason}", file=stream)

    def make_runner(tally: Tally) -> Runner:
        return Runner(store, history, only=only, stylize_fn=stylize_fn, on_progress=on_progress,
                      on_ended=on_ended, render_fn=render_fn, place=place, tally=tally)

    pool = RunnerPool(store, make_runner, render_fn.lanes if render_fn is not None else None)
    try:
        with _stop_on_sigint(pool, stream):
            return _in_queue_order(pool.run()), False
    except KeyboardInterrupt:
        with lock:
            for bar in bars.values():
                bar.close()
            return _in_queue_order(RunSummary(list(ended), stopped=True)), True


def _in_queue_order(summary: RunSummary) -> RunSummary:
    """The outcomes in the queue's order (farm jobs end out of order): the table reads as the batch."""
    summary.outcomes.sort(key=lambda outcome: outcome.job.id)
    return summary


def _history(library_type: Any) -> Any:
    """The history the window shows (a finished job appears there too); None if it cannot be opened."""
    try:
        return library_type()
    except ImageError as exc:
        print(f"{PROG}: warning: {exc.user_text()} Pictures go to the folder only.", file=sys.stderr)
        return None


@contextmanager
def _stop_on_sigint(runner: Runner | RunnerPool, stream: TextIO) -> Iterator[None]:
    """First Ctrl-C: stop after this step, the job's progress kept; a second one aborts."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    asked = threading.Event()

    def handler(_signum: int, _frame: FrameType | None) -> None:
        if asked.is_set():
            raise KeyboardInterrupt
        asked.set()
        runner.stop()
        stream.write("\nStopping after this step; the job goes on from there next time "
                     "(Ctrl-C again aborts)...\n")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def summary_table(rows: Sequence[tuple[str, str, str]]) -> str:
    """(file, status, why) rows as an aligned table, with the counts under it."""
    header = ("file", "status", "why")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(2)]
    lines = [f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]}".rstrip() for r in [header, *rows]]
    counts: dict[str, int] = {}
    for _, status, _ in rows:
        counts[status] = counts.get(status, 0) + 1
    lines.append(", ".join(f"{n} {status}" for status, n in counts.items()) or "no jobs")
    return "\n".join(lines)


def outcome_rows(summary: RunSummary, skipped: Sequence[PlannedJob]) -> list[tuple[str, str, str]]:
    rows = [(item.output.name, "skipped", "already painted with this recipe") for item in skipped]
    for outcome in summary.outcomes:
        name = Path(str(outcome.path)).name if outcome.path else outcome.job.name
        rows.append((name, _status_word(outcome), outcome.reason if outcome.status != Status.DONE else ""))
    return rows


def _status_word(outcome: JobOutcome) -> str:
    return "stopped" if outcome.status == Status.WAITING else outcome.status.value


def exit_status(summary: RunSummary, aborted: bool = False) -> int:
    if summary.failed:
        return EXIT_ERROR
    return EXIT_INTERRUPTED if aborted or summary.stopped else 0


def report(summary: RunSummary, skipped: Sequence[PlannedJob], aborted: bool = False) -> int:
    """Print the summary table (stdout) and say why the run ended early, if it did; the exit status."""
    print(summary_table(outcome_rows(summary, skipped)))
    if summary.paused:
        print(f"{PROG}: {summary.paused}", file=sys.stderr)
    elif aborted or summary.stopped:
        print(f"{PROG}: {'aborted' if aborted else 'stopped'}; run the same command again (or "
              f"'{PROG} queue run') to go on", file=sys.stderr)
    return exit_status(summary, aborted)


def cmd_batch(ns: argparse.Namespace, stylize_fn: Any = None) -> int:
    planned = planned_jobs(ns)  # the options become recipes in cli.recipe_options
    if not planned:
        raise UsageError("the batch has no jobs")
    render_fn = farm_render(ns, sys.stderr)  # a wrong token or version: said before anything is queued
    store = QueueStore()
    # Marked for the farm, so the window's own painter (which paints only this computer's) leaves them.
    jobs, skipped = enqueue(store, planned, str(ns.output), Place.FARM if render_fn else Place.LOCAL)
    summary, aborted = RunSummary(), False
    if jobs:
        summary, aborted = run_jobs(store, [j.id for j in jobs], ns.quiet, sys.stderr, stylize_fn, render_fn)
    # A job that failed when it was added (a vanished style) never ran: it is in the table too.
    ran = {o.job.id for o in summary.outcomes}
    for job in store.jobs(ids=[j.id for j in jobs if j.id not in ran], statuses=[Status.FAILED]):
        summary.outcomes.append(JobOutcome(job, Status.FAILED, job.reason))
    return report(summary, skipped, aborted)
