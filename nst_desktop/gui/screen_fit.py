"""Window sizes that fit the screen: the first size, saved geometry clamped to the screen, and
forms and combo boxes that let a narrow dock shrink them.

A fixed 1280x820 hid the status bar and the bottom of the history on a 1280x800 laptop
(whose usable area is smaller still: menu bar, dock or task bar). The screen's available
geometry comes from :func:`available_geometry`, which tests replace with a fake screen.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QComboBox, QDockWidget, QFormLayout, QMainWindow, QWidget

PREFERRED = QSize(1280, 820)  # the layout the app is designed at; less when the screen is smaller
FALLBACK = QRect(0, 0, 1280, 770)  # no screen known (should not happen): a small laptop's area
FRAME_ALLOWANCE = QSize(2, 30)  # title bar and borders the window manager adds around the window
COMBO_MIN_CHARACTERS = 10  # a combo box shows this much of a long choice when its column is narrow


def available_geometry(at: QPoint | None = None) -> QRect:
    """The usable area (without task bars and docks) of the screen at ``at``, else the primary one."""
    screen = QGuiApplication.screenAt(at) if at is not None else None
    screen = screen or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(FALLBACK)


def initial_size(available: QRect, preferred: QSize = PREFERRED) -> QSize:
    """``preferred``, shrunk where needed so the window and its frame fit ``available``."""
    room = available.size() - FRAME_ALLOWANCE
    return QSize(max(1, min(preferred.width(), room.width())), max(1, min(preferred.height(), room.height())))


def clamp_geometry(geometry: QRect, available: QRect) -> QRect:
    """``geometry`` no larger than ``available`` less the frame, moved inside it if it sticks out."""
    room = available.size() - FRAME_ALLOWANCE
    width, height = min(geometry.width(), room.width()), min(geometry.height(), room.height())
    left = min(max(geometry.left(), available.left()), available.left() + room.width() - width)
    top = min(max(geometry.top(), available.top() + FRAME_ALLOWANCE.height()),
              available.top() + available.height() - height)
    return QRect(left, top, width, height)


def restore_layout(window: QMainWindow, geometry: QByteArray, state: QByteArray) -> None:
    """The saved geometry and dock layout (either may be empty), repaired to fit this screen.

    Saved on a bigger screen, or by a version whose panels were wider (View > Mask made the
    window 1430 px wide on a 1280 px laptop, issue 16.4): the window is clamped to the screen
    and its docks shrink with it, down to minimums chosen so that every combination of panels
    fits 1280 px. (Qt itself brings a floating panel back onto the screen.)
    """
    if not geometry.isEmpty():
        window.restoreGeometry(geometry)
    if not state.isEmpty():
        window.restoreState(state)
    available = available_geometry(window.geometry().center())
    if not window.isMaximized() and not window.isFullScreen():
        window.setGeometry(clamp_geometry(window.geometry(), available))


def add_dock(window: QMainWindow, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
    """A movable, closable dock of ``widget`` in ``window``, named ``dock_<title>``: the name a
    saved layout (restore_layout) knows it by."""
    dock = QDockWidget(title, window)
    dock.setObjectName(f"dock_{title.lower()}")
    dock.setWidget(widget)
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QDockWidget.DockWidgetFeature.DockWidgetClosable)
    window.addDockWidget(area, dock)
    return dock


def fits(size: QSize, available: QRect) -> bool:
    """Whether a window of ``size``, with its frame, fits ``available``."""
    room = available.size() - FRAME_ALLOWANCE
    return size.width() <= room.width() and size.height() <= room.height()


def wrapping_form(parent: QWidget | None = None) -> QFormLayout:
    """A form whose row, when too wide for a narrow dock, puts its control under its label
    instead of clipping the panel (issue 16.4)."""
    form = QFormLayout(parent)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    return form


def let_shrink(combo: QComboBox) -> None:
    """``combo`` no longer as wide as its longest choice at least: a long choice ("Wasserstein
    (means and covariances)", a style's file name) set the width of the whole settings column
    and clipped it in a narrow dock (issue 16.4). The open list still shows every choice whole."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(COMBO_MIN_CHARACTERS)
