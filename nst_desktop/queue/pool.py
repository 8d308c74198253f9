"""Several of the queue's jobs painted side by side: one :class:`~nst_desktop.queue.runner.Runner`
per lane, each on its own thread, all sharing the queue (issue 19: every node of the render farm busy).

A farm of 4 GPU machines painting one job at a time is 25 % used, so the farm's jobs go in
``lanes()`` at once (``farm.batch.farm_lanes``: what the farm can paint at once, from its status).
Each lane is an ordinary Runner of the same place: it claims with the store's atomic claim (two
lanes never get the same job), keeps its own lease and delivers through the queue's own
``queue.delivery`` (exactly once; the history's ``Library.add`` writes each entry in its own
temporary folder, so lanes may deliver at the same time). Cancel and "Run locally" stop the one
job they name (its lane's ``recheck``), the others go on. The lanes share one ``queue.timing.Tally``,
so "job i of n" and the time left count all of them.

``lanes`` None: one lane in the caller's thread (this computer's jobs, painted one at a time).
Otherwise ``lanes()`` is asked again every ``recheck_s`` (the farm's status: a node that joined or left):
more lanes start when jobs wait; a lane no longer needed finishes its job and claims no other.
:class:`RunnerPool` has the Runner's steering API (``stop``, ``pause``, ``resume``, ``recheck``,
``run`` returning one :class:`~nst_desktop.queue.runner.RunSummary`, its outcomes in the order
the jobs ended).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from nst_desktop.engine.spec.errors import NSTError
from nst_desktop.queue.runner import Runner, RunSummary
from nst_desktop.queue.store import QueueStore, Status
from nst_desktop.queue.timing import Tally

log = logging.getLogger(__name__)

MAX_LANES = 16  # a cap: each lane is a thread and an open request to the farm
RECHECK_S = 10.0  # how often the number of lanes is asked again
ABORT_WAIT_S = 3.0  # a second Ctrl-C: how long the lanes get to cancel their farm jobs


class RunnerPool:
    """Up to ``lanes()`` runners made by ``make_runner(tally)``, side by side (module docstring)."""

    def __init__(self, store: QueueStore, make_runner: Callable[[Tally], Runner],
                 lanes: Callable[[], int] | None, *, recheck_s: float = RECHECK_S) -> None:
        self.store = store
        self._make_runner, self._lanes, self._recheck_s = make_runner, lanes, recheck_s
        self._tally = Tally()
        self._lock = threading.Lock()
        self._lanes_now: list[tuple[Runner, threading.Thread]] = []
        self._summary = RunSummary()
        self._stop = threading.Event()
        self._held = False
        self._ended = threading.Event()  # a lane ended: the pool looks again at once
        self._error: BaseException | None = None  # a lane's unforeseen error, raised by run()
        self._sample: Runner | None = None  # the first lane's runner: its ``only`` and ``place`` are all's

    # --- steering, from any thread (as Runner's) -------------------------------------------------
    def stop(self) -> None:
        self._stop.set()
        for runner in self.runners():
            runner.stop()
        self._ended.set()

    def pause(self) -> None:
        with self._lock:
            self._held = True
        for runner in self.runners():
            runner.pause()

    def resume(self) -> None:
        with self._lock:
            self._held = False
        for runner in self.runners():
            runner.resume()

    def recheck(self) -> None:
        for runner in self.runners():
            runner.recheck()

    def runners(self) -> list[Runner]:
        """The lanes' runners now (live or not yet joined)."""
        with self._lock:
            return [runner for runner, _ in self._lanes_now]

    @property
    def in_flight(self) -> int:
        """How many jobs are being painted now."""
        return sum(1 for runner in self.runners() if runner.current is not None)

    # --- running -------------------------------------------------------------------------------
    def run(self) -> RunSummary:
        """Paint the waiting jobs, ``lanes()`` at a time, until none is left, the queue is paused
        or :meth:`stop` is called. A KeyboardInterrupt (a second Ctrl-C) stops every lane; a lane's
        unforeseen error stops the others and is raised once they have ended."""
        if self._lanes is None:
            return self._run_here()
        first = True
        try:
            while True:
                self._ended.clear()  # before looking: a lane that ends after this wakes the next wait
                self._join_ended()
                wanted = self._wanted()
                self._tally.lanes = wanted
                live = self.runners()
                for runner in live[wanted:]:  # fewer lanes now: those finish their job, then end
                    runner.retire()
                if len(live) < wanted and not self._stop.is_set() and (first or self._jobs_wait()):
                    self._start_lanes(wanted - len(live))
                elif not live:
                    break
                first = False
                self._ended.wait(self._recheck_s)
        except KeyboardInterrupt:  # a second Ctrl-C: every lane stops; their farm jobs are cancelled
            self.stop()
            self._join_ended(ABORT_WAIT_S)
            raise
        if self._error is not None:
            raise self._error
        summary = self._summary
        summary.stopped = summary.stopped or self._stop.is_set()
        return summary

    def _run_here(self) -> RunSummary:
        """One lane, in the caller's thread (this computer's jobs, one at a time): a Ctrl-C, or a
        kill, lands in the job being painted, as it always did."""
        runner = self._make_runner(self._tally)
        with self._lock:
            if self._held:
                runner.pause()
            if self._stop.is_set():
                runner.stop()
            self._lanes_now.append((runner, threading.current_thread()))
        try:
            return runner.run()
        finally:
            with self._lock:
                self._lanes_now.clear()

    def _wanted(self) -> int:
        try:
            return max(1, min(MAX_LANES, int(self._lanes()))) if self._lanes is not None else 1
        except (NSTError, OSError) as exc:  # the farm's status unreadable now: the lanes stay as they are
            log.info("the number of lanes is not known now (%s); kept", exc)
            return max(1, self._tally.lanes)

    def _jobs_wait(self) -> bool:
        """Whether a job waits that a new lane could claim (runners share ``only`` and ``place``)."""
        sample = self._sample
        if sample is None or self.store.paused()[0]:
            return False
        return any(sample.place is None or j.place == sample.place
                   for j in self.store.jobs(statuses=[Status.WAITING], ids=sample.only))

    def _start_lanes(self, count: int) -> None:
        for _ in range(count):
            runner = self._make_runner(self._tally)
            self._sample = self._sample or runner
            with self._lock:
                if self._held:
                    runner.pause()
                if self._stop.is_set():  # a stop that came while this lane was being made
                    runner.stop()
                thread = threading.Thread(target=self._run_lane, args=(runner,), daemon=True,
                                          name=f"queue-lane-{len(self._lanes_now) + 1}")
                self._lanes_now.append((runner, thread))
            thread.start()

    def _run_lane(self, runner: Runner) -> None:
        try:
            lane = runner.run()
        except BaseException as exc:  # an unforeseen error ends the run, as a lone Runner's does: raised
            with self._lock:
                self._error = self._error or exc
            self.stop()
            lane = RunSummary()
        with self._lock:
            self._summary.outcomes.extend(lane.outcomes)
            self._summary.stopped = self._summary.stopped or lane.stopped
            self._summary.paused = self._summary.paused or lane.paused
        self._ended.set()

    def _join_ended(self, wait_s: float = 0.0) -> None:
        """Forget the lanes that ended (waiting up to ``wait_s`` in all for the others to end)."""
        with self._lock:
            lanes = list(self._lanes_now)
        deadline = time.monotonic() + wait_s
        for runner, thread in lanes:
            thread.join(max(0.0, deadline - time.monotonic()))
            if not thread.is_alive():
                with self._lock:
                    self._lanes_now.remove((runner, thread))
