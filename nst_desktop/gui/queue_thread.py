"""The render queue painted in the background, on its own QThread, and the artist's priority.

:class:`QueueThread` (the GUI talks to it only) owns a :class:`QueueWorker` living in its own
``QThread``, as ``gui.worker.RunThread`` owns the artist's worker: the queue's runner
(``queue.runner.Runner``) runs there, never on the GUI thread, and its reports come back as
signals: ``progressed`` (``QueueProgress``, previews stripped), ``jobEnded`` (``JobOutcome`` and
the job's history ``Entry`` read in the queue's thread, or None), ``ranOut`` (the ``RunSummary``
once no job is left, the queue is paused or it was stopped).

The window runs two of them side by side (issue 19): this computer's (``place`` LOCAL) and the
render farm's (``place`` FARM, its ``farm`` the client of Settings ▸ Render farm): the farm's
runner paints through ``farm.batch.FarmRender``, the one farm path (claiming, leases and
delivery stay the queue's), as many jobs at once as the farm paints (``queue.pool.RunnerPool``:
one runner per lane, their reports coming from the lanes' threads), and also reports
``contacted`` (the farm's status line, asked first), ``refused`` (a wrong token or version: no
job is claimed) and ``waiting`` (a job and "farm unreachable since HH:MM").

**The artist comes first** (:class:`ArtistGate`): while the artist paints (a run, a quick look,
variations) the queue holds. The job being painted pauses *after its current step*
(``Runner.pause``: it keeps its memory and its place, and goes on from that step), and *between
jobs* no new job starts until the artist's painting has ended. The artist's own runs never wait
for the queue: they start at once on their own thread. The farm's painter has its own gate, never
held: its jobs use none of this computer's cores, so they go on while the artist paints.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from nst_desktop.engine.spec.errors import NSTError
from nst_desktop.farm.batch import FarmRender, first_contact
from nst_desktop.farm.client import FarmClient
from nst_desktop.farm.protocol import FarmError
from nst_desktop.gui.errors import user_message
from nst_desktop.gui.worker import keep_until_finished
from nst_desktop.io.library import Library
from nst_desktop.queue.pool import RunnerPool
from nst_desktop.queue.runner import JobOutcome, QueueProgress, Runner, RunSummary
from nst_desktop.queue.store import Place, QueuedJob, QueueStore, Status
from nst_desktop.queue.timing import Tally
from nst_desktop.service.render import StylizeFn

log = logging.getLogger(__name__)

GATE_POLL_S = 0.1  # a held queue looks for a stop this often


class ArtistGate:
    """Thread-safe: held while the artist paints; pauses the queue's runner (see the module
    docstring). The GUI thread holds and releases; the queue's thread waits and attaches."""

    def __init__(self) -> None:
        self._free = threading.Event()
        self._free.set()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._runner: RunnerPool | None = None

    @property
    def held(self) -> bool:
        return not self._free.is_set()

    def hold(self) -> None:
        with self._lock:
            self._free.clear()
            if self._runner is not None:
                self._runner.pause()  # the engine pauses at its next step

    def release(self) -> None:
        with self._lock:
            self._free.set()
            if self._runner is not None:
                self._runner.resume()

    def stop(self) -> None:
        """The window closes: nothing waits at the gate any more, the current job stops."""
        self._stopping.set()
        self.stop_current()

    def stop_current(self) -> None:
        """End the current job after its step (the queue was paused): it waits again in its place."""
        with self._lock:
            if self._runner is not None:
                self._runner.stop()

    def recheck_current(self) -> None:
        """The current job was cancelled or moved here: its runner stops it now (``Runner.recheck``)."""
        with self._lock:
            runner = self._runner
        if runner is not None:
            runner.recheck()

    def attach(self, runner: RunnerPool | None) -> None:
        with self._lock:
            self._runner = runner
            if runner is not None and self._stopping.is_set():
                runner.stop()

    def wait_between_jobs(self) -> None:
        """Queue thread: block while held (no new job starts), until released or stopping."""
        while not self._free.wait(GATE_POLL_S):
            if self._stopping.is_set():
                return


