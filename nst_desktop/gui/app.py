"""Entry point of the desktop app: ``nst-desktop-app`` (or ``python -m nst_desktop.gui.app``).

The window must appear fast, so nothing here imports torch: once the window is up, the
estimator imports it in a pool thread, then the worker warms the engine up with a tiny run
in its own thread (see ``worker.default_warm_up``), so the first real run starts at full speed.
``--self-test`` runs the packaged self-test offscreen and passes its exit code through.
With ``NST_DESKTOP_STARTUP_MARKER`` set, the app prints ``WINDOW_EXPOSED <seconds>`` when
the window is first painted (read by ``benchmarks/bench_gui.py``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence

_T0 = time.perf_counter()


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


def _install_startup_marker(window: object) -> None:
    """Print once when the window is first exposed (painted), for the start-up benchmark."""
    from PySide6.QtCore import QEvent, QObject

    class _Marker(QObject):
        """Prints the start-up marker on the first expose or paint event."""

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() in (QEvent.Type.Expose, QEvent.Type.Paint) and not getattr(self, "done", False):
                self.done = True
                print(f"WINDOW_EXPOSED {time.perf_counter() - _T0:.3f}", flush=True)
            return False

    marker = _Marker(window)  # type: ignore[arg-type]
    window.installEventFilter(marker)  # type: ignore[attr-defined]
    window.windowHandle().installEventFilter(marker)  # type: ignore[attr-defined]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    if args.self_test:
        return _self_test()
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QIcon
    from PySide6.QtWidgets import QApplication

    from nst_desktop.resources import resource_path

    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("NST Desktop")
    app.setOrganizationName("NST Desktop")
    app.setWindowIcon(QIcon(str(resource_path("icon.png"))))
    apply_theme(app)
    from nst_desktop.gui.main_window import MainWindow

    window = MainWindow()
    window.create()
    if os.environ.get("NST_DESKTOP_STARTUP_MARKER"):
        _install_startup_marker(window)
    window.show()
    if args.photo:  # after the saved inputs, which load on the first turn of the event loop
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, lambda: window.inputs.load_content_file(args.photo))
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main())
