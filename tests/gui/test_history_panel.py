"""History strip: thumbnails newest first; view, compare, restore, delete, show in folder."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtWidgets import QMessageBox

from nst_desktop.engine.spec.params import Params
from nst_desktop.gui import history_panel
from nst_desktop.gui.history_panel import HistoryPanel
from nst_desktop.io.library import Entry, Library


def _meta(**changes: Any) -> dict[str, Any]:
    params = dataclasses.replace(Params(size=64, steps=5), **changes)
    return {"params": params.to_dict(),
            "inputs": {"content": "/p/tubingen.jpg", "styles": ["/s/starry_night.jpg"],
                       "style_weights": [1.0]}}


class Confirm:
    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.questions: list[str] = []

    def __call__(self, parent: Any, text: str) -> bool:
        self.questions.append(text)
        return self.answer


@pytest.fixture()
def lib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Library:
    monkeypatch.setenv("NST_DESKTOP_HOME", str(tmp_path))
    library = Library()
    rng = np.random.default_rng(0)
    for seed in range(3):  # bigger than the library's thumbnails: the strip must not read the picture
        library.add(rng.random((300, 400, 3), dtype=np.float32), _meta(seed=seed))
    return library


def _panel(qtbot: Any, lib: Library, **kwargs: Any) -> HistoryPanel:
    panel = HistoryPanel(lib, **kwargs)
    qtbot.addWidget(panel)
    panel.resize(600, 200)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def _click(qtbot: Any, panel: HistoryPanel, row: int, modifier: Any = Qt.KeyboardModifier.NoModifier) -> None:
    rect = panel.list.visualItemRect(panel.list.item(row))
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def test_lists_entries_newest_first(qtbot: Any, lib: Library) -> None:
    panel = _panel(qtbot, lib)
    assert panel.list.count() == 3
    assert [e.id for e in panel.entries()] == [e.id for e in lib.entries()]
    assert panel.entries()[0].metadata["params"]["seed"] == 2
    qtbot.waitUntil(lambda: panel.icons_pending() == 0, timeout=5000)
    size = history_panel.ICON_SIZE
    assert panel.list.item(0).icon().availableSizes() == [QSize(size, size * 3 // 4)]  # 400x300, scaled
    assert "starry_night.jpg" in panel.list.item(0).toolTip()
    assert panel.empty_label.isHidden()


def test_empty_library_says_so(qtbot: Any, tmp_path: Path) -> None:
    panel = _panel(qtbot, Library(tmp_path / "empty"))
    assert panel.list.count() == 0 and not panel.empty_label.isHidden()
    assert not panel.delete_button.isEnabled() and not panel.view_button.isEnabled()


def test_click_views_the_entry(qtbot: Any, lib: Library) -> None:
    panel = _panel(qtbot, lib)
    with qtbot.waitSignal(panel.entryActivated) as blocker:
        _click(qtbot, panel, 1)
    assert isinstance(blocker.args[0], Entry) and blocker.args[0].id == lib.entries()[1].id
    with qtbot.assertNotEmitted(panel.entryActivated):
        _click(qtbot, panel, 2, Qt.KeyboardModifier.ControlModifier)  # builds a selection instead
    assert len(panel.selected_entries()) == 2
    with qtbot.waitSignal(panel.entryActivated):
        panel.select_ids(lib.entries()[0].id)
        panel.view_button.click()


def test_compare_two_selected(qtbot: Any, lib: Library) -> None:
    panel = _panel(qtbot, lib)
    first, _, third = lib.entries()
    panel.select_ids(first.id)
    assert not panel.compare_button.isEnabled()
    panel.select_ids(first.id, third.id)
    assert panel.compare_button.isEnabled() and not panel.restore_button.isEnabled()
    with qtbot.waitSignal(panel.compareRequested) as blocker:
        panel.compare_button.click()
    assert [e.id for e in blocker.args] == [first.id, third.id]


def test_restore_emits_the_entry(qtbot: Any, lib: Library) -> None:
    """The panel hands the whole entry over (its recipe is restored by gui/restore.py)."""
    panel = _panel(qtbot, lib)
    entry = lib.entries()[1]
    panel.select_ids(entry.id)
    with qtbot.waitSignal(panel.restoreRequested) as blocker:
        panel.restore_button.click()
    assert blocker.args[0].id == entry.id
    assert blocker.args[0].metadata["params"]["steps"] == 5


def test_delete_asks_first(qtbot: Any, lib: Library) -> None:
    refuse = Confirm(False)
    panel = _panel(qtbot, lib, confirm=refuse)
    target = lib.entries()[0]
    panel.select_ids(target.id)
    with qtbot.assertNotEmitted(panel.entryDeleted):
        panel.delete_button.click()
    assert refuse.questions == ["Delete this image from the history? This cannot be undone."]
    assert len(lib.entries()) == 3 and panel.list.count() == 3

    panel.confirm = Confirm(True)
    with qtbot.waitSignal(panel.entryDeleted) as blocker:
        panel.delete_button.click()
    assert blocker.args == [target.id]
    assert target.id not in [e.id for e in lib.entries()]
    assert target.id not in [e.id for e in panel.entries()] and panel.list.count() == 2


def test_delete_several(qtbot: Any, lib: Library) -> None:
    confirm = Confirm(True)
    panel = _panel(qtbot, lib, confirm=confirm)
    panel.select_ids(*[e.id for e in lib.entries()[:2]])
    panel.delete_button.click()
    assert "these 2 images" in confirm.questions[0]
    assert len(lib.entries()) == 1 and panel.list.count() == 1


def _message_boxes(panel: HistoryPanel) -> list[QMessageBox]:
    return [box for box in panel.findChildren(QMessageBox) if box.isVisible()]


def test_show_in_folder(qtbot: Any, lib: Library) -> None:
    opened: list[QUrl] = []
    panel = _panel(qtbot, lib, open_url=lambda url: opened.append(url) is None)  # a file manager opened it
    entry = lib.entries()[2]
    panel.select_ids(entry.id)
    panel.folder_button.click()
    assert [Path(u.toLocalFile()) for u in opened] == [entry.folder]
    assert not _message_boxes(panel)


def test_show_in_folder_without_a_file_manager_shows_the_path(qtbot: Any, lib: Library) -> None:
    panel = _panel(qtbot, lib, open_url=lambda url: False)  # what QDesktopServices says with no opener
    entry = lib.entries()[1]
    panel.select_ids(entry.id)
    panel.folder_button.click()
    qtbot.waitUntil(lambda: bool(_message_boxes(panel)), timeout=2000)
    box = _message_boxes(panel)[0]
    assert str(entry.folder) in box.text() and "No file manager" in box.text()
    assert box.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse  # the path can be copied


def test_add_entry_and_refresh(qtbot: Any, lib: Library) -> None:
    panel = _panel(qtbot, lib)
    new = lib.add(np.ones((300, 400, 3), np.float32), _meta(seed=9))
    panel.add_entry(new)
    panel.add_entry(new)  # twice is harmless
    assert panel.list.count() == 4 and panel.entries()[0].id == new.id
    lib.delete(lib.entries()[-1].id)  # deleted elsewhere (another window)
    panel.refresh()
    assert panel.list.count() == 3 and panel.entries()[0].id == new.id


def test_context_menu_mirrors_the_buttons(qtbot: Any, lib: Library) -> None:
    panel = _panel(qtbot, lib)
    panel.select_ids(lib.entries()[0].id)
    menu = panel.context_menu()
    state = {a.text(): a.isEnabled() for a in menu.actions() if not a.isSeparator()}
    assert state == {"View": True, "Compare two": False, "Restore recipe": True, "Show in folder": True,
                     "Delete": True}
    view = next(a for a in menu.actions() if a.text() == "View")
    with qtbot.waitSignal(panel.entryActivated):
        view.trigger()


def test_thumbnails_load_in_batches(qtbot: Any, lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history_panel, "ICON_BATCH", 1)
    panel = HistoryPanel(lib)
    qtbot.addWidget(panel)
    assert panel.icons_pending() == 3  # nothing decoded while building the window
    size = history_panel.ICON_SIZE
    assert panel.list.item(0).icon().availableSizes() == [QSize(size, size)]  # placeholder
    qtbot.waitUntil(lambda: panel.icons_pending() == 0, timeout=5000)
    assert all(panel.list.item(i).icon().availableSizes() == [QSize(size, size * 3 // 4)] for i in range(3))


def test_delete_key(qtbot: Any, lib: Library) -> None:
    panel = _panel(qtbot, lib, confirm=Confirm(True))
    panel.select_ids(lib.entries()[0].id)
    panel.list.setFocus()
    with qtbot.waitSignal(panel.entryDeleted):
        qtbot.keyClick(panel.list, Qt.Key.Key_Delete)
    assert panel.list.count() == 2


def test_strip_is_compact_and_every_command_reachable(qtbot: Any, lib: Library) -> None:
    panel = _panel(qtbot, lib)
    # thumbnails + scroll bar, the buttons beside them: no row of buttons or text under the strip
    assert panel.sizeHint().height() <= 110
    shown = {b.text(): b.isVisible() for b in (panel.view_button, panel.compare_button,
                                               panel.restore_button, panel.folder_button,
                                               panel.delete_button)}
    assert shown == {"View": True, "Compare": True, "Restore": True, "Folder": True, "Delete": True}
    assert all(panel.list.geometry().right() < b.geometry().left() for b in (panel.view_button,
                                                                             panel.delete_button))
    menu_texts = [a.text() for a in panel.context_menu().actions() if a.text()]
    assert menu_texts == ["View", "Compare two", "Restore recipe", "Show in folder", "Delete"]


def test_empty_text_is_drawn_over_the_list(qtbot: Any, tmp_path: Path) -> None:
    panel = _panel(qtbot, Library(tmp_path / "empty"))
    assert panel.empty_label.parent() is panel.list.viewport()
    assert panel.empty_label.geometry() == panel.list.viewport().rect()


def test_tooltip_names_every_changed_setting_in_human_words(qtbot: Any, tmp_path: Path) -> None:
    library = Library(tmp_path / "lib")
    meta = _meta(style_scale=1.5, tv_weight=3.0, colour="luminance", optimizer="adam")
    meta["inputs"].update(styles=["/s/starry_night.jpg", "/s/the_scream.jpg"], style_weights=[3.0, 1.0])
    meta["touches"] = {"keep_photo_colours": False, "fade": 0.2}
    meta["edits"] = [{"step": 10, "changes": {"style_weight": 2.0}}]
    library.add(np.zeros((24, 32, 3), np.float32), meta)
    panel = _panel(qtbot, library)
    tip = panel.list.item(0).toolTip()
    for text in ("Style scale: 1.5", "Smoothness: 3", "Colours: Keep photo colours", "Optimiser: Adam",
                 "Blend: 3 : 1", "After-touches: fade 20 %", "Live edits: 1", "Output size: 64 px"):
        assert text in tip, text
    assert "luminance" not in tip and "style_weights" not in tip and "adam" not in tip


def _highlight_rows(panel: HistoryPanel, row: int) -> list[int]:
    """Rows of the item's cell (viewport pixels) that hold the selection colour."""
    panel.list.viewport().repaint()
    shot = panel.list.viewport().grab().toImage()
    rect = panel.list.visualItemRect(panel.list.item(row))
    colour = panel.list.palette().highlight().color()
    ratio = shot.devicePixelRatio()

    def is_highlight(x: int, y: int) -> bool:
        pixel = shot.pixelColor(int(x * ratio), int(y * ratio))
        return abs(pixel.red() - colour.red()) + abs(pixel.green() - colour.green()) + \
            abs(pixel.blue() - colour.blue()) < 40

    return [y for y in range(rect.top(), rect.bottom() + 1)
            if sum(is_highlight(x, y) for x in range(rect.left(), rect.right() + 1)) > rect.width() // 2]


def test_no_selection_bar_under_the_selected_thumbnail(qtbot: Any, lib: Library) -> None:
    panel = _panel(qtbot, lib)
    panel.resize(600, 130)
    panel.show()
    qtbot.waitExposed(panel)
    qtbot.waitUntil(lambda: panel.icons_pending() == 0, timeout=5000)
    panel.select_ids(lib.entries()[0].id)
    panel.list.setFocus()
    rect = panel.list.visualItemRect(panel.list.item(0))
    thumb_bottom = rect.center().y() + history_panel.ICON_SIZE * 3 // 8  # a 4:3 thumbnail, centred
    rows = _highlight_rows(panel, 0)
    assert rows, "the selection must still show (a frame around the thumbnail)"
    assert max(rows) <= thumb_bottom + 3, f"a bar of selection colour below the thumbnail: rows {rows}"
    panel.list.clearSelection()
    assert _highlight_rows(panel, 0) == []  # and no leftover when nothing is selected
