"""Run the engine off the GUI thread and re-emit its progress as Qt signals.

The :class:`Worker` lives in its own ``QThread``; it is a thin adapter: it calls
``engine.stylize.stylize`` with a callback that turns each ``ProgressEvent`` into a
``progressed`` signal, throttles previews so the GUI never has more than ~10 pictures a
second to draw, and steers the run through a thread-safe ``RunControl`` (pause, resume
and stop never go through the worker's event loop, which is busy running the engine).

After a stop the worker emits nothing more but ``stopped`` with the best image so far
(superqt / napari worker semantics). The engine (and so torch) is imported on the first
run, inside the worker thread, so the window appears before torch is loaded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from nst_desktop.engine.events import ImageArray, PreviewArray, ProgressEvent, RunControl, StyleInput
from nst_desktop.engine.params import Params
from nst_desktop.gui.errors import user_message

log = logging.getLogger(__name__)

StylizeFn = Callable[..., Any]

PREVIEW_INTERVAL_S = 0.1  # at most ~10 previews a second reach the GUI
MAX_FRAMES = 160  # time-lapse frames kept per run; older ones are thinned out


@dataclass(frozen=True)
class RunRequest:
    """Everything one run needs; built in the GUI thread, read in the worker thread."""

    content: ImageArray
    styles: tuple[StyleInput, ...]
    params: Params
    init_image: ImageArray | None = None
    preview_every: int = 2  # frequent: a CPU step is slow; the worker throttles what the GUI sees


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


def _default_stylize() -> StylizeFn:
    from nst_desktop.engine.stylize import stylize  # heavy: imports torch

    return stylize


def _resolve_weights(spec: str) -> Any:
    """``None`` means the engine's built-in Caffe set; anything else goes through io."""
    if spec == "caffe":
        return None
    from nst_desktop.io.weights_store import resolve_weights

    return resolve_weights(spec)


class Worker(QObject):
    """Runs one :class:`RunRequest` at a time; lives in a QThread (see :class:`RunThread`)."""

    started = Signal()
    progressed = Signal(object)  # ProgressEvent (preview stripped)
    previewReady = Signal(object)  # noqa: N815 - PreviewArray uint8 (H, W, 3)
    finished = Signal(object)  # RunResult
    stopped = Signal(object)  # RunResult with stopped=True (best image so far)
    failed = Signal(str)  # user-facing text
    done = Signal()  # always last, whatever the outcome

    def __init__(self, stylize_fn: StylizeFn | None = None) -> None:
        super().__init__()
        self._stylize_fn = stylize_fn
        self._control = RunControl()
        self._last_preview_t = 0.0
        self.recorder = FrameRecorder()
        self.last_result: Any = None  # a partial RunResult kept from a failed run, if any

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
        self.recorder = FrameRecorder()
        self.last_result = None
        self._last_preview_t = 0.0
        self.started.emit()
        try:
            result = self._call_engine(request)
        except Exception as exc:  # every failure becomes a message; the app keeps running
            log.warning("run failed: %s", exc, exc_info=not hasattr(exc, "user_text"))
            self.last_result = getattr(exc, "result", None)
            self.failed.emit(user_message(exc))
        else:
            if result.stopped or self._control.stopped:
                self.stopped.emit(result)
            else:
                self.finished.emit(result)
        finally:
            self.done.emit()

    def reset_control(self) -> None:
        """A fresh RunControl for the next run (called from the GUI before queueing it)."""
        self._control = RunControl()

    def _call_engine(self, request: RunRequest) -> Any:
        stylize = self._stylize_fn or _default_stylize()
        weights = _resolve_weights(request.params.weights)
        return stylize(
            request.content,
            list(request.styles),
            request.params,
            weights=weights,
            init_image=request.init_image,
            callback=self._on_event,
            control=self._control,
            preview_every=request.preview_every,
        )

    def _on_event(self, event: ProgressEvent) -> None:
        if self._control.stopped:
            return  # after an abort only the stopped result is reported
        preview = event.preview
        if preview is not None:
            self.recorder.add(preview)
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
    """Owns the worker and its QThread; the GUI talks to this object only."""

    _runRequested = Signal(object)  # noqa: N815 - Qt signal name

    def __init__(self, stylize_fn: StylizeFn | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("nst-worker")
        self.worker = Worker(stylize_fn)
        self.worker.moveToThread(self.thread)
        self._runRequested.connect(self.worker.run)
        self.worker.done.connect(self._on_done)
        self._running = False
        # The thread starts with the first run: a window that never ran leaves no thread
        # behind, and start-up does not pay for it.
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
        if not self.thread.isRunning():
            self.thread.start()
        self.worker.reset_control()
        self._runRequested.emit(request)
        return True

    def pause(self) -> None:
        self.worker.pause()

    def resume(self) -> None:
        self.worker.resume()

    def stop(self) -> None:
        self.worker.stop()

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Stop any run, end the thread and wait for it; True when the thread has ended."""
        self.worker.stop()
        if not self.thread.isRunning():
            return True
        self.thread.quit()
        return bool(self.thread.wait(timeout_ms))

    @Slot()
    def _on_done(self) -> None:
        self._running = False


def frames_of(worker: Worker) -> Sequence[PreviewArray]:
    """The time-lapse frames of the worker's last run (read after ``done``)."""
    return list(worker.recorder.frames)
