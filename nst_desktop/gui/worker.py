"""Run the engine off the GUI thread and re-emit its progress as Qt signals.

The :class:`Worker` lives in its own ``QThread``; it is a thin adapter: it calls
``engine.run.stylize.stylize`` with a callback that turns each ``ProgressEvent`` into a
``progressed`` signal, throttles previews so the GUI never has more than ~10 pictures a
second to draw, and steers the run through a thread-safe ``RunControl`` (pause, resume
and stop never go through the worker's event loop, which is busy running the engine).

After a stop the worker emits nothing more but ``stopped`` with the best image so far
(superqt / napari worker semantics), or ``finished`` when the engine had painted its last
step before it saw the stop: the engine's ``RunResult.stopped`` decides, never the control.

The engine (and so torch) is never imported while the window is being built: the main
window asks for a *warm-up* (a tiny run in the worker thread) once it is on screen, so the
first real run does not pay torch's one-time costs while the user watches it (see
:func:`default_warm_up`).
"""

from __future__ import annotations

import atexit
import gc
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from nst_desktop.engine.spec.control import RunControl
from nst_desktop.engine.spec.events import PreviewArray, ProgressEvent, StyleInput
from nst_desktop.engine.spec.live import Changes
from nst_desktop.engine.spec.params import Params
from nst_desktop.gui.errors import user_message
from nst_desktop.gui.run_request import Outcome, RunRequest
from nst_desktop.service.render import (
    RenderDivergedError,
    Rendered,
    StylizeFn,
    default_stylize,
    render,
    resolve_weights,
)

log = logging.getLogger(__name__)

WarmUpFn = Callable[[Params], None]

PREVIEW_INTERVAL_S = 0.1  # at most ~10 previews a second reach the GUI
MAX_FRAMES = 160  # time-lapse frames kept per run; older ones are thinned out
WARM_UP_SIZE = 32  # px: the smallest size the engine accepts; the warm-up run takes well under a second


@dataclass
class FrameRecorder:
    """Keeps a bounded list of preview frames for the time-lapse: when full, every other
    frame is dropped and the sampling interval doubles, so long runs stay evenly sampled."""

    limit: int = MAX_FRAMES
    frames: list[PreviewArray] = field(default_factory=list)
    _every: int = 1
    _seen: int = 0

    def add(self, frame: PreviewArray) -> None:
        self._seen += 1
        if self._seen % self._every:
            return
        self.frames.append(frame)
        if len(self.frames) >= self.limit:
            self.frames = self.frames[::2]
            self._every *= 2


def default_warm_up(params: Params) -> None:
    """Run the real engine once on a tiny image with ``params``' weights, device and optimiser.

    Why: torch loads much of itself lazily. Measured with py-spy, the first optimiser step
    imports ``torch._dynamo`` (over 2 s of import work holding the GIL on a 2-core laptop),
    and the first run also reads and dequantises the weights and builds VGG19. Done at the
    start of a run, that starved the GUI thread (161-274 ms stalls); done here, right after
    the window appears, the run starts at full speed and the GUI stays smooth.
    """
    with _no_full_collections():
        stylize = default_stylize()
        # Random pixels, not a flat grey: colour matching needs an image with some variance.
        tiny = np.random.default_rng(0).random((WARM_UP_SIZE, WARM_UP_SIZE, 3), dtype=np.float32)
        small = params.with_changes(size=WARM_UP_SIZE, min_size=WARM_UP_SIZE, steps=1, coarse_steps=0,
                                    init="content" if params.init == "image" else params.init,
                                    init_image=None)
        stylize(tiny, [StyleInput(tiny, 1.0, "warm-up")], small, weights=resolve_weights(params.weights),
                control=RunControl(), preview_every=1)


