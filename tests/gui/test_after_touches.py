"""After-touches in the main window: instant, engine-free, exported and kept in the history."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from nst_desktop.engine.spec.events import RunResult
from nst_desktop.engine.spec.touches import Touches, apply_touches
from nst_desktop.gui import history_panel
from nst_desktop.gui.main_window import MainWindow
from nst_desktop.gui.qimage import qimage_to_array
from nst_desktop.io import metadata as metadata_module
from nst_desktop.io.images import load_image, read_metadata
from nst_desktop.io.resize import fit_photo
from tests.gui.conftest import WindowFactory
from tests.gui.fakes import FakeStylize
from tests.gui.parts import PARAMS as PARTS_PARAMS
from tests.gui.parts import Parts

TOLERANCE = 1.5 / 255  # one 8-bit step on screen, plus rounding


def _paint(qtbot: QtBot, window: MainWindow, steps: int = 12) -> None:
    window.params_panel.update_fields(size=48, steps=steps, min_size=48, coarse_steps=0)
    with qtbot.waitSignal(window.runner.worker.done, timeout=30_000):
        assert window.runs.start()
    qtbot.waitUntil(lambda: not window.runner.running, timeout=2000)


def _shown(window: MainWindow) -> np.ndarray:
    return qimage_to_array(window.canvas.image())


def _photo_at(window: MainWindow, shape: tuple[int, ...]) -> np.ndarray:
    content = window.inputs.content()
    assert content is not None
    return fit_photo(content.image, (shape[0], shape[1]))


def _entries_written(qtbot: QtBot, window: MainWindow, count: int) -> None:
    qtbot.waitUntil(lambda: window.session.history.list.count() == count, timeout=10_000)


def test_a_touch_changes_the_shown_pixels_without_the_engine(qtbot: QtBot,
                                                            make_window: WindowFactory) -> None:
    fake = FakeStylize()
    window = make_window(stylize_fn=fake)
    assert not window.touches_panel.fade_slider.isEnabled()  # no picture yet: the photo is on show
    _paint(qtbot, window)
    painting = window.session.result_image
    assert painting is not None and window.touches_panel.fade_slider.isEnabled()
    calls = len(fake.calls)
    window.touches_panel.fade_slider.setValue(100)
    photo = _photo_at(window, painting.shape)
    assert np.abs(_shown(window) - photo).max() <= TOLERANCE  # all the way to the photo
    window.touches_panel.fade_slider.setValue(0)
    window.touches_panel.keep_colours.setChecked(True)
    expected = apply_touches(painting, photo, Touches(keep_photo_colours=True))
    assert np.abs(_shown(window) - expected).max() <= TOLERANCE
    assert np.abs(expected - painting).max() > 0.05  # the fake's grey painting took the photo's colours
    assert len(fake.calls) == calls  # no new painting
    assert window.session.result_image is painting  # the untouched result is kept


def test_export_writes_the_touched_picture_and_its_touches(qtbot: QtBot, make_window: WindowFactory,
                                                          tmp_path: Path) -> None:
    out = tmp_path / "touched.png"
    window = make_window(save_dialog=lambda *args: (str(out), args[-1]))
    _paint(qtbot, window)
    window.touches_panel.keep_colours.setChecked(True)
    window.touches_panel.fade_slider.setValue(30)
    assert window.commands.export_image() == out
    qtbot.waitUntil(out.exists, timeout=10_000)  # written in the background
    touches = Touches(keep_photo_colours=True, fade=0.3)
    painting = window.session.result_image
    assert painting is not None
    expected = apply_touches(painting, _photo_at(window, painting.shape), touches)
    assert np.abs(load_image(out) - expected).max() <= TOLERANCE
    metadata = read_metadata(out)
    assert metadata is not None and metadata["touches"] == touches.to_dict()
    assert metadata["params"]["steps"] == 12


def test_the_history_entry_gets_the_touches_in_one_write(qtbot: QtBot, make_window: WindowFactory,
                                                       monkeypatch: Any) -> None:
    window = make_window()
    _paint(qtbot, window)
    _entries_written(qtbot, window, 1)
    library = window.session.library
    writes: list[dict[str, Any]] = []
    original = library.update_metadata
    monkeypatch.setattr(library, "update_metadata",
                        lambda entry_id, metadata, **kw: writes.append(metadata)
                        or original(entry_id, metadata, **kw))
    for value in range(5, 55, 5):  # a slider drag
        window.touches_panel.fade_slider.setValue(value)
    qtbot.waitUntil(lambda: len(writes) == 1, timeout=5000)
    qtbot.wait(700)  # longer than the debounce: no second write follows
    assert len(writes) == 1 and writes[0]["touches"] == {"keep_photo_colours": False, "fade": 0.5}
    assert library.entries()[0].metadata["touches"]["fade"] == 0.5


def _fade_in_entry(window: MainWindow, entry_id: str) -> object:
    touches = window.session.library.get(entry_id).metadata.get("touches")
    return touches["fade"] if touches else None


def test_a_new_run_starts_without_the_touches_of_the_picture_on_show(qtbot: QtBot,
                                                                    make_window: WindowFactory) -> None:
    window = make_window()
    _paint(qtbot, window)
    _entries_written(qtbot, window, 1)
    window.touches_panel.fade_slider.setValue(50)  # the first picture, faded half-way
    _paint(qtbot, window, steps=20)
    _entries_written(qtbot, window, 2)
    newer, older = window.session.history.entries()
    assert "touches" not in newer.metadata  # not inherited, not recorded
    assert window.after_touches.touches() == Touches() and window.touches_panel.fade_slider.value() == 0
    painting = window.session.result_image
    assert painting is not None and np.abs(_shown(window) - painting).max() <= TOLERANCE  # shown untouched
    window.after_touches.flush()
    assert _fade_in_entry(window, older.id) == 0.5 and _fade_in_entry(window, newer.id) is None


def test_viewing_an_entry_shows_its_touches(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    _paint(qtbot, window)
    _entries_written(qtbot, window, 1)
    window.touches_panel.fade_slider.setValue(50)
    _paint(qtbot, window, steps=20)
    _entries_written(qtbot, window, 2)
    window.touches_panel.fade_slider.setValue(20)  # the second picture, its own touches
    newer, older = window.session.history.entries()
    window.session.history.entryActivated.emit(older)  # leaving it writes the second one's touches
    assert window.touches_panel.fade_slider.value() == 50
    painting = window.session.result_image
    assert painting is not None
    expected = apply_touches(painting, _photo_at(window, painting.shape), Touches(fade=0.5))
    assert np.abs(_shown(window) - expected).max() <= TOLERANCE
    window.session.history.entryActivated.emit(window.session.library.get(newer.id))
    assert window.touches_panel.fade_slider.value() == 20
    assert _fade_in_entry(window, older.id) == 0.5 and _fade_in_entry(window, newer.id) == 0.2


def test_a_change_goes_to_the_entry_of_its_own_picture(qtbot: QtBot, make_window: WindowFactory,
                                                       monkeypatch: Any) -> None:
    """Two runs with equal records (same settings, same second): the first one's entry is
    written after the second picture is on show; a touch must still go to the second's."""
    monkeypatch.setattr(metadata_module, "datetime", _FixedClock)
    window = make_window(stylize_fn=FakeStylize(elapsed_s=1.0))
    library = window.session.library
    original, delayed = library.add, [True]

    def slow_first_add(*args: Any, **kwargs: Any) -> Any:
        if delayed.pop() if delayed else False:
            time.sleep(0.5)  # the first entry lands after the second run ended
        return original(*args, **kwargs)

    monkeypatch.setattr(library, "add", slow_first_add)
    _paint(qtbot, window)
    _paint(qtbot, window)
    assert window.session.history.list.count() == 0  # neither written yet
    _entries_written(qtbot, window, 2)
    newer, older = library.entries()
    assert newer.metadata == older.metadata  # the records are equal
    window.touches_panel.fade_slider.setValue(40)
    window.after_touches.flush()
    assert _fade_in_entry(window, newer.id) == 0.4 and _fade_in_entry(window, older.id) is None


