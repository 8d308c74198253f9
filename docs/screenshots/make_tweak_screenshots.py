"""Screenshots of the tweak loop: a live edit before and after it lands, the variations grid,
and the after-touch controls. Run under a real X server with the real engine:

    xvfb-run -s "-screen 0 1440x900x24" python docs/screenshots/make_tweak_screenshots.py

Uses a temporary NST_DESKTOP_HOME so nothing of the user's is touched.
"""

from __future__ import annotations

import sys

from shots import open_window, shot, wait_until


def main() -> int:
    app, window = open_window()

    wait_until(lambda: window.inputs.content() is not None and not window.estimator.busy(), 60)
    window.params_panel.update_fields(size=320, steps=70, coarse_steps=20, style_weight=1.0, colour="style")
    # A live edit: the picture forms, the artist switches to the photo's colours mid-run.
    window.runs.start()
    wait_until(lambda: window.run_panel.progress.value() > 600, 600)
    shot(window, "live_edit_before.png")
    window.params_panel.update_fields(colour="luminance", style_weight=3.0)
    wait_until(lambda: bool(window.run_panel.plot.markers()), 60)
    steps: list[int] = []
    window.runner.worker.progressed.connect(lambda e: steps.append(e.total_step))
    wait_until(lambda: len(steps) >= 8, 120)  # a few steps under the new look
    shot(window, "live_edit_after.png")
    wait_until(lambda: not window.runner.running, 600)
    # Variations of style strength: four quick looks at 192 px.
    window.params_panel.update_fields(colour="style", style_weight=1.0, size=512)
    window.tweaks.open_variations("style_weight")
    dialog = window.tweaks.variations_dialog
    wait_until(lambda: dialog is not None and not dialog.running and all(c.has_picture for c in dialog.cells),
               600)
    shot(dialog, "variations_grid.png")
    dialog.cells[2].clicked.emit()  # take one: its settings and picture
    wait_until(lambda: window.tweaks.variations_dialog is None, 30)
    window.touches_panel.keep_colours.setChecked(True)
    window.touches_panel.fade_slider.setValue(25)
    shot(window, "after_touches.png")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
