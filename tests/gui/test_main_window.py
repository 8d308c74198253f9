"""The main window end to end, with a fake engine (fast) and once with the real one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QGuiApplication, QImage
from pytestqt.qtbot import QtBot

from nst_desktop.engine.spec.params import DEFAULTS
from nst_desktop.gui.estimate_line import LEARNED_SPEED_KEY
from nst_desktop.gui.learned_speed import from_settings
from nst_desktop.gui.main_window import MainWindow
from nst_desktop.gui.run_request import Outcome, RunRequest
from tests.gui.conftest import WindowFactory
from tests.gui.fakes import FakeStylize
from tests.gui.test_estimator import FakeEstimate


def _small(window: MainWindow, steps: int = 12) -> None:
    window.params_panel.update_fields(size=48, steps=steps, min_size=48, coarse_steps=0)


def _run(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.runner.worker.done, timeout=30_000):
        assert window.runs.start()
    qtbot.waitUntil(lambda: not window.runner.running, timeout=2000)


def test_first_launch_has_a_photo_and_a_style_ready(make_window: WindowFactory) -> None:
    window = make_window()
    assert window.inputs.content() is not None
    assert len(window.inputs.styles()) == 1
    assert window.inputs.ready()
    assert window.run_panel.start_button.isEnabled()
    assert not window.canvas.image().isNull()  # the photo is shown until there is a picture


def test_run_shows_result_and_adds_history_entry(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    _small(window)
    previews: list[object] = []
    window.runner.worker.previewReady.connect(previews.append)
    _run(qtbot, window)
    assert previews
    assert window.session.result_image is not None
    assert window.canvas.image().width() == 32  # the fake's 32x24 result is on screen
    assert "Finished" in window.run_panel.status_label.text()
    qtbot.waitUntil(lambda: len(window.session.history.entries()) == 1, timeout=10_000)
    entries = window.session.library.entries()
    assert len(entries) == 1 and entries[0].image_path.exists()
    assert window.session.history.entries()[0].id == entries[0].id
    assert entries[0].metadata["params"]["steps"] == 12
    assert window.menu_actions.export.isEnabled() and window.menu_actions.export_timelapse.isEnabled()


def test_export_uses_the_input_names(qtbot: QtBot, make_window: WindowFactory, tmp_path: Path) -> None:
    asked: list[str] = []

    def save_dialog(parent: object, caption: str, start: str, filters: str, selected: str) -> tuple[str, str]:
        asked.append(start)
        return str(tmp_path / "out.png"), selected

    window = make_window(save_dialog=save_dialog)
    _small(window)
    _run(qtbot, window)
    path = window.commands.export_image()
    assert path == tmp_path / "out.png"
    qtbot.waitUntil(path.exists, timeout=10_000)  # written in the background
    assert "tubingen" in Path(asked[0]).name and "starry" in Path(asked[0]).name


def test_stop_keeps_best_image_and_history(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window(stylize_fn=FakeStylize(step_s=0.01))
    _small(window, steps=5000)
    with qtbot.waitSignal(window.runner.worker.stopped, timeout=10_000):
        window.runs.start()
        qtbot.waitUntil(lambda: window.run_panel.progress.value() > 0, timeout=5000)
        window.menu_actions.stop.trigger()
    qtbot.waitUntil(lambda: not window.runner.running, timeout=2000)
    assert "Stopped" in window.run_panel.status_label.text()
    assert window.session.result_image is not None
    qtbot.waitUntil(lambda: len(window.session.library.entries()) == 1, timeout=10_000)
    assert window.run_panel.start_button.isEnabled()


def test_pause_from_the_run_panel(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window(stylize_fn=FakeStylize(step_s=0.01))
    _small(window, steps=5000)
    window.runs.start()
    qtbot.waitUntil(lambda: window.run_panel.progress.value() > 0, timeout=5000)
    window.run_panel.pause_button.click()
    assert window.runner.worker.control.paused and window.menu_actions.pause.isChecked()
    assert window.run_panel.pause_button.text() == "Resume"
    window.run_panel.pause_button.click()
    assert not window.runner.worker.control.paused
    with qtbot.waitSignal(window.runner.worker.stopped, timeout=10_000):
        window.runs.stop()


def test_diverged_run_shows_message_and_keeps_last_good_image(qtbot: QtBot,
                                                              make_window: WindowFactory) -> None:
    window = make_window(stylize_fn=FakeStylize(fail_at=3))
    _small(window)
    _run(qtbot, window)
    assert "NaN" in window.last_error and "learning rate" in window.last_error
    assert window.session.result_image is not None  # the last good picture
    assert window.canvas.image().width() == 32
    assert window.run_panel.start_button.isEnabled()  # the app keeps working
    window.runner.worker._stylize_fn = FakeStylize()
    _run(qtbot, window)
    assert "Finished" in window.run_panel.status_label.text()


def test_bad_file_names_the_file_and_app_keeps_working(make_window: WindowFactory, tmp_path: Path) -> None:
    bad = tmp_path / "not_an_image.png"
    bad.write_text("hello")
    window = make_window()
    before = window.inputs.content()
    assert not window.inputs.load_content_file(bad)
    assert "not_an_image.png" in window.last_error
    assert window.inputs.content() is before


def test_settings_persist_across_windows(qtbot: QtBot, make_window: WindowFactory, tmp_path: Path) -> None:
    first = make_window()
    first.params_panel.update_fields(size=320, style_weight=3.0, colour="luminance")
    first.inputs.add_style_files([Path(first.inputs.ready_menu.actions()[0].data())])
    first.close()
    second = make_window()
    params = second.params_panel.params()
    assert (params.size, params.style_weight, params.colour) == (320, 3.0, "luminance")
    assert len(second.inputs.styles()) == 2  # the inputs came back, not the first-launch sample
    assert second.params_panel.controls["size"].spin.value() == 320


def test_paste_image_data_as_photo(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(0xFF3366CC)
    mime = QMimeData()
    mime.setImageData(image)
    QGuiApplication.clipboard().setMimeData(mime)
    with qtbot.waitSignal(window.inputs.photoOpened):  # read in the background
        window.menu_actions.paste.trigger()
    content = window.inputs.content()
    assert content is not None and content.image.shape == (30, 40, 3) and content.path is None
    assert np.allclose(content.image[0, 0], [0x33 / 255, 0x66 / 255, 0xCC / 255], atol=1 / 255)


def test_paste_file_url_as_style_and_recent_files(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    style = Path(window.inputs.ready_menu.actions()[-1].data())
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(style))])
    QGuiApplication.clipboard().setMimeData(mime)
    window.menu_actions.paste_style.trigger()
    qtbot.waitUntil(lambda: len(window.inputs.styles()) == 2, timeout=5000)  # read in the background
    window.inputs.load_content_file(style)
    assert window.settings.recent_files()[0] == str(style)
    assert window.menu_actions.recent_menu.actions()[0].text() == style.name


def test_history_restore_and_compare(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    _small(window)
    _run(qtbot, window)
    window.params_panel.update_fields(steps=7)
    _run(qtbot, window)
    qtbot.waitUntil(lambda: len(window.session.library.entries()) == 2, timeout=10_000)
    # The entry is written off the GUI thread and reaches the strip through a queued signal.
    qtbot.waitUntil(lambda: window.session.history.list.count() == 2, timeout=10_000)
    newer, older = window.session.library.entries()[:2]
    assert newer.metadata["params"]["steps"] == 7
    window.session.history.restoreRequested.emit(older)  # steps=12 (the whole recipe: test_restore.py)
    assert window.params_panel.params().steps == 12
    assert window.params_panel.controls["steps"].spin.value() == 12
    history = window.session.history
    history.select_ids(older.id, newer.id)
    history.compare_button.click()
    dialog = window.session.compare_dialog
    assert dialog is not None and dialog.isVisible()
    assert {dialog.entry_a.id, dialog.entry_b.id} == {older.id, newer.id}
    assert ("Steps", "7", "12") in dialog.rows or ("Steps", "12", "7") in dialog.rows
    dialog.close()
    qtbot.waitUntil(lambda: window.session.compare_dialog is None, timeout=2000)


def test_viewing_a_history_entry_shows_the_full_picture(qtbot: QtBot, make_window: WindowFactory) -> None:
    """Bigger than the history's thumbnails: the entry's own pixels come back, not a thumbnail."""
    window = make_window(stylize_fn=FakeStylize(size=(300, 400)))
    _small(window)
    _run(qtbot, window)
    painted = window.session.result_image.copy()
    window.params_panel.update_fields(steps=7)
    _run(qtbot, window)
    history = window.session.history
    qtbot.waitUntil(lambda: history.list.count() == 2, timeout=10_000)
    history.select_ids(history.entries()[1].id)
    history.view_button.click()
    shown = window.session.result_image
    assert shown is not None and shown.shape == (300, 400, 3)
    assert np.abs(shown - painted).max() <= 1 / 255 + 1e-6
    assert window.canvas.image().width() == 400


def test_old_history_entry_exports_its_timelapse(qtbot: QtBot, make_window: WindowFactory,
                                                 tmp_path: Path) -> None:
    from nst_desktop.io.timelapse import read_frames

    asked: list[str] = []

    def save_dialog(parent: object, caption: str, start: str, filters: str, selected: str) -> tuple[str, str]:
        asked.append(start)
        return str(tmp_path / "old.gif"), selected

    first = make_window()
    _small(first)
    _run(qtbot, first)
    qtbot.waitUntil(lambda: len(first.session.history.entries()) == 1, timeout=10_000)
    first.close()
    second = make_window(save_dialog=save_dialog)  # a new session: the run's frames are gone
    entry = second.session.history.entries()[0]
    assert entry.timelapse_path is not None
    second.session.history.select_ids(entry.id)
    second.session.history.view_button.click()
    assert second.menu_actions.export_timelapse.isEnabled()
    path = second.commands.export_timelapse()
    assert path == tmp_path / "old.gif"
    qtbot.waitUntil(path.exists, timeout=10_000)  # written in the background
    assert len(read_frames(path)) > 1
    assert "tubingen" in Path(asked[0]).name  # named after the entry's own inputs


@pytest.mark.slow
def test_real_run_in_the_window(qtbot: QtBot, make_window: WindowFactory) -> None:
    pytest.importorskip("nst_desktop.engine.run.stylize")
    window = make_window(stylize_fn=None)
    window.params_panel.update_fields(size=48, steps=3, min_size=48, coarse_steps=0, device="cpu")
    previews: list[object] = []
    window.runner.worker.previewReady.connect(previews.append)
    with qtbot.waitSignal(window.runner.worker.finished, timeout=60_000):
        window.runs.start()
    assert previews
    qtbot.waitUntil(lambda: len(window.session.library.entries()) == 1, timeout=5000)
    image = window.session.result_image
    assert image is not None and max(image.shape[:2]) == 48


def _slow_estimate() -> object:
    return type("E", (), {"seconds": 3600.0, "peak_bytes": 1e9})()


def test_a_second_start_never_changes_the_settings(make_window: WindowFactory) -> None:
    first = make_window()
    assert first.settings.read("inputs/initialised")
    first.close()
    second = make_window()  # the same settings file: not a first launch any more
    second.estimator.estimated.disconnect()
    before = second.params_panel.params()
    assert not second.estimates.first_launch
    second.estimates._on_estimated(_slow_estimate(), "CPU")
    assert second.params_panel.params() == before and not second.run_panel.notice_label.isVisible()


def test_fresh_settings_with_a_history_are_not_a_new_user(make_window: WindowFactory, tmp_path: Path) -> None:
    from nst_desktop.gui.settings import Settings
    from nst_desktop.io.library import Library

    library = Library(tmp_path / "kept")
    library.add(np.zeros((8, 8, 3), np.float32), {"params": DEFAULTS.to_dict()})
    window = make_window(settings=Settings(tmp_path / "reset.ini"), library=library)
    window.estimator.estimated.disconnect()
    assert window.settings.read("inputs/initialised")  # the samples were loaded
    assert not window.estimates.first_launch
    before = window.params_panel.params()
    window.estimates._on_estimated(_slow_estimate(), "CPU")
    assert window.params_panel.params() == before


def test_history_write_failure_is_reported_and_picture_kept(qtbot: QtBot,
                                                           make_window: WindowFactory) -> None:
    from nst_desktop.io.library import Listing

    class FullDisk:
        def scan(self) -> Listing:
            return Listing([], [])

        def add(self, *args: object) -> object:
            raise OSError(28, "No space left on device", "/library")

    window = make_window(library=FullDisk())
    _small(window)
    _run(qtbot, window)
    qtbot.waitUntil(lambda: "history" in window.last_error, timeout=10_000)
    assert "No space left" in window.last_error
    assert window.session.result_image is not None and window.menu_actions.export.isEnabled()


def test_weights_menu_sets_the_weights_field(make_window: WindowFactory,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import nst_desktop.gui.weights_dialog as weights_dialog

    monkeypatch.setattr(weights_dialog.WeightsDialog, "exec", lambda self: 1)
    monkeypatch.setattr(weights_dialog.WeightsDialog, "selected_spec", lambda self: "torchvision")
    window = make_window()
    window.menu_actions.weights.trigger()
    assert window.params_panel.params().weights == "torchvision"
    assert window.params_panel.controls["weights"].edit.text() == "torchvision"


def test_history_strip_leaves_the_height_to_the_canvas(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    window.resize(1280, 820)
    qtbot.waitUntil(lambda: window.history_dock.height() > 0)
    dock = window.history_dock
    assert dock.height() <= 130, dock.height()  # a strip of thumbnails, title bar included
    assert window.canvas.height() > 3 * dock.height()
    areas = Qt.DockWidgetArea
    assert dock.allowedAreas() == (areas.TopDockWidgetArea | areas.BottomDockWidgetArea)


def _learnable_answer(window: MainWindow, request: RunRequest, seconds: float = 600.0) -> None:
    """The estimate on show is the model's ``seconds`` for the run of ``request``."""
    key = (request.params, request.content_hw, len(request.styles))
    window.estimator._last_key, window.estimator._request_id = key, 99
    window.estimator._on_answered(99, FakeEstimate(seconds, 10**8), "CPU")


