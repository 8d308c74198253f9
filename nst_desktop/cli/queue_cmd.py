"""``nst-desktop queue list|add|run|cancel|retry|pause|resume|clear``: the window's render queue
from the command line (the same SQLite file in the data folder, ``queue.store``).

``add`` takes the options of ``batch`` and queues its jobs without painting them; ``run`` paints
every waiting job, with the progress line, Ctrl-C and the summary of ``batch``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from nst_desktop.cli.batch import AddParamOptions, add_job_arguments, enqueue, report, run_jobs
from nst_desktop.cli.common import EXIT_ERROR, PROG, UsageError
from nst_desktop.cli.recipe_options import planned_jobs
from nst_desktop.queue.store import Place, QueuedJob, QueueStore, Status


def add_queue_parser(sub: Any, add_param_options: AddParamOptions) -> None:
    q = sub.add_parser("queue", help="the render queue the window shows: list, add, run, cancel, retry",
                       description="The durable render queue, shared with the window.")
    q.set_defaults(func=lambda ns: _usage(q))
    qsub = q.add_subparsers(dest="queue_command", metavar="ACTION", parser_class=type(q))
    qsub.add_parser("list", help="the jobs, in queue order, with their status").set_defaults(func=cmd_list)
    add = qsub.add_parser("add", help="queue photos x styles (the options of 'batch') without painting them")
    add_job_arguments(add, add_param_options)
    add.set_defaults(func=cmd_add)
    run = qsub.add_parser("run", help="paint every waiting job")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    run.set_defaults(func=cmd_run)
    for name, text in (("cancel", "cancel jobs (a running one stops after its step)"),
                       ("retry", "queue failed or cancelled jobs again")):
        action = qsub.add_parser(name, help=text)
        action.add_argument("ids", nargs="*", type=int, metavar="ID", help="job numbers (see 'queue list')")
        action.add_argument("--all", action="store_true", help="every job it applies to")
        action.set_defaults(func=cmd_cancel if name == "cancel" else cmd_retry)
    qsub.add_parser("pause", help="start no new job (the window's Pause)").set_defaults(func=cmd_pause)
    qsub.add_parser("resume", help="let the queue go on (after a pause, or a full disk)").set_defaults(
        func=cmd_resume)
    qsub.add_parser("clear", help="remove the done and cancelled jobs").set_defaults(func=cmd_clear)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def job_line(job: QueuedJob) -> str:
    styles = "+".join(s.name for s in job.recipe.styles)
    where = job.output_path or str(job.output.path)
    why = f"  ({job.reason})" if job.reason else ""
    farm = "  on the farm" if job.place == Place.FARM else ""
    return f"{job.id:>4}  {job.status.value:<9}  {where}  [{styles}]{farm}{why}"


def cmd_list(ns: argparse.Namespace) -> int:
    store = QueueStore()
    paused, message = store.paused()
    if paused:
        print(f"The queue is paused{': ' + message if message else ''}")
    jobs = store.jobs()
    for job in jobs:
        print(job_line(job))
    if not jobs:
        print("The queue is empty.")
    return 0


def cmd_add(ns: argparse.Namespace) -> int:
    store = QueueStore()
    jobs, skipped = enqueue(store, planned_jobs(ns), batch=str(ns.output))
    for job in jobs:
        print(job_line(job))
    if skipped:
        print(f"{len(skipped)} already painted with the same recipe: not queued again")
    return EXIT_ERROR if any(j.status == Status.FAILED for j in jobs) else 0


def cmd_run(ns: argparse.Namespace, stylize_fn: Any = None) -> int:
    store = QueueStore()
    paused, message = store.paused()
    if paused:
        raise UsageError(f"the queue is paused ({message or 'by the window'}); '{PROG} queue resume' first")
    # This computer's jobs: those marked for the farm are the window's (or a batch --farm's) to send.
    summary, aborted = run_jobs(store, None, ns.quiet, sys.stderr, stylize_fn, place=Place.LOCAL)
    return report(summary, [], aborted)


def _chosen(store: QueueStore, ids: list[int], every: bool, statuses: tuple[Status, ...]) -> list[int]:
    """The jobs a command names: ``ids``, or with ``every`` (--all) each job in ``statuses``."""
    if every:
        return [j.id for j in store.jobs(statuses=statuses)]
    if not ids:
        raise UsageError(f"give job numbers (see '{PROG} queue list') or --all")
    known = {j.id for j in store.jobs(ids=ids)}
    missing = [i for i in ids if i not in known]
    if missing:
        raise UsageError(f"no job {missing[0]} in the queue (see '{PROG} queue list')")
    return list(ids)


def cmd_cancel(ns: argparse.Namespace) -> int:
    store = QueueStore()
    done = sum(store.cancel(i) for i in _chosen(store, ns.ids, ns.all, (Status.WAITING, Status.RUNNING)))
    print(f"Cancelled {done} job(s)")
    return 0


def cmd_retry(ns: argparse.Namespace) -> int:
    store = QueueStore()
    done = sum(store.retry(i) for i in _chosen(store, ns.ids, ns.all, (Status.FAILED,)))
    print(f"{done} job(s) wait again")
    return 0


def cmd_pause(ns: argparse.Namespace) -> int:
    QueueStore().pause("paused from the command line")
    return 0


def cmd_resume(ns: argparse.Namespace) -> int:
    QueueStore().resume()
    return 0


def cmd_clear(ns: argparse.Namespace) -> int:
    print(f"Removed {QueueStore().clear_finished()} finished job(s)")
    return 0
