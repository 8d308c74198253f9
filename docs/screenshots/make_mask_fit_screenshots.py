"""The window with View > Mask open, at the screen's size (issue 16.4): the whole window on the
screen, the Mask panel's controls, the History buttons and the settings panel unclipped. Grabs
the whole screen; run once per size:

    xvfb-run -a -s "-screen 0 1280x800x24" python docs/screenshots/make_mask_fit_screenshots.py
    xvfb-run -a -s "-screen 0 1440x900x24" python docs/screenshots/make_mask_fit_screenshots.py

Writes mask_fits_<width>x<height>.png and prints the window's and the panels' sizes.
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
    wait_until(lambda: window.inputs.ready() and not window.estimator.busy(), 60)
    window.inputs.add_style_files([HERE.parents[1] / "resources" / "styles" / "the_scream.jpg"])
    wait_until(lambda: len(window.inputs.rows) >= 2, 30)
    window.mask_dock.dock.toggleViewAction().trigger()  # View > Mask, as the artist opens it
    window.mask_dock.panel.add_button.click()  # a region row: the panel's widest part
    wait_until(lambda: bool(window.run_panel.estimate_label.text()) and not window.estimator.busy(), 60)
    spin(800)
    screen = window.screen().availableGeometry()
    frame = window.frameGeometry()
    side, mask = window.side_dock.widget(), window.mask_dock.dock.widget()
    print(f"screen {screen.width()}x{screen.height()}, window {frame.width()}x{frame.height()} at "
          f"{frame.x()},{frame.y()}, minimum {window.minimumSizeHint().width()}x"
          f"{window.minimumSizeHint().height()}; Picture panel {side.width()} px (settings "
          f"{side.widget().width()} in {side.viewport().width()}), Mask panel {mask.width()} px "
          f"(controls {mask.widget().width()} in {mask.viewport().width()})", flush=True)
    pixmap = window.screen().grabWindow(0) if os.environ.get("DISPLAY") else window.grab()
    name = f"mask_fits_{screen.width()}x{screen.height()}.png"
    pixmap.save(str(HERE / name))
    print("saved", name, pixmap.width(), pixmap.height(), flush=True)
    window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
