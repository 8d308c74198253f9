"""Inputs panel: Open dialog (injected), drop, ready styles, weights, reorder, remove, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from nst_desktop.gui.inputs_panel import InputsPanel, ready_styles
from nst_desktop.gui.style_row import style_row_index, style_row_mime


def _png(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (40, 30)) -> Path:
    Image.new("RGB", size, colour).save(path)
    return path


def _panel(qtbot: QtBot, chosen: list[list[str]] | None = None) -> InputsPanel:
    answers = list(chosen or [])
    panel = InputsPanel(file_dialog=lambda *args: answers.pop(0) if answers else [])
    qtbot.addWidget(panel)
    return panel


def _settle(qtbot: QtBot, panel: InputsPanel) -> None:
    """Files are read in the background: wait until the panel has them."""
    qtbot.waitUntil(lambda: not panel.loading(), timeout=5000)


def test_open_dialog_sets_content_and_styles(qtbot: QtBot, tmp_path: Path) -> None:
    photo = _png(tmp_path / "photo.png", (255, 0, 0))
    styles = [_png(tmp_path / f"s{i}.png", (0, 0, 255)) for i in range(2)]
    panel = _panel(qtbot, [[str(photo)], [str(s) for s in styles]])
    with qtbot.waitSignal(panel.changed):
        panel.open_content()
    content = panel.content()
    assert content is not None and content.path == photo and content.image.shape == (30, 40, 3)
    assert np.allclose(content.image[0, 0], [1, 0, 0])
    with qtbot.waitSignal(panel.changed):
        panel.open_styles()
    _settle(qtbot, panel)
    assert [s.loaded.name for s in panel.styles()] == ["s0.png", "s1.png"]
    assert panel.ready()
    assert not panel.content_well.thumb.pixmap().isNull()


def test_weights_reorder_and_remove(qtbot: QtBot, tmp_path: Path) -> None:
    panel = _panel(qtbot)
    panel.add_style_files([_png(tmp_path / f"s{i}.png", (i * 60, 0, 0)) for i in range(3)])
    panel.rows[1].weight.setValue(0.25)
    assert panel.styles()[1].weight == 0.25
    panel.rows[2].up.click()
    assert [s.loaded.name for s in panel.styles()] == ["s0.png", "s2.png", "s1.png"]
    assert [s.weight for s in panel.style_inputs()] == [1.0, 1.0, 0.25]
    assert not panel.rows[0].up.isEnabled() and not panel.rows[-1].down.isEnabled()
    panel.rows[0].remove.click()
    assert [s.loaded.name for s in panel.styles()] == ["s2.png", "s1.png"]


def test_zero_weights_are_not_ready(qtbot: QtBot, tmp_path: Path) -> None:
    panel = _panel(qtbot)
    panel.load_content_file(_png(tmp_path / "p.png", (0, 0, 0)))
    panel.add_style_files([_png(tmp_path / "s.png", (0, 0, 0))])
    panel.rows[0].weight.setValue(0.0)
    assert not panel.ready()


def test_drop_files_on_content_and_styles(qtbot: QtBot, tmp_path: Path) -> None:
    panel = _panel(qtbot)
    photo, style = _png(tmp_path / "p.png", (0, 255, 0)), _png(tmp_path / "s.png", (0, 0, 0))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    with qtbot.waitSignal(panel.photoOpened):
        panel.content_well.dropped.emit(mime)
    assert panel.content() is not None and panel.content().path == photo
    mime2 = QMimeData()
    mime2.setUrls([QUrl.fromLocalFile(str(style)), QUrl.fromLocalFile(str(photo))])
    panel.style_area.dropped.emit(mime2)
    _settle(qtbot, panel)
    assert len(panel.styles()) == 2


def test_bad_files_are_reported_by_name(qtbot: QtBot, tmp_path: Path) -> None:
    panel = _panel(qtbot)
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    good = _png(tmp_path / "good.png", (1, 2, 3))
    errors: list[str] = []
    panel.errorOccurred.connect(errors.append)
    assert panel.add_style_files([bad, tmp_path / "missing.png", good]) == 1
    assert len(errors) == 2
    assert "broken.jpg" in errors[0] and "missing.png" in errors[1]


def test_ready_styles_are_bundled_and_named_nicely(qtbot: QtBot) -> None:
    assert ready_styles(), "resources/styles should ship at least one style"
    panel = _panel(qtbot)
    panel.ready_menu.actions()[0].trigger()
    _settle(qtbot, panel)
    assert len(panel.styles()) == 1
    assert "_" not in panel.styles()[0].loaded.name and "." not in panel.styles()[0].loaded.name


def test_state_and_restore_round_trip(qtbot: QtBot, tmp_path: Path) -> None:
    panel = _panel(qtbot)
    panel.load_content_file(_png(tmp_path / "p.png", (0, 0, 0)))
    panel.add_style_files([_png(tmp_path / "s.png", (0, 0, 0))])
    panel.rows[0].weight.setValue(0.5)
    content, styles = panel.state()
    other = _panel(qtbot)
    other.restore(content, styles)
    _settle(qtbot, other)
    assert other.content() is not None and other.styles()[0].weight == 0.5


def test_move_style_to_a_drop_position(qtbot: QtBot, tmp_path: Path) -> None:
    panel = _panel(qtbot)
    panel.add_style_files([_png(tmp_path / f"s{i}.png", (i * 60, 0, 0)) for i in range(3)])

    def names() -> list[str]:
        return [s.loaded.name for s in panel.styles()]

    panel.move_style_to(0, 3)  # dropped below the last row
    assert names() == ["s1.png", "s2.png", "s0.png"]
    panel.move_style_to(2, 0)  # dropped above the first row
    assert names() == ["s0.png", "s1.png", "s2.png"]
    panel.move_style_to(0, 1)  # dropped just below itself: no change
    assert names() == ["s0.png", "s1.png", "s2.png"]
    assert [r.index for r in panel.rows] == [0, 1, 2]  # rows know their place for the next drag


def test_dragging_a_row_onto_the_list_reorders(qtbot: QtBot, tmp_path: Path) -> None:
    panel = _panel(qtbot)
    panel.add_style_files([_png(tmp_path / f"s{i}.png", (i * 60, 0, 0)) for i in range(3)])
    panel.rows[1].weight.setValue(0.5)
    panel.resize(320, 400)
    panel.show()
    qtbot.waitExposed(panel)
    area = panel.style_area
    below_last = QPointF(10, panel.rows[2].geometry().bottom() - 2)  # lower half of the last row
    assert area.drop_position(below_last.y()) == 3
    mime = style_row_mime(0)  # kept referenced: the event does not own it
    drop = QDropEvent(below_last, Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(panel.changed, timeout=2000):
        area.dropEvent(drop)  # (sendEvent would need a real drag in progress)
    assert drop.isAccepted() and drop.dropAction() == Qt.DropAction.MoveAction
    assert [s.loaded.name for s in panel.styles()] == ["s1.png", "s2.png", "s0.png"]
    assert [s.weight for s in panel.styles()] == [0.5, 1.0, 1.0]  # the weight moved with its style


# PySide marks the event constructors deprecated; they are still the way to fake a drag.
@pytest.mark.filterwarnings("ignore:Function.*QDragEnterEvent:DeprecationWarning")
def test_row_drags_carry_their_index_and_foreign_ones_are_refused(qtbot: QtBot, tmp_path: Path) -> None:
    assert style_row_index(style_row_mime(4)) == 4
    files = QMimeData()
    files.setUrls([QUrl.fromLocalFile(str(tmp_path / "a.png"))])
    assert style_row_index(files) is None
    panel = _panel(qtbot)
    row_mime = style_row_mime(0)
    enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.MoveAction, row_mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(panel.style_area, enter)
    assert not enter.isAccepted()  # a row of another window (no source row): its index means nothing
    enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, files, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(panel.style_area, enter)
    assert enter.isAccepted()  # files are still welcome


def test_open_dialogs_start_in_the_artists_last_folder_never_in_the_apps_own_samples(
        qtbot: QtBot, tmp_path: Path) -> None:
    """Seen under Xvfb: after the first launch's sample, Open photo started in the app's styles
    folder (inside a Mac bundle, inside the app)."""
    from nst_desktop.resources import resource_path

    asked: list[str] = []
    panel = InputsPanel(file_dialog=lambda _parent, _caption, folder, _filter: asked.append(folder) or [])
    qtbot.addWidget(panel)
    sample = sorted(resource_path("styles").glob("*.jpg"))[0]
    panel._remember_folder(sample)  # what loading the sample style does
    panel.open_content()
    assert asked[-1] != "" and Path(asked[-1]).resolve() != sample.parent.resolve()
    photo = tmp_path / "trip" / "photo.jpg"
    photo.parent.mkdir()
    panel._remember_folder(photo)  # the artist's own file
    panel.open_styles()
    assert Path(asked[-1]) == photo.parent.resolve()
