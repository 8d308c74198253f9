"""The window on a 1280x800 screen, as it opens by itself (issue 8.6): the status bar, the
estimate line and the bottom of the history must be on screen. Grabs the whole screen:

    xvfb-run -s "-screen 0 1280x800x24" python docs/screenshots/make_fit_screenshot.py
"""

from __future__ import annotations

import os
import sys

from shots import HERE, spin, wait_until


def main() -> int:
    from PySide6.QtWidgets import QApplication

    from nst_desktop.gui.app import apply_theme
    from nst_desktop.gui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    apply_theme(app)
    window = MainWindow()  # its own size and place: what screen_fit chooses for this screen
    window.show()
    wait_until(lambda: bool(window.run_panel.estimate_label.text()) and not window.estimator.busy(), 60)
    spin(500)
    screen = window.screen()
    frame = window.frameGeometry()
    print(f"screen {screen.availableGeometry().width()}x{screen.availableGeometry().height()}, window "
          f"{frame.width()}x{frame.height()} at {frame.x()},{frame.y()}", flush=True)
    pixmap = screen.grabWindow(0) if os.environ.get("DISPLAY") else window.grab()
    pixmap.save(str(HERE / "fits_1280x800.png"))
    print("saved fits_1280x800.png", pixmap.width(), pixmap.height(), flush=True)
    window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
