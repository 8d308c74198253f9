"""Canvas: fit, 100 %, wheel zoom about the cursor, pan by drag, before/after split."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from nst_desktop.gui.canvas import Canvas


def _image(w: int, h: int, colour: str) -> QImage:
    image = QImage(w, h, QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    return image


def _canvas(qtbot: QtBot) -> Canvas:
    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.resize(400, 300)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_image(_image(800, 600, "red"))
    canvas.set_before(_image(800, 600, "blue"))
    return canvas


def test_fit_and_actual_size(qtbot: QtBot) -> None:
    canvas = _canvas(qtbot)
    ratio = canvas.devicePixelRatioF()
    assert canvas.is_fit() and abs(canvas.zoom() - 0.5 * ratio) < 1e-6
    assert abs(canvas.image_rect().width() - 400) < 1
    canvas.actual_size()
    assert canvas.zoom() == 1.0 and not canvas.is_fit()
    canvas.fit()
    assert canvas.is_fit()


def test_wheel_zoom_keeps_point_under_cursor(qtbot: QtBot) -> None:
    canvas = _canvas(qtbot)
    canvas.actual_size()
    anchor = QPointF(300, 100)
    rect = canvas.image_rect()
    fx = (anchor.x() - rect.left()) / rect.width()
    canvas.set_zoom(2.0, anchor=anchor)
    rect = canvas.image_rect()
    assert abs((anchor.x() - rect.left()) / rect.width() - fx) < 1e-6
    canvas.zoom_in()
    assert canvas.zoom() > 2.0
    canvas.zoom_out()
    canvas.zoom_out()
    assert canvas.zoom() < 2.0


def test_drag_pans(qtbot: QtBot) -> None:
    canvas = _canvas(qtbot)
    canvas.actual_size()
    left = canvas.image_rect().left()
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(200, 150))
    qtbot.mouseMove(canvas, QPoint(250, 150))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(250, 150))
    assert abs(canvas.image_rect().left() - (left + 50)) < 1


def test_split_toggle_key_and_drag(qtbot: QtBot) -> None:
    canvas = _canvas(qtbot)
    assert not canvas.split_enabled()
    with qtbot.waitSignal(canvas.splitChanged):
        qtbot.keyClick(canvas, Qt.Key.Key_Space)
    assert canvas.split_enabled()
    grab = canvas.grab().toImage()
    assert grab.pixelColor(100, 150).blue() > 200  # left of the line: before (blue)
    assert grab.pixelColor(300, 150).red() > 200  # right: after (red)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(200, 150))  # on the line
    qtbot.mouseMove(canvas, QPoint(300, 150))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(300, 150))
    assert abs(canvas.split_position() - 0.75) < 0.01
    assert canvas.grab().toImage().pixelColor(250, 150).blue() > 200
    assert canvas.is_fit()  # dragging the line does not pan


def test_new_scale_keeps_screen_size(qtbot: QtBot) -> None:
    canvas = _canvas(qtbot)
    canvas.set_zoom(1.0)
    width = canvas.image_rect().width()
    canvas.set_image(_image(1600, 1200, "green"))  # the next, bigger scale of a run
    assert abs(canvas.image_rect().width() - width) < 1


def test_small_preview_fitted_is_smooth_but_a_deliberate_zoom_is_crisp(qtbot: QtBot) -> None:
    canvas = _canvas(qtbot)
    canvas.set_image(_image(64, 48, "green"))  # an early coarse-scale preview
    assert canvas.is_fit() and canvas.zoom() > 2.0
    assert canvas.smooth_scaling()  # blown up to the window: no mosaic
    canvas.set_zoom(4.0)
    assert not canvas.smooth_scaling()  # pixel peeping: show the pixels
    canvas.set_zoom(1.5)
    assert canvas.smooth_scaling()
