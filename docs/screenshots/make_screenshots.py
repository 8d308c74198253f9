"""Make the README screenshots: the app on first launch, mid-run, and finished with the
before/after split. Run under a real X server (Xvfb) so the window manager-free screen grab
shows exactly what a user sees:

    xvfb-run -s "-screen 0 1440x900x24" python docs/screenshots/make_screenshots.py

Uses a temporary NST_DESKTOP_HOME so the first-launch state is genuine.
"""

from __future__ import annotations

import sys
import time

from shots import open_window, shot, spin, wait_until


def main() -> int:
    app, window = open_window()

    # First launch as a user sees it once settled: inputs, the estimate (and the switch to
    # the Draft preset on a slow computer, which asks for a second estimate).
    wait_until(lambda: bool(window.run_panel.estimate_label.text()) and not window.estimator.busy(), 60)
    shot(window, "first_launch.png")
    # The engine's defaults, only smaller and shorter: a few minutes on a laptop CPU, still
    # big enough to look like a painting.
    window.params_panel.update_fields(size=320, steps=60, coarse_steps=25)
    window.runs.start()
    deadline = time.monotonic() + 600
    while window.run_panel.progress.value() < 450 and time.monotonic() < deadline:
        spin(200)
    shot(window, "mid_run.png")
    while window.runner.running and time.monotonic() < deadline:
        spin(200)
    history = window.session.history
    wait_until(lambda: history is None or bool(history.entries()), 60)  # saved in the background
    window.canvas.set_split_enabled(True)
    window.canvas.set_split_position(0.4)
    shot(window, "finished_split.png")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