@contextmanager
def _no_full_collections() -> Iterator[None]:
    """No garbage collection while torch's modules load, then freeze what they created.

    Why: the imports create ~200k long-lived objects, which trigger full collections that
    scan every object in the process while holding the GIL: 190-290 ms each, measured as
    GUI stalls of the same length. Frozen objects are never scanned again, so later
    collections (during runs) stay short.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


class Worker(QObject):
    """Runs one :class:`RunRequest` at a time; lives in a QThread (see :class:`RunThread`)."""

    started = Signal()
    progressed = Signal(object)  # ProgressEvent (preview stripped)
    previewReady = Signal(object)  # PreviewArray uint8 (H, W, 3)
    finished = Signal(object)  # Outcome
    stopped = Signal(object)  # Outcome whose result has stopped=True (best image so far)
    failed = Signal(str, object)  # user-facing text, Outcome (its rendered is the last good picture or None)
    done = Signal()  # always last, whatever the outcome
    warmedUp = Signal(bool)  # after a warm-up: True when the engine is ready, False if it failed

    def __init__(self, stylize_fn: StylizeFn | None = None, warm_up_fn: WarmUpFn | None = None) -> None:
        super().__init__()
        self._stylize_fn = stylize_fn
        # An injected (fake) engine has nothing to warm up unless the caller says how.
        self._warm_up_fn = warm_up_fn if warm_up_fn is not None or stylize_fn is not None else default_warm_up
        self._control = RunControl()
        self._last_preview_t = 0.0
        self._recorder = FrameRecorder()

    @property
    def control(self) -> RunControl:
        return self._control

    def pause(self) -> None:
        self._control.pause()

    def resume(self) -> None:
        self._control.resume()

    def stop(self) -> None:
        self._control.stop()

    @Slot(object)
    def run(self, request: RunRequest) -> None:
        """Blocking: call from the worker thread (queued signal) or directly in tests."""
        self._recorder = FrameRecorder()
        self._last_preview_t = 0.0
        self.started.emit()
        try:
            rendered = render(request.run_job(), callback=self._on_event, control=self._control,
                              preview_every=request.preview_every, stylize_fn=self._stylize_fn)
        except Exception as exc:  # every failure becomes a message; the app keeps running
            log.warning("run failed: %s", exc, exc_info=not hasattr(exc, "user_text"))
            partial = exc.rendered if isinstance(exc, RenderDivergedError) else None
            self.failed.emit(user_message(exc), self._outcome(partial, request))
        else:
            outcome = self._outcome(rendered, request)
            # The engine's word only: a Stop that lands after the last step (the control is set,
            # the picture is finished) must not report a finished picture as stopped.
            if rendered.result.stopped:
                self.stopped.emit(outcome)
            else:
                self.finished.emit(outcome)
        finally:
            self.done.emit()

    def _outcome(self, rendered: Rendered | None, request: RunRequest) -> Outcome:
        return Outcome(rendered, tuple(self._recorder.frames), request)

    @property
    def can_warm_up(self) -> bool:
        return self._warm_up_fn is not None

    @Slot(object)
    def warm_up(self, params: Params) -> None:
        """Blocking: pay the engine's one-time costs now (see :func:`default_warm_up`)."""
        if self._warm_up_fn is None:
            self.warmedUp.emit(False)
            return
        started = time.perf_counter()
        try:
            self._warm_up_fn(params)
        except Exception as exc:  # not fatal: the real run reports the problem properly
            log.info("engine warm-up failed: %s", exc)
            self.warmedUp.emit(False)
        else:
            log.info("engine warmed up in %.2f s", time.perf_counter() - started)
            self.warmedUp.emit(True)

    def reset_control(self) -> None:
        """A fresh RunControl for the next run (called from the GUI before queueing it)."""
        self._control = RunControl()

    def _on_event(self, event: ProgressEvent) -> None:
        if self._control.stopped:
            return  # after an abort only the stopped result is reported
        preview = event.preview
        if preview is not None:
            self._recorder.add(preview)
            now = time.monotonic()
            last_of_scale = event.step == event.scale_steps
            if now - self._last_preview_t >= PREVIEW_INTERVAL_S or last_of_scale:
                self._last_preview_t = now
                self.previewReady.emit(preview)
        self.progressed.emit(_without_preview(event))


def _without_preview(event: ProgressEvent) -> ProgressEvent:
    # the GUI gets pictures through previewReady only: no big arrays on every step
    return event if event.preview is None else replace(event, preview=None)