def _finished(request: RunRequest, elapsed_s: float) -> Outcome:
    result = type("R", (), {"params": request.params, "elapsed_s": elapsed_s, "image": None})()
    return Outcome(type("D", (), {"result": result})(), (), request)  # type: ignore[arg-type]


def test_measured_speed_is_kept_for_the_next_launch(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    qtbot.waitUntil(lambda: not window.estimator.busy(), timeout=30_000)  # the real estimate is in
    request = window.session.make_request()
    assert request is not None
    _learnable_answer(window, request)
    window.estimates.learn_speed(_finished(request, 60.0))
    stored = from_settings(window.settings.read(LEARNED_SPEED_KEY))
    assert [entry.factors for entry in stored.values()] == [{"full": 0.1}]
    assert "about 1 min" in window.run_panel.estimate_label.text()
    assert "first guess" not in window.run_panel.estimate_label.text()
    assert stored == window.estimator.learned


def test_the_speed_is_learnt_from_the_photo_that_was_painted(qtbot: QtBot, make_window: WindowFactory,
                                                            tmp_path: Path) -> None:
    """Issue 16.10: photo B, of a very different size, opened before the run of photo A ended."""
    from PIL import Image

    window = make_window()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(tmp_path / "a.png")
    Image.new("RGB", (30, 300), (200, 10, 30)).save(tmp_path / "b.png")
    with qtbot.waitSignal(window.inputs.photoOpened, timeout=5000):
        window.inputs.open_content_file(tmp_path / "a.png")
    qtbot.waitUntil(lambda: not window.estimator.busy(), timeout=30_000)  # A's real estimate is in
    request = window.session.make_request()  # the run of photo A
    assert request is not None and request.content_hw == (48, 64)
    _learnable_answer(window, request)
    with qtbot.waitSignal(window.inputs.photoOpened, timeout=5000):
        window.inputs.open_content_file(tmp_path / "b.png")
    assert window.inputs.content().full_hw == (300, 30)  # type: ignore[union-attr]
    window.estimates.learn_speed(_finished(request, 60.0))  # A's run ends with B on screen
    stored = from_settings(window.settings.read(LEARNED_SPEED_KEY))
    assert [entry.factors for entry in stored.values()] == [{"full": 0.1}]  # learnt, at A's size


def test_a_big_photo_is_held_reduced_and_the_run_gets_its_pixels(qtbot: QtBot, make_window: WindowFactory,
                                                                tmp_path: Path) -> None:
    """Issue 16.11: the window holds a reduced copy of a big photo; the mask layer and the photo
    well use its real size, and a print-size run gets the full-resolution pixels."""
    from PIL import Image

    seen: list[tuple[int, ...]] = []
    fake = FakeStylize()

    def recording(content: np.ndarray, *args: object, **kwargs: object) -> object:
        seen.append(content.shape)
        return fake(content, *args, **kwargs)  # type: ignore[arg-type]

    window = make_window(stylize_fn=recording)
    Image.new("RGB", (6000, 1000), (90, 120, 200)).save(tmp_path / "pano.jpg")
    with qtbot.waitSignal(window.inputs.photoOpened, timeout=10_000):
        window.inputs.open_content_file(tmp_path / "pano.jpg")
    content = window.inputs.content()
    assert content is not None and content.image.shape[:2] == (500, 3000)  # held at half size
    assert content.full_hw == (1000, 6000) and "6000×1000" in window.inputs.content_well.name.text()
    labels = window.mask_dock.layer.labels()
    assert labels is not None and labels.shape == (1000, 6000)  # a mask of the photo's own size
    window.params_panel.update_fields(size=3000, steps=3, min_size=3000, coarse_steps=0)
    _run(qtbot, window)
    assert seen == [(1000, 6000, 3)]  # 2 x 3000 px asked for: the whole file, decoded for the run
    window.params_panel.update_fields(size=256, steps=3, min_size=256)
    _run(qtbot, window)
    assert seen[-1] == (500, 3000, 3)  # a small run paints from the copy in memory
