"""The one way to run slow work (decoding, converting, thumbnails, exports) off the GUI thread.

A thin layer over superqt's ``create_worker`` (napari's worker semantics): the function runs
in Qt's global thread pool and its result, or its exception, arrives by signal in the GUI
thread. A cancelled job delivers nothing. A generator function is a job that can stop
early: it stops at its next ``yield`` once cancelled, and each yielded value arrives as a
partial result. A blocking function with a progress callback (a download) gets its
:class:`BackgroundJob` instead (``pass_job=True``): :meth:`BackgroundJob.report` delivers a partial result and
raises :class:`Cancelled` once the job is cancelled. :class:`LatestJob` keeps one job per
purpose, a newer request cancelling the older one (open photo B while A still decodes: A is
never shown).

Every background task of the GUI runs this way (reading images, thumbnails, exports, the
estimate, history saves, weight downloads), except the engine's worker thread
(``gui.worker.RunThread``): that one is long-lived and owns the engine state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot
from superqt.utils import FunctionWorker, GeneratorWorker, create_worker

log = logging.getLogger(__name__)
_live: set[BackgroundJob] = set()  # started and not ended: keeps them alive, and lets closing wait
_refusing = False  # set by finish(): the app is ending, a new job would run after its objects are gone


class Cancelled(Exception):  # noqa: N818 - a signal to stop, not an error
    """Raised by :meth:`BackgroundJob.report` in the job's thread once the job was cancelled."""


class BackgroundJob(QObject):
    """One call of ``fn(*args)`` in a pool thread. Signals arrive in the GUI thread:
    ``yielded`` (generators), then ``succeeded`` or ``failed``, then ``ended``. None of
    them follows :meth:`cancel` (the owner may be gone by then)."""

    yielded = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object)  # the exception
    ended = Signal()
    _reported = Signal(object)  # emitted in the pool thread, delivered (queued) in the GUI thread

    def __init__(self, fn: Callable[..., Any], *args: Any, parent: QObject | None = None,
                 pass_job: bool = False) -> None:
        super().__init__(parent)
        self._cancelled = False
        self._owner: QObject | None = None
        call_args = (self, *args) if pass_job else args
        # Holds the function and its arguments (a photo, say): dropped once the job ended, so
        # that a job kept for its signals does not keep them (LatestJob, issue 16.11).
        worker = create_worker(fn, *call_args, _start_thread=False, _ignore_errors=True)
        self._worker: GeneratorWorker[Any, Any, Any] | FunctionWorker[Any] | None = worker
        self._reported.connect(self._on_yielded)
        # Slots of this QObject (it lives in the GUI thread): queued from the pool thread.
        worker.returned.connect(self._on_returned)
        worker.errored.connect(self._on_errored)
        worker.finished.connect(self._on_finished)
        if isinstance(worker, GeneratorWorker):
            worker.yielded.connect(self._on_yielded)

    def start(self) -> BackgroundJob:
        assert self._worker is not None, "a job runs once"
        if _refusing:  # after the event loop ended: it would start once its QObjects are deleted
            self._cancelled = True
            self._worker = None
            return self
        _live.add(self)
        self._worker.start()
        return self

    def cancel(self) -> None:
        """Deliver nothing more; a generator stops at its next ``yield``."""
        self._cancelled = True
        if self._worker is not None:
            self._worker.quit()

    def cancel_with(self, owner: QObject) -> None:
        """Cancel when ``owner`` is destroyed (until the job ends: a long-lived owner must not
        keep every job it ever started alive through the connection)."""
        owner.destroyed.connect(self._on_owner_destroyed)
        self._owner = owner

    @Slot()
    def _on_owner_destroyed(self) -> None:
        self._owner = None
        self.cancel()

    def cancelled(self) -> bool:
        return self._cancelled

    def report(self, value: object) -> None:
        """From the job's own function (``pass_job=True``), in its pool thread: deliver
        ``value`` as a partial result (``yielded``); raises :class:`Cancelled` once cancelled,
        so a function that reports progress stops at its next report."""
        if self._cancelled:
            raise Cancelled()
        self._reported.emit(value)

    def running(self) -> bool:
        return self in _live

    @Slot(object)
    def _on_yielded(self, value: object) -> None:
        if not self._cancelled:
            self.yielded.emit(value)

    @Slot(object)
    def _on_returned(self, value: object) -> None:
        if not self._cancelled:
            self.succeeded.emit(value)

    @Slot(object)
    def _on_errored(self, exc: object) -> None:
        if not self._cancelled:
            self.failed.emit(exc)
        else:
            log.debug("cancelled job failed: %s", exc)

    @Slot()
    def _on_finished(self) -> None:
        _live.discard(self)
        if isinstance(self._worker, FunctionWorker):
            # superqt's worker keeps its call's arguments until the thread pool and superqt's own
            # set of live workers let go of it, which a loaded machine may postpone for seconds:
            # forget them now, so a photo is freed when its job ends (issue 16.11).
            self._worker._args, self._worker._kwargs = (), {}
        self._worker = None
        if self._owner is not None:
            self._owner.destroyed.disconnect(self._on_owner_destroyed)
            self._owner = None
        if not self._cancelled:
            self.ended.emit()