def test_the_history_thumbnail_shows_the_touches(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    _paint(qtbot, window)
    _entries_written(qtbot, window, 1)
    history = window.session.history
    qtbot.waitUntil(lambda: history.icons_pending() == 0, timeout=5000)
    entry = history.entries()[0]
    grey = load_image(entry.thumb_path)
    window.touches_panel.fade_slider.setValue(100)  # all the way to the photo
    window.after_touches.flush()
    thumb = load_image(entry.thumb_path)
    assert thumb.shape == grey.shape
    assert np.abs(thumb - fit_photo(_photo_at(window, (24, 32)), thumb.shape[:2])).max() <= 3 / 255
    assert np.abs(thumb - grey).max() > 0.2
    qtbot.waitUntil(lambda: history.icons_pending() == 0, timeout=5000)
    icon = history.list.item(0).icon().pixmap(history_panel.ICON_SIZE).toImage()
    centre = icon.pixelColor(icon.width() // 2, icon.height() // 2)
    assert centre != _grey_at_centre(grey)  # the strip read the new thumbnail


def _grey_at_centre(image: np.ndarray) -> QColor:
    value = round(float(image[image.shape[0] // 2, image.shape[1] // 2, 0]) * 255)
    return QColor(value, value, value)


class _FixedClock(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> Any:
        return datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def test_a_picture_taken_without_a_run_is_touched_too(qtbot: QtBot, make_window: WindowFactory) -> None:
    """E.g. an adopted variation: the session keeps it without a run; its pictureKept reaches us."""
    window = make_window()
    _paint(qtbot, window)
    other = np.full((12, 16, 3), 0.2, np.float32)
    result = RunResult(other, window.params_panel.params(), False, 1, 0.1, {}, "cpu")
    window.session.adopt(result, [s.weight for s in window.inputs.styles()])
    assert window.session.result_image is other
    window.touches_panel.fade_slider.setValue(100)
    assert np.abs(_shown(window) - _photo_at(window, other.shape)).max() <= TOLERANCE
    image, _metadata = window.after_touches.picture(other, None)
    assert image.shape == other.shape and np.abs(image - other).max() > 0.1


def test_a_touch_of_the_picture_on_show_needs_no_window(parts: Parts) -> None:
    """No window: a chosen variation on show, touched; the touch is the document's undo step."""
    other = np.full((12, 16, 3), 0.2, np.float32)
    parts.session.adopt(RunResult(other, PARTS_PARAMS, False, 1, 0.1, {}, "cpu"), [1.0])
    content = parts.inputs.content()
    assert content is not None and parts.touches.panel.fade_slider.isEnabled()
    parts.touches.panel.fade_slider.setValue(100)
    shown = qimage_to_array(parts.canvas.image())
    assert np.abs(shown - fit_photo(content.image, other.shape[:2])).max() <= TOLERANCE
    assert parts.document.recipe.touches.fade == 1.0 and parts.document.undo_count() == 1
    parts.document.undo()
    assert parts.touches.touches() == Touches()
    assert np.abs(qimage_to_array(parts.canvas.image()) - other).max() <= TOLERANCE  # untouched again
