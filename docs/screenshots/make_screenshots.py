"""Make the README screenshots: the app on first launch, mid-run, and finished with the
before/after split. Run under a real X server (Xvfb) so the window manager-free screen grab
shows exactly what a user sees:

    xvfb-run -s "-screen 0 1440x900x24" python docs/screenshots/make_screenshots.py

Uses a temporary NST_DESKTOP_HOME so the first-launch state is genuine.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
os.environ.setdefault("NST_DESKTOP_HOME", tempfile.mkdtemp(prefix="nst-shots-"))


def main() -> int:
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from nst_desktop.gui.app import apply_theme
    from nst_desktop.gui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    apply_theme(app)
    window = MainWindow()
    window.resize(1360, 860)
    window.show()

    def spin(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def shot(name: str) -> None:
        spin(300)
        pixmap = window.screen().grabWindow(window.winId()) if os.environ.get("DISPLAY") else window.grab()
        pixmap.save(str(HERE / name))
        print("saved", name, pixmap.width(), pixmap.height())

    def wait_until(condition: Callable[[], bool], seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:
            spin(200)

    # First launch as a user sees it once settled: inputs, the estimate (and the switch to
    # the Draft preset on a slow computer, which asks for a second estimate).
    wait_until(lambda: bool(window.run_panel.estimate_label.text()) and not window.estimator.busy(), 60)
    shot("first_launch.png")
    # The engine's defaults, only smaller and shorter: a few minutes on a laptop CPU, still
    # big enough to look like a painting.
    window.params_panel.update_fields(size=320, steps=60, coarse_steps=25)
    window.start_run()
    deadline = time.monotonic() + 600
    while window.run_panel.progress.value() < 450 and time.monotonic() < deadline:
        spin(200)
    shot("mid_run.png")
    while window.runner.running and time.monotonic() < deadline:
        spin(200)
    history = window.session.history
    wait_until(lambda: history is None or bool(history.entries()), 60)  # saved in the background
    window.canvas.set_split_enabled(True)
    window.canvas.set_split_position(0.4)
    shot("finished_split.png")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
