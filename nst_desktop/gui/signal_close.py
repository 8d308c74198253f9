"""SIGTERM (a logout, a shutdown, ``kill``), SIGHUP (the terminal went away) and SIGINT (Ctrl-C
in the terminal that started the app) close the window as its close button does, so that
what is on screen is saved and a run is dealt with by the window's own close (issue 16.13).

Qt's event loop waits in C++, and a Python signal handler runs only when Python code next
runs: in an idle window, never, and the default SIGTERM ends the process on the spot. So
Python's C-level handler writes the signal's number to a socket (``signal.set_wakeup_fd``),
a QSocketNotifier on the other end wakes the event loop, and the notifier's slot closes the
window, on the GUI thread, between two events (never in the middle of another slot).
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from types import FrameType

from PySide6.QtCore import QObject, QSocketNotifier
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

CLOSING_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name))


def _wake_only(_signum: int, _frame: FrameType | None) -> None:
    """The Python-level handler: nothing to do here, the wakeup socket brings the signal to Qt."""


class SignalCloser(QObject):
    """Closes ``window`` when one of ``signals`` arrives; :meth:`uninstall` puts back what was there."""

    def __init__(self, window: QWidget, signals: tuple[signal.Signals, ...] = CLOSING_SIGNALS) -> None:
        super().__init__(window)
        self._window = window
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)  # a burst of signals never blocks the C handler or the slot
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._previous = {number: signal.signal(number, _wake_only) for number in signals}
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_woken)

    def _on_woken(self) -> None:
        try:
            received = self._reader.recv(64)
        except (BlockingIOError, InterruptedError):
            return
        numbers = {number for number in received if number in self._previous}
        if numbers:
            log.info("closing on %s", ", ".join(signal.Signals(n).name for n in sorted(numbers)))
            self._window.close()

    def uninstall(self) -> None:
        """Restore the handlers and the wakeup fd this replaced (tests; a window built twice)."""
        self._notifier.setEnabled(False)
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._reader.close()
        self._writer.close()


def close_on_signals(window: QWidget) -> SignalCloser | None:
    """Close ``window`` on SIGTERM, SIGHUP and SIGINT; None where signals cannot be caught
    (not the main thread: only it may install handlers)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return SignalCloser(window)