class QueueWorker(QObject):
    """Runs the queue's runner in its thread; a thin adapter re-emitting its reports as signals."""

    progressed = Signal(object)  # QueueProgress (its event's preview stripped)
    jobEnded = Signal(object, object)  # JobOutcome, Entry | None (the job's history entry when done)
    ranOut = Signal(object)  # RunSummary: no job left, the queue paused, or stopped
    crashed = Signal(str)  # an unforeseen error ended the run (the job goes back to waiting)
    contacted = Signal(str)  # the farm's status line, asked before a job is claimed
    refused = Signal(str)  # the farm refused (token, version, no farm set): no job was claimed
    waiting = Signal(object, str)  # QueuedJob, "farm unreachable since HH:MM": it waits for the farm

    def __init__(self, store: QueueStore, library: Library | None, gate: ArtistGate,
                 stylize_fn: StylizeFn | None = None, *, place: Place | None = None,
                 farm: Callable[[], FarmClient | None] | None = None) -> None:
        super().__init__()
        self._store, self._library, self._gate = store, library, gate
        self._stylize_fn, self._place, self._farm = stylize_fn, place, farm

    @Slot()
    def run(self) -> None:
        """Blocking, in the queue's thread: paint waiting jobs until none is left."""
        self._gate.wait_between_jobs()
        try:
            render_fn = self._farm_render()
        except NSTError as exc:  # the farm said no: nothing claimed, the jobs wait for a fix
            self.refused.emit(exc.user_text())
            self.ranOut.emit(RunSummary())
            return
        def make_runner(tally: Tally) -> Runner:
            return Runner(self._store, self._library, stylize_fn=self._stylize_fn, render_fn=render_fn,
                          place=self._place, on_progress=self._on_progress, on_ended=self._on_ended,
                          tally=tally)

        # The farm's jobs side by side, as many as it paints at once; this computer's one at a time.
        pool = RunnerPool(self._store, make_runner, render_fn.lanes if render_fn is not None else None)
        self._gate.attach(pool)
        summary = RunSummary()
        try:
            summary = pool.run()
        except Exception as exc:  # an engine bug must not take the window down; the job is recovered
            log.warning("queue run failed: %s", exc, exc_info=True)
            self.crashed.emit(user_message(exc))
        finally:
            self._gate.attach(None)
            self.ranOut.emit(summary)

    def _farm_render(self) -> FarmRender | None:
        """The farm's render for this run (None: paint here), its status asked first (a slow
        network: in this thread, never the GUI's)."""
        if self._farm is None:
            return None
        client = self._farm()
        if client is None:
            raise FarmError("No render farm is set: Edit ▸ Render farm…")
        self.contacted.emit(first_contact(client))
        return FarmRender(client, self._on_waiting)

    def _on_waiting(self, job: QueuedJob, text: str) -> None:
        self.waiting.emit(job, text)

    def _on_progress(self, progress: QueueProgress) -> None:
        event = progress.event
        if event is not None and event.preview is not None:  # the GUI reads pictures from files
            progress = replace(progress, event=replace(event, preview=None))
        self.progressed.emit(progress)

    def _on_ended(self, outcome: JobOutcome) -> None:
        entry = None
        if outcome.status == Status.DONE and outcome.job.entry_id and self._library is not None:
            try:
                entry = self._library.get(outcome.job.entry_id)
            except (KeyError, OSError, ValueError) as exc:
                log.warning("queued job %s: its history entry cannot be read: %s", outcome.job.name, exc)
        self.jobEnded.emit(outcome, entry)
        self._gate.wait_between_jobs()  # the artist paints: the next job waits


class QueueThread(QObject):
    """Owns the queue's worker and its QThread (see the module docstring); GUI thread only."""

    progressed = Signal(object)
    jobEnded = Signal(object, object)
    ranOut = Signal(object)
    crashed = Signal(str)
    contacted = Signal(str)
    refused = Signal(str)
    waiting = Signal(object, str)
    _runRequested = Signal()

    def __init__(self, store: QueueStore, library: Library | None, stylize_fn: StylizeFn | None = None,
                 parent: QObject | None = None, *, place: Place | None = None,
                 farm: Callable[[], FarmClient | None] | None = None) -> None:
        super().__init__(parent)
        self.gate = ArtistGate()
        self.qthread = QThread()
        self.qthread.setObjectName("nst-queue" if place is None else f"nst-queue-{place.value}")
        self.worker = QueueWorker(store, library, self.gate, stylize_fn, place=place, farm=farm)
        self.worker.moveToThread(self.qthread)
        self._runRequested.connect(self.worker.run)
        for mine, theirs in ((self.progressed, self.worker.progressed), (self.jobEnded, self.worker.jobEnded),
                             (self.crashed, self.worker.crashed), (self.contacted, self.worker.contacted),
                             (self.refused, self.worker.refused), (self.waiting, self.worker.waiting)):
            # Signal to signal, so the receiver is this object (the GUI thread): the farm's lanes emit
            # from their own threads, and a connection to ``mine.emit`` would queue their reports in
            # the worker's thread, busy running the pool until the run ends.
            theirs.connect(mine)
        self.worker.ranOut.connect(self._on_ran_out)
        self._running = False
        self._closed = False
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> bool:
        """Paint the waiting jobs; False when already painting or shut down."""
        if self._running or self._closed:
            return False
        self._running = True
        if not self.qthread.isRunning():
            self.qthread.start()
        self._runRequested.emit()
        return True

    def stop(self) -> None:
        """End the current job after its step (kept as its checkpoint; it waits again in its place)."""
        self.gate.stop_current()

    def recheck(self) -> None:
        """The queue was steered here (a cancel, a move): a job no longer this painter's stops now."""
        self.gate.recheck_current()

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Stop, end the thread and wait up to ``timeout_ms``; True when it has ended. The job
        being painted is given back to the queue and goes on at the next start."""
        self._closed = True
        self.gate.stop()
        if not self.qthread.isRunning():
            return True
        self.qthread.quit()
        if self.qthread.wait(timeout_ms):
            return True
        log.warning("the queue's thread is still stopping after %d ms; it is left to end", timeout_ms)
        keep_until_finished(self.qthread, self.worker)  # a QThread destroyed running aborts the app
        return False

    @Slot(object)
    def _on_ran_out(self, summary: RunSummary) -> None:
        self._running = False
        self.ranOut.emit(summary)
