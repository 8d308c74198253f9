"""Issue 16.4: the window fits. Every combination of panels (Picture, History, Mask; each open or
closed) fits 1280x800 and 1440x900, the settings panel is never clipped, and a saved layout that
no longer fits is repaired at start."""

from __future__ import annotations

import itertools

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QDockWidget, QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from nst_desktop.gui import screen_fit
from nst_desktop.gui.main_window import MainWindow
from tests.gui.conftest import WindowFactory

SCREENS = {"1280x800": QRect(0, 0, 1280, 800), "1440x900": QRect(0, 0, 1440, 900)}
COMBINATIONS = list(itertools.product((True, False), repeat=3))  # Picture, History, Mask


def _docks(window: MainWindow) -> tuple[QDockWidget, QDockWidget, QDockWidget]:
    return window.side_dock, window.history_dock, window.mask_dock.dock


def _show(window: MainWindow, opened: tuple[bool, ...]) -> None:
    for dock, is_open in zip(_docks(window), opened, strict=True):
        dock.setVisible(is_open)
    for _ in range(5):
        QApplication.processEvents()


def _right_edge_in_window(widget: QWidget, window: MainWindow) -> int:
    return widget.mapTo(window, QPoint(widget.width(), 0)).x()


def _assert_not_clipped(scroll: QScrollArea, what: str) -> None:
    """The panel in ``scroll`` fits its width, or says it does not with a scroll bar."""
    content = scroll.widget()
    assert content is not None
    fits = content.minimumSizeHint().width() <= scroll.viewport().width()
    assert fits or scroll.horizontalScrollBar().isVisible(), (what, content.minimumSizeHint(),
                                                              scroll.viewport().width())


def _assert_fits(window: MainWindow, available: QRect, opened: tuple[bool, ...]) -> None:
    label = f"Picture/History/Mask open: {opened}"
    assert screen_fit.fits(window.minimumSizeHint(), available), (label, window.minimumSizeHint())
    assert screen_fit.fits(window.size(), available), (label, window.size())  # it did not grow
    for dock in _docks(window):
        if dock.isVisible():  # every open panel inside the window: nothing off-screen
            assert _right_edge_in_window(dock, window) <= window.width(), (label, dock.objectName())
    if window.side_dock.isVisible():
        side = window.side_dock.widget()
        assert isinstance(side, QScrollArea)
        assert side.widget().width() <= side.viewport().width(), label  # the settings fit their dock
        _assert_not_clipped(side, label)
    if window.mask_dock.dock.isVisible():
        mask = window.mask_dock.dock.widget()
        assert isinstance(mask, QScrollArea)
        _assert_not_clipped(mask, label)
        for button in (window.mask_dock.panel.add_button, window.mask_dock.panel.invert_button):
            assert _right_edge_in_window(button, window) <= window.width(), label


@pytest.mark.parametrize("screen", SCREENS)
def test_every_combination_of_panels_fits_the_screen(qtbot: QtBot, make_window: WindowFactory,
                                                     monkeypatch: pytest.MonkeyPatch, screen: str) -> None:
    available = SCREENS[screen]
    monkeypatch.setattr(screen_fit, "available_geometry", lambda at=None: QRect(available))
    window = make_window()
    window.mask_dock.panel.add_button.click()  # a region row too: the mask panel's widest part
    for opened in COMBINATIONS:
        _show(window, opened)
        _assert_fits(window, available, opened)
    _show(window, (True, True, True))  # open and closed again: the window stays inside the screen
    _show(window, (True, True, False))
    _assert_fits(window, available, (True, True, False))
    window.resizeDocks([window.side_dock], [1], Qt.Orientation.Horizontal)  # dragged to its narrowest
    QApplication.processEvents()
    assert window.side_dock.width() <= 345
    _assert_fits(window, available, (True, True, False))  # the settings still fit, no scroll bar needed
    history = window.session.history
    for button in history.findChildren(QWidget):  # the History buttons are all on screen
        if button.isVisible():
            assert _right_edge_in_window(button, window) <= window.width()


def _save_a_layout_from_a_big_monitor(make_window: WindowFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    big = QRect(0, 0, 2560, 1440)
    monkeypatch.setattr(screen_fit, "available_geometry", lambda at=None: QRect(big))
    first = make_window()
    first.setGeometry(QRect(60, 60, 2400, 1300))
    _show(first, (True, True, True))
    # Wide panels, as a big monitor (or the old 1430 px window with the mask open) left them.
    first.resizeDocks([first.side_dock, first.mask_dock.dock], [900, 800], Qt.Orientation.Horizontal)
    QApplication.processEvents()
    first.close()  # saves window/geometry and window/state


@pytest.mark.parametrize("screen", SCREENS)
def test_a_saved_layout_that_no_longer_fits_is_repaired_at_start(qtbot: QtBot, make_window: WindowFactory,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 screen: str) -> None:
    _save_a_layout_from_a_big_monitor(make_window, monkeypatch)
    available = SCREENS[screen]
    monkeypatch.setattr(screen_fit, "available_geometry", lambda at=None: QRect(available))
    second = make_window()  # the same settings file
    QApplication.processEvents()
    assert second.mask_dock.dock.isVisible()  # the layout was restored, not thrown away
    _assert_fits(second, available, (True, True, True))
    _show(second, (True, True, False))  # the mask closed again: the settings still not clipped
    _assert_fits(second, available, (True, True, False))