def run_in_background(fn: Callable[..., Any], *args: Any,
                      on_success: Callable[[Any], object] | None = None,
                      on_failure: Callable[[Any], object] | None = None,
                      on_yield: Callable[[Any], object] | None = None,
                      parent: QObject | None = None, pass_job: bool = False) -> BackgroundJob:
    """Start ``fn(*args)`` (``fn(job, *args)`` with ``pass_job``) in a pool thread; the
    callbacks run in the GUI thread, never after ``parent`` (the widget they belong to) is
    destroyed."""
    job = BackgroundJob(fn, *args, pass_job=pass_job)  # not a child of ``parent``: its worker may outlive it
    if parent is not None:
        job.cancel_with(parent)
    for signal, callback in ((job.succeeded, on_success), (job.failed, on_failure),
                             (job.yielded, on_yield)):
        if callback is not None:
            signal.connect(callback)
    return job.start()


class LatestJob(QObject):
    """At most one job for one purpose: :meth:`start` cancels the one still going.
    ``busyChanged(bool)`` when there starts or stops being a job on its way."""

    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._job: BackgroundJob | None = None

    def start(self, fn: Callable[..., Any], *args: Any, on_success: Callable[[Any], object],
              on_failure: Callable[[Any], object] | None = None) -> BackgroundJob:
        was_busy = self.busy()
        self.cancel(quiet=True)
        job = run_in_background(fn, *args, on_success=on_success, on_failure=on_failure, parent=self)
        job.ended.connect(self._on_ended)  # only the newest job ends: a cancelled one never does
        self._job = job
        if not was_busy:
            self.busyChanged.emit(True)
        return job

    def cancel(self, quiet: bool = False) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job = None
            if not quiet:
                self.busyChanged.emit(False)

    def busy(self) -> bool:
        return self._job is not None

    @Slot()
    def _on_ended(self) -> None:
        if self._job is not None:
            self._job = None
            self.busyChanged.emit(False)


def pending() -> int:
    """Jobs started and not ended (their results may still be on their way)."""
    return len(_live)


def wait_idle(timeout_ms: int = 30_000) -> bool:
    """Block until every pool thread is done (closing: an export still writing is finished,
    not cut off). Results still queued are not delivered by this."""
    return bool(QThreadPool.globalInstance().waitForDone(timeout_ms))


def finish(timeout_ms: int = 30_000) -> bool:
    """The app's event loop has ended: start no new job, and wait for those under way. A slot
    that ran during the window's teardown (a history entry shown, a thumbnail to read) used to
    start a job that ran after its QObjects were deleted ("Signal source has been deleted")."""
    global _refusing
    _refusing = True
    return wait_idle(timeout_ms)
