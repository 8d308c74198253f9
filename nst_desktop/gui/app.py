"""Entry point of the desktop app: ``nst-desktop-app`` (or ``python -m nst_desktop.gui.app``).

The window must appear fast, so nothing here imports torch: once the window is up, the
estimator imports it in a pool thread, then the worker warms the engine up with a tiny run
in its own thread (see ``worker.default_warm_up``), so the first real run starts at full speed.
``--self-test`` runs the packaged self-test offscreen and passes its exit code through.
A photo path on the command line, or a picture dropped on the app icon / opened with the
app in the macOS Finder (a ``QFileOpenEvent``: build.spec turns PyInstaller's argv
emulation off), becomes the content image (see :class:`FileOpenHandler`).
With ``NST_DESKTOP_STARTUP_MARKER`` set, the app prints ``WINDOW_EXPOSED <seconds>`` when
the window is first painted (read by ``benchmarks/bench_gui.py``).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QFileOpenEvent

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication, QWidget

    from nst_desktop.gui.main_window import MainWindow

_T0 = time.perf_counter()


class FileOpenHandler(QObject):
    """Event filter on the QApplication that turns macOS "open this file" events into
    content loads; paths that arrive before the window exists wait until ``set_target``.

    Loads are posted to the event loop rather than made at once: the window reads its saved
    inputs on its first event-loop turn, and a photo the user asked for must land after
    them, not be replaced by them.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._load: Callable[[str], object] | None = None
        self.pending: str | None = None  # only the newest: each load replaces the content

    def set_target(self, load: Callable[[str], object]) -> None:
        """Route paths to ``load`` (e.g. ``window.inputs.load_content_file``) from now on."""
        self._load = load
        if self.pending is not None:
            self.open(self.pending)
            self.pending = None

    def open(self, path: str) -> None:
        """Load ``path`` as the content, now (posted) or once there is a window."""
        load = self._load
        if load is None:
            self.pending = path
        else:
            QTimer.singleShot(0, lambda: load(path))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        # Called for every event of every object: the type test comes first and is cheap.
        if event.type() != QEvent.Type.FileOpen or not isinstance(event, QFileOpenEvent):
            return False
        path = event.file() or event.url().toLocalFile()
        if not path:
            return False
        self.open(path)
        return True


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="nst-desktop-app", description="NST Desktop, the app.")
    parser.add_argument("--self-test", action="store_true", help="run the self-test and exit")
    parser.add_argument("photo", nargs="?", help="a photo to open")
    args, _unknown = parser.parse_known_args(list(argv))  # Qt options (-style …) pass through
    return args


def _self_test() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from nst_desktop.selftest import run_self_test

    return int(run_self_test())


def apply_theme(app: object) -> None:
    """Fusion, with a palette that follows the system's light/dark setting (and its changes)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from nst_desktop.gui.theme import palette_for

    assert isinstance(app, QApplication)
    app.setStyle("Fusion")
    hints = QGuiApplication.styleHints()

    def update(scheme: Qt.ColorScheme) -> None:
        app.setPalette(palette_for(scheme == Qt.ColorScheme.Dark))

    update(hints.colorScheme())
    hints.colorSchemeChanged.connect(update)


def _install_startup_marker(window: QWidget) -> None:
    """Print once when the window is first exposed (painted), for the start-up benchmark."""

    class _Marker(QObject):
        """Prints the start-up marker on the first expose or paint event."""

        done = False

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() in (QEvent.Type.Expose, QEvent.Type.Paint) and not self.done:
                self.done = True
                print(f"WINDOW_EXPOSED {time.perf_counter() - _T0:.3f}", flush=True)
            return False

    marker = _Marker(window)
    window.installEventFilter(marker)
    handle = window.windowHandle()  # set by window.create()
    if handle is not None:
        handle.installEventFilter(marker)


def clean_history_temps() -> threading.Thread:
    """Remove, in the background, the temporary files a killed write left in the history
    (entries are one folder deep); a large history on a slow disk must not delay the window."""
    from nst_desktop.io.atomic import clean_stale_temps
    from nst_desktop.io.paths import library_dir

    worker = threading.Thread(target=clean_stale_temps, args=(library_dir(create=False),),
                              kwargs={"depth": 1}, name="clean-history-temps", daemon=True)
    worker.start()
    return worker


def build(argv: Sequence[str], window_factory: Callable[[], MainWindow] | None = None
          ) -> tuple[QApplication, MainWindow, FileOpenHandler]:
    """The application, its shown main window and the file-open handler, for ``argv``
    (without the program name); ``window_factory`` lets tests inject a window with fakes."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QIcon
    from PySide6.QtWidgets import QApplication

    from nst_desktop.resources import resource_path

    args = _parse(argv)
    clean_history_temps()
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    # Before the window: macOS delivers a file dropped on the icon as soon as the app starts.
    opener = FileOpenHandler(app)
    app.installEventFilter(opener)
    app.setApplicationName("NST Desktop")
    app.setOrganizationName("NST Desktop")
    app.setWindowIcon(QIcon(str(resource_path("icon.png"))))
    apply_theme(app)
    from nst_desktop.gui.main_window import MainWindow

    window = window_factory() if window_factory is not None else MainWindow()
    window.create()
    if os.environ.get("NST_DESKTOP_STARTUP_MARKER"):
        _install_startup_marker(window)
    window.show()
    if args.photo:
        opener.open(args.photo)
    opener.set_target(window.inputs.open_content_file)  # read in the background
    return app, window, opener


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    if args.self_test:
        return _self_test()
    # Before torch loads (it is imported lazily, after the window shows): OpenMP threads
    # that sleep when idle instead of spinning. Spinning threads fight any other busy
    # process for the cores; measured on a 2-core machine with one core busy, a 256 px
    # step took 1.0 s spinning and 0.44 s passive (tiny images: 0.49 s vs 0.017 s).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    app, window, _opener = build(sys.argv[1:] if argv is None else argv)
    from nst_desktop.gui.signal_close import close_on_signals

    close_on_signals(window)  # SIGTERM at logout closes the window cleanly (here, not in build: tests)
    code = int(app.exec())
    from nst_desktop.gui import background

    background.finish()  # nothing new starts while Python tears the window down
    return code


if __name__ == "__main__":
    sys.exit(main())
