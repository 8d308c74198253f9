"""The mouse wheel scrolls the panel under the pointer; it changes a value only in the control
that has focus (issue 16.5).

Qt's combo boxes, spin boxes and sliders take the wheel even without focus (combo and spin
boxes even take focus from it), so scrolling down the settings panel switched Colours to
histogram matching and nudged Style scale as they passed under the pointer, and the preset
silently became Custom. A guarded control takes focus only by click or Tab, and a wheel it
gets without focus goes to the scroll area around it instead.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QScrollBar,
    QWidget,
)

VALUE_CONTROLS = (QComboBox, QAbstractSpinBox, QAbstractSlider)  # the kinds a wheel changes


class _WheelGuard(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() != QEvent.Type.Wheel or not isinstance(watched, QWidget)
                or not isinstance(event, QWheelEvent) or watched.hasFocus()):
            return False
        area = _scroll_area_around(watched)
        if area is None:
            event.ignore()  # the window's own wheel handling, if any, gets it
            return True
        viewport = area.viewport()
        position = viewport.mapFromGlobal(event.globalPosition())
        # A copy, sent on: a synthesized wheel event does not travel to the parents by itself.
        scroll = QWheelEvent(position, event.globalPosition(), event.pixelDelta(), event.angleDelta(),
                             event.buttons(), event.modifiers(), event.phase(), event.inverted())
        QCoreApplication.sendEvent(viewport, scroll)
        event.accept()
        return True


@cache
def _the_guard() -> _WheelGuard:
    return _WheelGuard()  # one filter for every guarded control, kept alive by the cache


def guard_wheel(*widgets: QWidget) -> None:
    """``widgets`` change their value on the wheel only with focus; without, the wheel scrolls."""
    for widget in widgets:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # not WheelFocus: the wheel must not focus it
        widget.installEventFilter(_the_guard())


def guard_wheel_under(root: QWidget) -> None:
    """:func:`guard_wheel` for every combo box, spin box and slider under ``root`` (not scroll bars)."""
    guard_wheel(*(child for child in root.findChildren(QWidget)
                  if isinstance(child, VALUE_CONTROLS) and not isinstance(child, QScrollBar)))


def _scroll_area_around(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    return parent
