"""Screenshot of a mask being painted (docs/screenshots/mask_painting.png), under Xvfb:

    xvfb-run -s "-screen 0 1440x900x24" python docs/screenshots/make_mask_screenshot.py

The Mask dock is the window's own (View > Mask); the strokes are real mouse events on the overlay.
"""

from __future__ import annotations

import sys
import time

from shots import HERE, open_window, shot, spin


def main() -> int:
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from nst_desktop.engine.spec.region_masks import Region

    app, window = open_window()

    deadline = time.monotonic() + 60
    while window.inputs.content() is None and time.monotonic() < deadline:
        spin(200)
    content = window.inputs.content()
    assert content is not None, "the sample photo did not load"
    window.inputs.add_style_files([HERE.parents[1] / "resources" / "styles" / "the_scream.jpg"])
    window.mask_dock.dock.toggleViewAction().trigger()  # View > Mask, as the artist opens it
    layer, overlay, panel = window.mask_dock.layer, window.mask_dock.overlay, window.mask_dock.panel
    spin(500)

    def send(kind: QEvent.Type, x: float, y: float, held: bool) -> None:
        rect = window.canvas.image_rect()
        pos = QPointF(rect.left() + x * rect.width(), rect.top() + y * rect.height())
        button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
        buttons = Qt.MouseButton.LeftButton if held else Qt.MouseButton.NoButton
        QApplication.sendEvent(overlay, QMouseEvent(kind, pos, overlay.mapToGlobal(pos), button, buttons,
                                                    Qt.KeyboardModifier.NoModifier))

    def stroke(points: list[tuple[float, float]]) -> None:
        send(QEvent.Type.MouseButtonPress, *points[0], True)
        for point in points[1:]:
            send(QEvent.Type.MouseMove, *point, True)
        send(QEvent.Type.MouseButtonRelease, *points[-1], False)

    # Region 1 (Starry Night): the sky, brushed in wide zigzags, as an artist would.
    layer.set_region(Region(1, (0,), strength=1.2))
    overlay.set_tool("brush")
    panel.size_spin.setValue(70)
    for y in (0.03, 0.09, 0.15):
        stroke([(-0.05, y), (1.05, y)])
    stroke([(-0.05, 0.21), (0.25, 0.23), (0.45, 0.27), (0.6, 0.25), (0.75, 0.21), (1.05, 0.2)])
    panel.size_spin.setValue(30)
    stroke([(0.0, 0.3), (0.2, 0.33), (0.42, 0.37), (0.55, 0.35), (0.65, 0.3), (0.72, 0.24)])
    # Region 2 (The Scream, blended with Starry Night): the river bank, with a softer brush.
    layer.add_region(len(window.inputs.styles()))
    layer.set_region(Region(2, (1, 0), (3.0, 1.0)))
    panel.hardness_spin.setValue(40)
    panel.size_spin.setValue(45)
    stroke([(0.05 + x / 30, 0.82 + 0.04 * (x % 2)) for x in range(14)])
    # Leave the cursor over the picture so the brush outline shows, mid-stroke.
    send(QEvent.Type.MouseButtonPress, 0.55, 0.86, True)
    send(QEvent.Type.MouseMove, 0.6, 0.88, True)
    shot(window, "mask_painting.png", settle_ms=600)
    send(QEvent.Type.MouseButtonRelease, 0.6, 0.88, False)
    while window.estimator.busy() and time.monotonic() < deadline + 60:
        spin(200)  # closing under a running estimate leaves its thread signalling a deleted window
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
