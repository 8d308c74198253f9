"""Painting a mask: the layer model (strokes, fill, clear, invert, undo), the overlay on the
canvas (paint in photo pixels at any zoom, pan and zoom while painting, hide) and the panel."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from nst_desktop.engine.spec.region_masks import MaskSettings, Region
from nst_desktop.gui.canvas import Canvas
from nst_desktop.gui.mask_layer import MaskLayer, flood
from nst_desktop.gui.mask_panel import MaskPanel
from nst_desktop.gui.mask_tools import MaskOverlay


def _layer(hw: tuple[int, int] = (60, 80)) -> MaskLayer:
    layer = MaskLayer()
    layer.reset(hw)
    layer.brush_size = 10
    return layer


def test_stroke_paints_and_undo_redo(qtbot: QtBot) -> None:
    layer = _layer()
    with qtbot.waitSignal(layer.changed):
        layer.begin_stroke(10, 30)
    layer.stroke_to(70, 30)
    layer.end_stroke()
    labels = layer.labels()
    assert labels is not None
    assert (labels[30, 10:71] == 1).all() and labels[30 - 5:30 + 5, 40].sum() == 10  # a 10 px wide band
    assert labels[10, 40] == 0 and layer.can_undo()
    painted = labels.copy()
    layer.undo()
    assert not layer.labels().any() and layer.can_redo()
    layer.redo()
    np.testing.assert_array_equal(layer.labels(), painted)


def test_eraser_fill_clear_invert(qtbot: QtBot) -> None:
    layer = _layer()
    layer.set_settings(MaskSettings((Region(1, (0,)), Region(2, (1,)))))
    layer.begin_stroke(40, 0)
    layer.stroke_to(40, 59)  # a wall splitting the picture in two
    layer.end_stroke()
    layer.set_active_region(2)
    layer.fill(5, 5)
    labels = layer.labels()
    assert (labels[:, :30] == 2).all() and (labels[:, 50:] == 0).all()  # the fill stopped at the wall
    layer.begin_stroke(40, 30, erase=True)
    layer.end_stroke()
    assert labels[30, 40] == 0 and labels[0, 40] == 1
    layer.invert()
    assert (labels[:, 50:] == 2).all() and (labels[:, :30] == 0).all() and labels[0, 40] == 1
    layer.clear()
    assert not labels.any()
    for _ in range(3):  # clear, invert, erase
        layer.undo()
    assert (labels[:, :30] == 2).all() and (labels[:, 50:] == 0).all() and labels[30, 40] == 1


def test_soft_brush_dithers_its_edge() -> None:
    layer = _layer((80, 80))
    layer.brush_size = 40
    layer.begin_stroke(40, 40)
    layer.end_stroke()
    hard = layer.labels().copy()
    layer.clear()
    layer.hardness = 0.3
    layer.begin_stroke(40, 40)
    layer.end_stroke()
    soft = layer.labels()
    distance = np.hypot(*np.mgrid[0:80, 0:80] + 0.5 - 40)
    ring = (distance > 12) & (distance < 18)
    assert hard[ring].all()
    assert 0.2 < soft[ring].mean() < 0.8  # part of the ring: the engine's feather averages it
    assert (soft[36:44, 36:44] == 1).all()


def test_flood_follows_connected_runs() -> None:
    labels = np.zeros((5, 7), np.uint8)
    labels[2, :] = 1
    labels[2, 3] = 0  # a gap: the top and bottom connect through it
    labels[:, 5] = 1
    area = flood(labels, 0, 0)
    assert area[4, 0] and area[0, 4] and not area[0, 6] and not area[2, 0]


def test_region_mask_has_painted_regions_only() -> None:
    layer = _layer()
    assert layer.region_mask() is None  # nothing painted, keep the photo: no mask
    layer.set_settings(MaskSettings((Region(1, (0,)), Region(2, (1,)))))
    layer.begin_stroke(20, 20)
    layer.end_stroke()
    mask = layer.region_mask()
    assert mask is not None and [r.index for r in mask.settings.regions] == [1]
    layer.labels()[:] = 0
    layer.set_unpainted("style", 1)
    assert layer.region_mask() is not None


def test_painted_regions_follow_every_change_and_are_counted_once(monkeypatch) -> None:
    """The count of painted regions is cached (a pass over a 48 MP mask costs ~130 ms of GUI
    thread) and must still follow strokes, undo, redo, clear and a new size."""
    from nst_desktop.gui import mask_layer

    counted: list[int] = []
    real = mask_layer.painted_labels
    monkeypatch.setattr(mask_layer, "painted_labels", lambda labels: counted.append(1) or real(labels))
    layer = _layer()
    assert layer.painted_regions() == frozenset() and not counted  # blank: nothing counted
    layer.set_settings(MaskSettings((Region(1, (0,)), Region(2, (1,)))))
    layer.set_active_region(2)
    layer.begin_stroke(20, 20)
    layer.end_stroke()
    assert layer.painted_regions() == {2} and layer.painted_regions() == {2}
    assert len(counted) == 1  # asked twice, counted once
    layer.undo()
    assert layer.painted_regions() == frozenset()
    layer.redo()
    assert layer.painted_regions() == {2}
    layer.set_active_region(1)
    layer.fill(1, 1)  # the blank around the stroke
    assert layer.painted_regions() == {1, 2}
    layer.clear()
    assert layer.painted_regions() == frozenset()
    layer.reset((10, 10))
    assert layer.painted_regions() == frozenset()


def _canvas_with_overlay(qtbot: QtBot) -> tuple[Canvas, MaskLayer, MaskOverlay]:
    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.resize(400, 300)
    canvas.show()
    qtbot.waitExposed(canvas)
    image = QImage(400, 300, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    canvas.set_image(image)
    layer = _layer((300, 400))  # the photo's size; the preview shown may be smaller
    overlay = MaskOverlay(canvas, layer)
    return canvas, layer, overlay


def _send(widget, kind: QEvent.Type, pos: QPointF, button: Qt.MouseButton, held: Qt.MouseButton) -> None:
    QApplication.sendEvent(widget, QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, held,
                                               Qt.KeyboardModifier.NoModifier))


def _drag(widget, start: QPointF, end: QPointF, button: Qt.MouseButton = Qt.MouseButton.LeftButton) -> None:
    _send(widget, QEvent.Type.MouseButtonPress, start, button, button)
    _send(widget, QEvent.Type.MouseMove, end, Qt.MouseButton.NoButton, button)
    _send(widget, QEvent.Type.MouseButtonRelease, end, button, Qt.MouseButton.NoButton)


def test_overlay_paints_in_photo_pixels_at_any_zoom(qtbot: QtBot) -> None:
    canvas, layer, overlay = _canvas_with_overlay(qtbot)
    overlay.set_tool("brush")
    rect = canvas.image_rect()
    y = rect.top() + rect.height() / 2
    with qtbot.waitSignal(layer.changed):
        _drag(overlay, QPointF(rect.left() + rect.width() * 0.25, y),
              QPointF(rect.left() + rect.width() * 0.5, y))
    labels = layer.labels()
    assert labels[150, 100:200].all() and not labels[150, 210:].any() and not layer.labels()[50].any()
    canvas.set_zoom(2.0, anchor=QPointF(200, 150))
    rect = canvas.image_rect()
    point = QPointF(rect.left() + rect.width() * 300 / 400, rect.top() + rect.height() * 100 / 300)
    _drag(overlay, point, point)
    assert labels[100, 300] == 1  # the pixel under the cursor, zoomed in
    assert not overlay.testAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)


def test_pan_and_zoom_while_painting(qtbot: QtBot) -> None:
    canvas, layer, overlay = _canvas_with_overlay(qtbot)
    overlay.set_tool("brush")
    canvas.actual_size()
    left = canvas.image_rect().left()
    _drag(overlay, QPointF(200, 150), QPointF(260, 150), Qt.MouseButton.RightButton)
    assert abs(canvas.image_rect().left() - left - 60) < 1e-6  # panned...
    assert not layer.labels().any()  # ...without painting
    zoom = canvas.zoom()
    at = QPointF(200, 150)
    wheel = QWheelEvent(at, overlay.mapToGlobal(at), QPoint(0, 0), QPoint(0, 120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    with qtbot.waitSignal(canvas.zoomChanged):
        QApplication.sendEvent(overlay, wheel)
    assert canvas.zoom() > zoom


def test_overlay_tint_shows_and_hides(qtbot: QtBot) -> None:
    canvas, layer, overlay = _canvas_with_overlay(qtbot)
    layer.labels()[:, :200] = 1
    layer.set_region(Region(1, (0,), colour="#ff0000"))
    rect = canvas.image_rect()
    probe = QPoint(round(rect.left() + rect.width() * 0.25), round(rect.center().y()))
    qtbot.waitUntil(lambda: canvas.grab().toImage().pixelColor(probe).green() < 200)  # tinted red
    assert canvas.grab().toImage().pixelColor(probe).red() > 200
    overlay.set_shown(False)
    qtbot.waitUntil(lambda: canvas.grab().toImage().pixelColor(probe) == QColor("white"))
    overlay.set_tool("none")
    assert overlay.testAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)  # the canvas has the mouse


def test_panel_edits_regions_and_tools(qtbot: QtBot) -> None:
    canvas, layer, overlay = _canvas_with_overlay(qtbot)
    panel = MaskPanel(layer, overlay)
    qtbot.addWidget(panel)
    panel.set_style_names(["starry", "scream"])
    panel.tool_buttons["brush"].click()
    assert overlay.tool() == "brush"
    with qtbot.waitSignal(layer.settingsChanged):
        panel.add_button.click()
    assert [r.index for r in layer.settings().regions] == [1, 2] and layer.active_region() == 2
    radio, weights, strength = panel._rows[2]
    assert [w.value() for w in weights] == [0.0, 1.0]
    weights[0].setValue(3.0)
    strength.setValue(1.5)
    region = layer.settings().region(2)
    assert region is not None and region.blend() == ((0, 0.75), (1, 0.25)) and region.strength == 1.5
    panel.unpainted_combo.setCurrentIndex(2)
    assert (layer.settings().unpainted, layer.settings().unpainted_style) == ("style", 1)
    panel._rows[1][0].click()
    assert layer.active_region() == 1
    assert not panel.undo_button.isEnabled()
    layer.begin_stroke(20, 20)
    layer.end_stroke()
    assert panel.undo_button.isEnabled()
    panel.undo_button.click()
    assert not layer.labels().any()
    panel.set_style_names(["starry"])  # a style removed: region 2 keeps only what still exists
    assert layer.settings().region(2).styles == (0,) and len(panel._rows[2][1]) == 1
