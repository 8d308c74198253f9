"""Issue 8, points 3, 6 and 8 at the window level: the photo is read off the GUI thread, the
window fits small screens, and the canvas shows what is really there."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QElapsedTimer, QRect, QSize, QTimer
from pytestqt.qtbot import QtBot

from nst_desktop.gui import screen_fit
from nst_desktop.gui.main_window import MainWindow
from nst_desktop.io import images
from tests.gui.conftest import WindowFactory
from tests.gui.fakes import FakeStylize


def _small(window: MainWindow, steps: int = 5) -> None:
    window.params_panel.update_fields(size=32, steps=steps, min_size=32, coarse_steps=0)


def _run(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.runner.worker.done, timeout=30_000):
        assert window.runs.start()
    qtbot.waitUntil(lambda: window.canvas.image().size() == QSize(32, 24), timeout=5000)  # the result


def _photo(path: Path, size: tuple[int, int] = (40, 30), colour: tuple[int, int, int] = (200, 30, 9)) -> Path:
    Image.new("RGB", size, colour).save(path)
    return path


# --- 8. the canvas tells the truth -------------------------------------------------------------
def test_a_new_photo_replaces_the_painting_on_the_canvas(qtbot: QtBot, make_window: WindowFactory,
                                                         tmp_path: Path) -> None:
    window = make_window()
    _small(window)
    _run(qtbot, window)  # the painting is on show
    with qtbot.waitSignal(window.inputs.photoOpened, timeout=5000):
        window.inputs.open_content_file(_photo(tmp_path / "new.png", (50, 20)))
    shown = window.canvas.image()
    assert shown.size() == QSize(50, 20)  # the new photo, not the old painting
    assert shown.pixelColor(0, 0).red() == 200
    _run(qtbot, window)  # a run replaces it again


def test_the_canvas_keeps_its_height_when_a_run_starts_and_ends(qtbot: QtBot,
                                                                make_window: WindowFactory) -> None:
    window = make_window(stylize_fn=FakeStylize(step_s=0.02))
    window.resize(1200, 760)
    _small(window, steps=60)
    # The styles load in the background: the side dock takes its final width once they are in.
    qtbot.waitUntil(window.inputs.ready, timeout=10_000)
    # With a long estimate on show (hidden during a run): its text must not size the layout.
    qtbot.waitUntil(lambda: bool(window.run_panel.estimate_label.text()), timeout=20_000)
    qtbot.wait(200)
    before = window.canvas.geometry()
    with qtbot.waitSignal(window.runner.worker.done, timeout=30_000):
        window.runs.start()
        qtbot.waitUntil(lambda: window.run_panel.progress.value() > 0, timeout=5000)
        qtbot.wait(50)
        during = window.canvas.geometry()
    qtbot.wait(50)
    assert before == during == window.canvas.geometry()


def test_a_blend_tick_does_not_convert_the_photo_again(qtbot: QtBot, make_window: WindowFactory,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    window = make_window()
    qtbot.waitUntil(lambda: not window.inputs.loading(), timeout=5000)
    before = window.canvas.before()
    conversions: list[int] = []
    import nst_desktop.gui.loaded_image as loaded_image
    import nst_desktop.gui.run_controller as run_controller

    monkeypatch.setattr(loaded_image, "array_to_qimage", lambda *a: conversions.append(1))
    monkeypatch.setattr(run_controller, "array_to_qimage", lambda *a: conversions.append(1))
    with qtbot.assertNotEmitted(window.canvas.splitChanged):
        for value in (0.5, 0.6, 0.7):
            window.inputs.rows[0].weight.setValue(value)
    assert conversions == []
    assert window.canvas.before().cacheKey() == before.cacheKey()  # the one converted at load


# --- 3. never stalls ----------------------------------------------------------------------------
def test_the_photo_is_read_in_a_worker_and_a_newer_one_wins(qtbot: QtBot, make_window: WindowFactory,
                                                           tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    window = make_window()
    qtbot.waitUntil(lambda: not window.inputs.loading(), timeout=5000)
    threads: list[str] = []
    real_load = images.load_image

    def slow_load(path: Path, **kwargs: Any) -> np.ndarray:
        threads.append(threading.current_thread().name)
        time.sleep(0.4 if "first" in Path(path).name else 0.0)
        return real_load(path, **kwargs)

    monkeypatch.setattr(images, "load_image", slow_load)
    first, second = _photo(tmp_path / "first.png"), _photo(tmp_path / "second.png", (60, 40))
    started = time.perf_counter()
    window.inputs.open_content_file(first)
    window.inputs.open_content_file(second)  # asked for later: it must win, even finishing first
    assert time.perf_counter() - started < 0.2  # the GUI thread did not wait for the decoding
    assert "Opening second.png" in window.inputs.busy_label.text()
    qtbot.waitUntil(lambda: not window.inputs.loading(), timeout=5000)
    qtbot.wait(600)  # the slow first one has ended by now: it must not land
    content = window.inputs.content()
    assert content is not None and content.path == second
    assert threads and threading.main_thread().name not in threads
    assert window.inputs.busy_label.isHidden()


def test_a_bad_photo_is_reported_by_name_from_the_background(qtbot: QtBot, make_window: WindowFactory,
                                                             tmp_path: Path) -> None:
    window = make_window()
    qtbot.waitUntil(lambda: not window.inputs.loading(), timeout=5000)
    before = window.inputs.content()
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8 not a jpeg")
    with qtbot.waitSignal(window.inputs.errorOccurred, timeout=5000) as blocker:
        window.inputs.open_content_file(bad)
    assert "broken.jpg" in blocker.args[0]
    assert window.inputs.content() is before


def test_opening_a_big_photo_never_blocks_the_gui_thread(qtbot: QtBot, make_window: WindowFactory,
                                                         tmp_path: Path) -> None:
    """A 12 MP JPEG blocked the GUI thread 1.4 s; read in a worker, the event loop keeps ticking."""
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (375, 500, 3), dtype=np.uint8)
    big = tmp_path / "camera.jpg"
    Image.fromarray(noise).resize((4000, 3000)).save(big, quality=90)
    window = make_window()
    qtbot.waitUntil(lambda: not window.inputs.loading(), timeout=5000)
    clock, late, last = QElapsedTimer(), [0.0], [0]
    clock.start()

    def tick() -> None:
        now = clock.elapsed()
        late[0] = max(late[0], now - last[0] - 5)
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(5)
    last[0] = clock.elapsed()
    with qtbot.waitSignal(window.inputs.photoOpened, timeout=30_000):
        window.inputs.open_content_file(big)
    qtbot.wait(50)
    timer.stop()
    assert window.inputs.content().image.shape[:2] == (3000, 4000)  # type: ignore[union-attr]
    assert late[0] < 250, f"the GUI thread stalled {late[0]} ms"  # was > 1000 ms when read in it


# --- 6. fits the screen -------------------------------------------------------------------------
@pytest.mark.parametrize("screen", [QRect(0, 0, 1280, 770), QRect(0, 25, 1440, 875), QRect(0, 0, 1280, 800)])
def test_the_window_opens_inside_the_screen(qtbot: QtBot, make_window: WindowFactory, screen: QRect,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screen_fit, "available_geometry", lambda at=None: QRect(screen))
    window = make_window()
    size = window.size()
    assert size.width() <= screen.width() and size.height() + 30 <= screen.height()
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 770 - 30, hint  # the docks still fit a laptop


def test_saved_geometry_is_clamped_to_the_screen(qtbot: QtBot, make_window: WindowFactory,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    first = make_window()
    first.setGeometry(QRect(300, 200, 1900, 1150))  # saved on a big monitor
    first.close()
    laptop = QRect(0, 0, 1280, 770)
    monkeypatch.setattr(screen_fit, "available_geometry", lambda at=None: QRect(laptop))
    second = make_window()
    geometry = second.geometry()
    assert laptop.contains(geometry), geometry
    assert geometry.height() <= laptop.height() - 30  # room for the title bar


def test_clamp_geometry_moves_and_shrinks() -> None:
    screen = QRect(0, 0, 1280, 770)
    assert screen_fit.clamp_geometry(QRect(100, 100, 800, 600), screen) == QRect(100, 100, 800, 600)
    assert screen_fit.clamp_geometry(QRect(900, 500, 800, 600), screen) == QRect(478, 170, 800, 600)
    assert screen_fit.clamp_geometry(QRect(-50, -40, 2000, 1200), screen) == QRect(0, 30, 1278, 740)
    assert screen_fit.initial_size(QRect(0, 0, 1440, 875)) == QSize(1280, 820)
    assert screen_fit.initial_size(QRect(0, 0, 1280, 770)) == QSize(1278, 740)


def test_a_stopped_picture_says_its_real_size(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window(stylize_fn=FakeStylize(step_s=0.02))
    window.params_panel.update_fields(size=512, steps=200)
    with qtbot.waitSignal(window.runner.worker.done, timeout=30_000):
        window.runs.start()
        qtbot.waitUntil(lambda: window.run_panel.progress.value() > 0, timeout=5000)
        window.runs.stop()
    qtbot.waitUntil(lambda: not window.runner.running, timeout=5000)
    # The fake paints 32 px: the canvas, the run panel and the record say so.
    assert window.canvas.caption() == "Stopped at 32 px of 512"
    assert "Stopped at 32 px of 512" in window.run_panel.status_label.text()
    assert window.session.metadata["stopped_at"] == {"px": 32, "of": 512}
    qtbot.waitUntil(lambda: bool(window.session.history.entries()), timeout=10_000)
    from nst_desktop.gui.describe import record_lines

    assert record_lines(window.session.history.entries()[0].metadata)[0] == "Stopped at 32 px of 512"
    window.runs.start()  # a new run clears it
    assert window.canvas.caption() == ""
    window.runs.stop()
    qtbot.waitUntil(lambda: not window.runner.running, timeout=10_000)
