"""Window sizes that fit the screen: the first size, and saved geometry clamped to the screen.

A fixed 1280x820 hid the status bar and the bottom of the history on a 1280x800 laptop
(whose usable area is smaller still: menu bar, dock or task bar). The screen's available
geometry comes from :func:`available_geometry`, which tests replace with a fake screen.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtGui import QGuiApplication

PREFERRED = QSize(1280, 820)  # the layout the app is designed at; less when the screen is smaller
FALLBACK = QRect(0, 0, 1280, 770)  # no screen known (should not happen): a small laptop's area
FRAME_ALLOWANCE = QSize(2, 30)  # title bar and borders the window manager adds around the window


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