class RunThread(QObject):
    """Owns the worker and its QThread; the GUI talks to this object only.

    The one thread of the GUI not run through ``gui.background``, on purpose: it lives as
    long as the window and runs the warm-up and then every run one after another, so the
    engine's state (the warmed-up model and its caches) is used in order by one thread, a
    run of minutes never holds a pool slot that image reads need, and a run is steered
    (pause, stop, live edits) through its ``RunControl`` rather than cancelled like a job.
    """

    _runRequested = Signal(object)  # RunRequest
    _warmUpRequested = Signal(object)  # Params

    def __init__(self, stylize_fn: StylizeFn | None = None, parent: QObject | None = None, *,
                 warm_up_fn: WarmUpFn | None = None) -> None:
        super().__init__(parent)
        self.qthread = QThread()
        self.qthread.setObjectName("nst-worker")
        self.worker = Worker(stylize_fn, warm_up_fn)
        self.worker.moveToThread(self.qthread)
        self._runRequested.connect(self.worker.run)
        self._warmUpRequested.connect(self.worker.warm_up)
        self.worker.done.connect(self._on_done)
        self._running = False
        self._warm_up_asked = False
        # The thread starts with the warm-up or the first run, both after the window is
        # shown: start-up does not pay for it.
        app = QCoreApplication.instance()
        if app is not None:  # also covers a quit without closing the window first
            app.aboutToQuit.connect(self.shutdown)

    @property
    def running(self) -> bool:
        return self._running

    def start(self, request: RunRequest) -> bool:
        """Queue a run; False if one is already going."""
        if self._running:
            return False
        self._running = True
        self._warm_up_asked = True  # the run pays the one-time costs itself now
        if not self.qthread.isRunning():
            self.qthread.start()
        self.worker.reset_control()
        self._runRequested.emit(request)
        return True

    def warm_up(self, params: Params) -> bool:
        """Queue one warm-up of the engine in the worker thread (once, before any run); False
        when there is nothing to do. A run started meanwhile simply waits for it to end."""
        if self._running or self._warm_up_asked or not self.worker.can_warm_up:
            return False
        self._warm_up_asked = True
        if not self.qthread.isRunning():
            self.qthread.start()
        self._warmUpRequested.emit(params)
        return True

    def pause(self) -> None:
        self.worker.pause()

    def resume(self) -> None:
        self.worker.resume()

    def stop(self) -> None:
        self.worker.stop()

    def edit(self, changes: Changes) -> None:
        """Change the running picture's look from its next step on (engine.spec.live)."""
        self.worker.control.edit(changes)

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Stop any run, end the thread and wait up to ``timeout_ms``; True when the thread has ended.

        A thread still running then (a step that cannot be cut short) is kept until it ends
        (:func:`keep_until_finished`), whatever becomes of this object: a QThread destroyed
        while it runs aborts the whole app. The window waits for a run to stop before it
        closes (gui.closing); this is for the cases without a window to wait (app quit, dialogs).
        """
        self.worker.stop()
        if not self.qthread.isRunning():
            return True
        self.qthread.quit()
        if self.qthread.wait(timeout_ms):
            return True
        log.warning("the painting thread is still stopping after %d ms; it is left to end", timeout_ms)
        keep_until_finished(self.qthread, self.worker)
        return False

    @Slot()
    def _on_done(self) -> None:
        self._running = False


#: Threads that outlived their RunThread's shutdown, with their worker: referenced here so
#: that nothing destroys them while they run.
_UNFINISHED: list[tuple[QThread, QObject]] = []


def keep_until_finished(thread: QThread, worker: QObject) -> None:
    """Keep ``thread`` (and the worker living in it) alive until it ends, and wait for it at exit
    (the render queue's thread too: gui.queue_thread)."""
    _UNFINISHED[:] = [kept for kept in _UNFINISHED if not kept[0].isFinished()]
    _UNFINISHED.append((thread, worker))


def _wait_for_unfinished() -> None:
    """At exit: a stopped run ends at its next tile or step; waiting for it beats aborting."""
    for thread, _worker in _UNFINISHED:
        thread.wait()
    _UNFINISHED.clear()


atexit.register(_wait_for_unfinished)  # after PySide's import: runs before its clean-up (last in, first out)
