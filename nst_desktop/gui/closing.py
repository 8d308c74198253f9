"""Closing the window while a picture is being painted: stop the run, say so, close when it ends.

A print-size step takes from 20 s to over ten minutes, and the engine honours a stop only
between two tiles or steps, so ``closeEvent`` must not wait for the run: a blocking wait
freezes the window for that long, and a wait that gives up used to let the running thread be
destroyed, which aborts the app and loses the picture. Instead the first close asks the run to
stop and is ignored; the window stays up, painted, saying "Stopping… keeping the picture";
when the worker reports ``done`` (after ``stopped``: the session has kept the picture and
queued its history entry) and the history saver has written that entry, the window closes for
real. A close asked for meanwhile (the title bar again, Quit, SIGTERM) only repeats the message.
A close just after a run ended waits the same way for its entry to be written.

No question is asked first: nothing is lost by closing (the picture so far goes to the history,
and Render full size goes on from a stopped picture), and a close from SIGTERM at logout must
not wait on a dialog.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QStatusBar

from nst_desktop.engine.spec.events import ProgressEvent
from nst_desktop.gui.history_saver import HistorySaver
from nst_desktop.gui.run_panel import RunPanel
from nst_desktop.gui.worker import RunThread

STOPPING_TEXT = "Stopping… keeping the picture"


class CloseAfterRun(QObject):
    """Decides whether the window may close now, and calls ``close`` (the window's) once a
    stopped run has ended and its picture is written."""

    def __init__(self, runner: RunThread, saver: HistorySaver, run_panel: RunPanel, status: QStatusBar,
                 close: Callable[[], object], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner, self._saver, self._run_panel, self._status = runner, saver, run_panel, status
        self._close = close
        self.waiting = False  # a close waits for the run to stop and its picture to be written
        worker = runner.worker
        worker.progressed.connect(self._on_progressed)
        worker.done.connect(self._close_when_kept)
        saver.drained.connect(self._close_when_kept)

    def may_close(self) -> bool:
        """True when no run is painting and no picture waits to be written; otherwise stop the
        run, say so, and close the window once the run has ended and its picture is written."""
        if not self._runner.running and not self._saver.busy():
            return True
        self.waiting = True
        self._runner.stop()
        self._show_stopping()
        return False

    def _show_stopping(self) -> None:
        self._run_panel.show_stopping(STOPPING_TEXT)
        self._status.showMessage(STOPPING_TEXT)  # no timeout: it stays until the window goes

    @Slot(object)
    def _on_progressed(self, _event: ProgressEvent) -> None:
        if self.waiting:  # a step reported just before the stop must not hide the message
            self._show_stopping()

    @Slot()
    def _close_when_kept(self) -> None:
        """After the run's ``done`` and the saver's ``drained``: close once both are over.

        The entry is written before the window closes, not in ``closeEvent``: its time-lapse takes
        seconds, and the saver's job only reaches the thread pool from a timer of this thread.
        """
        if self.waiting and not self._runner.running and not self._saver.busy():
            self.waiting = False  # one real close
            # Queued: every other slot of ``done`` runs first (the run panel, the after-touches).
            QTimer.singleShot(0, self, self._close)
