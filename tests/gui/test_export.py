"""Export: file names, every format readable back with its params, clipboard, time-lapse."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from PySide6.QtGui import QGuiApplication

from nst_desktop.gui import export
from nst_desktop.gui.export import (
    IMAGE_FILTERS,
    TIMELAPSE_FILTERS,
    copy_image_to_clipboard,
    default_file_stem,
    export_image,
    export_timelapse,
)
from nst_desktop.io.images import load_image, read_metadata
from nst_desktop.io.print_size import PrintTarget, plan_print
from nst_desktop.io.timelapse import frame_count, write_timelapse
from tests.gui.fakes import FakeExportOptions

META = {"version": "test", "params": {"size": 32, "steps": 2, "style_weight": 3.5}}


class FakeDialog:
    """Stands in for QFileDialog.getSaveFileName: answers a fixed path and filter, records calls."""

    def __init__(self, answer: str, chosen_filter: str) -> None:
        self.answer, self.chosen_filter = answer, chosen_filter
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, parent: Any, caption: str, start: str, filters: str, selected: str) -> tuple[str, str]:
        self.calls.append((caption, start, filters, selected))
        return self.answer, self.chosen_filter


class Errors(list[str]):
    def __call__(self, parent: Any, text: str) -> None:
        self.append(text)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NST_DESKTOP_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(export, "_last_folder", None)
    # The options dialog is modal: tests answer for the artist (A4 at 300 dpi, pixels kept).
    monkeypatch.setattr(export, "ask_export_options", FakeExportOptions())


def _written(qtbot: Any) -> None:
    """Exports write in the background: wait until they are done (and reported)."""
    qtbot.waitUntil(lambda: export.exports_pending() == 0, timeout=10_000)
    qtbot.wait(10)  # the outcome signals are queued behind the end of the job


def _image() -> np.ndarray:
    y, x = np.mgrid[0:24, 0:32].astype(np.float32)
    return np.stack([x / 31, y / 23, np.full_like(x, 0.25)], axis=2)


def test_default_file_stem() -> None:
    assert default_file_stem("/p/tubingen.jpg", ["/s/starry_night.jpg"]) == "tubingen-starry_night"
    assert default_file_stem("/p/Tübingen am Neckar.JPG", ["a/b/the scream!.png", "c/x.png"]) == \
        "Tubingen_am_Neckar-the_scream-x"
    assert default_file_stem(None, []) == "stylized"
    assert default_file_stem("/p/日本.png", []) == "stylized"
    assert "/" not in default_file_stem("../../etc/passwd", ["..\\..\\win.ini"])


@pytest.mark.parametrize(("filter_index", "suffix"), [(0, ".png"), (1, ".jpg"), (2, ".webp"), (3, ".tif")])
def test_export_each_format_reads_back_with_params(
    qtbot: Any, tmp_path: Path, filter_index: int, suffix: str
) -> None:
    image = _image()
    dialog = FakeDialog(str(tmp_path / "result"), IMAGE_FILTERS[filter_index][0])
    errors = Errors()
    path = export_image(None, image, META, "tubingen-starry_night", dialog, error_box=errors)
    _written(qtbot)
    assert errors == []
    assert path == tmp_path / f"result{suffix}"
    assert dialog.calls[0][1].endswith("tubingen-starry_night.png")  # proposed name
    loaded = load_image(path)
    assert loaded.shape == image.shape
    assert np.abs(loaded - image).mean() < 0.03  # JPEG/WebP are lossy but close
    assert read_metadata(path) == META
    with Image.open(path) as im:
        assert im.format == {".png": "PNG", ".jpg": "JPEG", ".webp": "WEBP", ".tif": "TIFF"}[suffix]
        if suffix == ".tif":
            assert tuple(im.tag_v2[258]) == (16, 16, 16)  # BitsPerSample: 16 per channel for print


def test_typed_extension_wins_over_filter(qtbot: Any, tmp_path: Path) -> None:
    dialog = FakeDialog(str(tmp_path / "mine.JPG"), IMAGE_FILTERS[0][0])
    path = export_image(None, _image(), META, "x", dialog, error_box=Errors())
    _written(qtbot)
    assert path == tmp_path / "mine.JPG"
    with Image.open(path) as im:
        assert im.format == "JPEG"


def test_cancel_returns_none(tmp_path: Path) -> None:
    errors = Errors()
    assert export_image(None, _image(), META, "x", FakeDialog("", ""), error_box=errors) is None
    assert errors == []
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_error_is_a_clear_message(qtbot: Any, tmp_path: Path) -> None:
    errors = Errors()
    target = tmp_path / "no" / "such" / "folder" / "x.png"
    export_image(None, _image(), META, "x", FakeDialog(str(target), ""), error_box=errors)
    qtbot.waitUntil(lambda: len(errors) == 1, timeout=10_000)  # told once the write failed
    assert errors[0].startswith("Could not export the image.") and "x.png" in errors[0]
    assert "Traceback" not in errors[0]


def test_last_folder_is_remembered(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    export_image(None, _image(), META, "a", FakeDialog(str(folder / "a.png"), ""), error_box=Errors())
    second = FakeDialog("", "")
    export_image(None, _image(), META, "b", second, error_box=Errors())
    assert Path(second.calls[0][1]) == folder / "b.png"


def test_clipboard_holds_the_image(qtbot: Any) -> None:
    image = _image()
    copy_image_to_clipboard(image)
    got = QGuiApplication.clipboard().image()
    assert (got.width(), got.height()) == (32, 24)
    pixel = got.pixelColor(31, 0)
    assert (pixel.red(), pixel.green(), pixel.blue()) == (255, 0, 64)


def test_export_timelapse_from_frames_and_from_a_stored_file(qtbot: Any, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (12 + 4 * i, 16 + 4 * i, 3), dtype=np.uint8) for i in range(4)]
    errors = Errors()
    webp = export_timelapse(None, frames, "run", FakeDialog(str(tmp_path / "a"), TIMELAPSE_FILTERS[0][0]),
                            error_box=errors)
    _written(qtbot)
    assert webp == tmp_path / "a.webp" and frame_count(webp) == 4
    stored = write_timelapse(frames, tmp_path / "stored.webp")
    gif = export_timelapse(None, stored, "run", FakeDialog(str(tmp_path / "b.gif"), ""), error_box=errors)
    _written(qtbot)
    assert gif == tmp_path / "b.gif" and frame_count(gif) == 4
    assert errors == []


def test_export_timelapse_without_frames_explains(qtbot: Any, tmp_path: Path) -> None:
    errors = Errors()
    dialog = FakeDialog(str(tmp_path / "a.gif"), "")
    export_timelapse(None, [], "run", dialog, error_box=errors)
    assert dialog.calls[0][1].endswith("run-timelapse.webp")
    qtbot.waitUntil(lambda: len(errors) == 1, timeout=10_000)
    assert "no frames" in errors[0]
    assert not (tmp_path / "a.gif").exists()


def test_the_timelapse_dialog_opens_in_the_last_export_folder(qtbot: Any, tmp_path: Path) -> None:
    folder = tmp_path / "prints"
    folder.mkdir()
    export_image(None, _image(), META, "a", FakeDialog(str(folder / "a.png"), ""), error_box=Errors())
    _written(qtbot)
    dialog = FakeDialog("", "")
    export_timelapse(None, [np.zeros((4, 4, 3), np.uint8)], "run", dialog, error_box=Errors())
    assert Path(dialog.calls[0][1]) == folder / "run-timelapse.webp"
    other = tmp_path / "films"
    other.mkdir()
    export_timelapse(None, [np.zeros((4, 4, 3), np.uint8)] * 2, "run", FakeDialog(str(other / "t.gif"), ""),
                     error_box=Errors())
    _written(qtbot)
    image_dialog = FakeDialog("", "")
    export_image(None, _image(), META, "b", image_dialog, error_box=Errors())
    assert Path(image_dialog.calls[0][1]) == other / "b.png"  # one shared folder, both ways
    assert export.used_folder() == other  # what the window keeps for the next launch


def test_exports_are_written_off_the_gui_thread(qtbot: Any, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A 16-bit TIFF or a long time-lapse takes seconds: the GUI thread only asks where."""
    import threading

    threads: list[threading.Thread] = []
    real_save = export.images.save_image

    def slow_save(*args: Any, **kwargs: Any) -> None:
        threads.append(threading.current_thread())
        time.sleep(0.3)
        real_save(*args, **kwargs)

    monkeypatch.setattr(export.images, "save_image", slow_save)
    done: list[Path] = []
    started = time.perf_counter()
    path = export_image(None, _image(), META, "x", FakeDialog(str(tmp_path / "x.tif"), ""),
                        error_box=Errors(), on_done=done.append)
    assert time.perf_counter() - started < 0.2  # returned before the slow write ended
    assert done == []
    qtbot.waitUntil(lambda: done == [path], timeout=10_000)
    assert threads and threads[0] is not threading.main_thread()
    assert path is not None and path.is_file()


# --- an export over an input asks first (issue 16.12) -------------------------------------------


class Answers:
    """Stands in for the window's confirm: records each question, answers ``yes``. (Not a list:
    an empty one is false, and ``confirm or default`` would then open a real dialog.)"""

    def __init__(self, yes: bool) -> None:
        self.questions: list[str] = []
        self.yes = yes

    def __call__(self, parent: Any, title: str, text: str) -> bool:
        self.questions.append(f"{title} {text}")
        return self.yes


@pytest.mark.parametrize("through", ["itself", "a symlink"])
def test_an_export_over_an_input_asks_and_keeps_it_when_told_no(qtbot: Any, tmp_path: Path,
                                                                 through: str) -> None:
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (8, 6), (10, 200, 30)).save(photo)
    before = photo.read_bytes()
    target = photo
    if through == "a symlink":
        target = tmp_path / "link.jpg"
        target.symlink_to(photo)
    answers = Answers(yes=False)
    inputs = [("the photo open in the window", photo), ("a style", tmp_path / "style.png")]
    path = export_image(None, _image(), META, "x", FakeDialog(str(target), IMAGE_FILTERS[1][0]),
                        error_box=Errors(), inputs=inputs, confirm=answers)
    _written(qtbot)
    assert path is None and photo.read_bytes() == before
    assert len(answers.questions) == 1
    assert f"{target.name} is the photo open in the window" in answers.questions[0]
    assert "cannot be brought back" in answers.questions[0]
    assert not (tmp_path / "link.jpg.json").exists() and not (tmp_path / "photo.jpg.json").exists()


def test_an_export_over_an_input_is_written_when_the_user_says_replace(qtbot: Any, tmp_path: Path) -> None:
    style = tmp_path / "style.png"
    Image.new("RGB", (8, 6), (10, 200, 30)).save(style)
    answers = Answers(yes=True)
    path = export_image(None, _image(), META, "x", FakeDialog(str(style), IMAGE_FILTERS[0][0]),
                        error_box=Errors(), inputs=[("a style this picture was painted with", style)],
                        confirm=answers)
    _written(qtbot)
    assert path == style and "a style this picture was painted with" in answers.questions[0]
    assert read_metadata(style) == META  # the painting, with its record, replaced it


def test_an_export_beside_the_inputs_asks_nothing(qtbot: Any, tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    Image.new("RGB", (8, 6)).save(photo)
    answers = Answers(yes=False)
    path = export_image(None, _image(), META, "x", FakeDialog(str(tmp_path / "painting.png"), ""),
                        error_box=Errors(), inputs=[("the photo", photo)], confirm=answers)
    _written(qtbot)
    assert path == tmp_path / "painting.png" and path.exists() and answers.questions == []


def test_the_window_asks_before_exporting_over_the_open_photo(qtbot: Any, make_window: Any,
                                                               tmp_path: Path) -> None:
    """Export is wired with the photo on screen: after a run, a second photo is opened and the
    export is aimed at it; the window's confirm is asked and "no" keeps the photo."""
    second = tmp_path / "second.png"
    Image.new("RGB", (40, 30), (200, 100, 50)).save(second)
    before = second.read_bytes()
    answers = Answers(yes=False)
    window = make_window(save_dialog=FakeDialog(str(second), IMAGE_FILTERS[0][0]), confirm=answers)
    window.params_panel.update_fields(size=48, steps=3, min_size=48, coarse_steps=0)
    with qtbot.waitSignal(window.runner.worker.done, timeout=30_000):
        assert window.runs.start()
    qtbot.waitUntil(lambda: not window.runner.running, timeout=2000)
    assert window.inputs.load_content_file(second)
    assert window.commands.export_image() is None
    _written(qtbot)
    assert second.read_bytes() == before
    assert answers.questions and "second.png is the photo open in the window" in answers.questions[0]


# --- print size, resolution and quality (issue 20.5) ----------------------------------------------


def _big_image() -> np.ndarray:
    y, x = np.mgrid[0:300, 0:400].astype(np.float32)
    return np.stack([x / 399, y / 299, 0.5 + 0.5 * np.sin(x * y / 500)], axis=2)


@pytest.mark.parametrize(("suffix", "resize", "size", "dpi"), [
    (".png", False, (400, 300), 400 / 4), (".tif", False, (400, 300), 100), (".jpg", False, (400, 300), 100),
    (".png", True, (200, 150), 50), (".tif", True, (200, 150), 50), (".jpg", True, (200, 150), 50),
])
def test_the_print_size_and_dpi_read_back(qtbot: Any, tmp_path: Path, suffix: str, resize: bool,
                                          size: tuple[int, int], dpi: float) -> None:
    """A 4 inch wide print: 400 px kept are tagged 100 dpi; asked to resize at 50 dpi, 200 px."""
    options = FakeExportOptions(PrintTarget(None, width=4, unit="in", dpi=50 if resize else 100), resize)
    path = export_image(None, _big_image(), META, "x", FakeDialog(str(tmp_path / f"print{suffix}"), ""),
                        error_box=Errors(), options=options)
    _written(qtbot)
    assert path is not None and options.calls[0][:2] == ((400, 300), {".png": "PNG", ".tif": "TIFF",
                                                                       ".jpg": "JPEG"}[suffix])
    with Image.open(path) as im:
        assert im.size == size and im.info["dpi"] == pytest.approx((dpi, dpi), abs=0.02)  # pHYs: dots/metre
        if suffix == ".tif":
            assert tuple(im.tag_v2[258]) == (16, 16, 16) and im.tag_v2[296] == 2  # 16-bit, inches
    assert read_metadata(path) == META


def test_jpeg_quality_changes_the_file(qtbot: Any, tmp_path: Path) -> None:
    sizes = {}
    for quality in (30, 95):
        path = export_image(None, _big_image(), META, "x", FakeDialog(str(tmp_path / f"q{quality}.jpg"), ""),
                            error_box=Errors(), options=FakeExportOptions(quality=quality))
        _written(qtbot)
        assert path is not None
        sizes[quality] = path.stat().st_size
    assert sizes[30] < 0.6 * sizes[95]


@pytest.mark.parametrize("action", ["render", "queue"])
def test_render_at_print_size_paints_instead_of_exporting(tmp_path: Path, action: str) -> None:
    painted: dict[str, list[int]] = {"render": [], "queue": []}
    options = FakeExportOptions(action=action)  # type: ignore[arg-type]
    path = export_image(None, _big_image(), META, "x", FakeDialog(str(tmp_path / "a4.png"), ""),
                        error_box=Errors(), options=options, render_at_size=painted["render"].append,
                        queue_at_size=painted["queue"].append)
    # 4:3 is wider than A4 is tall for its width: the height fills 210 mm, 2480 px; 3307 px wide.
    assert path is None and painted[action] == [3307] and sum(map(len, painted.values())) == 1
    assert options.calls[0][3:] == (export.SIZE_LIMIT, True)  # offered, up to the largest size; queue too
    assert not (tmp_path / "a4.png").exists()
    export_image(None, _big_image(), META, "x", FakeDialog(str(tmp_path / "b.png"), ""),
                 error_box=Errors(), options=options)
    assert options.calls[1][3:] == (None, False)  # nobody to paint it: the dialog offers neither
    assert not (tmp_path / "b.png").exists()


def test_the_window_renders_at_print_size_from_the_picture_on_show(qtbot: Any, make_window: Any,
                                                                   tmp_path: Path) -> None:
    """Export of a quick look, too small for A4: "Render at print size" promotes it to A4's size,
    going on from its pixels (the promote path; the engine tiles such sizes)."""
    from tests.gui.fakes import FakeStylize

    fake = FakeStylize()
    options = FakeExportOptions(action="render")
    window = make_window(stylize_fn=fake, export_options=options,
                         save_dialog=FakeDialog(str(tmp_path / "print.png"), IMAGE_FILTERS[0][0]))
    window.params_panel.update_fields(size=512, steps=30)
    with qtbot.waitSignal(window.runner.worker.done, timeout=20_000):
        assert window.tweaks.start_quick_look()
    qtbot.waitUntil(lambda: not window.runner.running, timeout=5000)
    quick = window.session.result_image
    with qtbot.waitSignal(window.runner.worker.done, timeout=20_000):
        assert window.commands.export_image() is None
    qtbot.waitUntil(lambda: not window.runner.running, timeout=5000)
    picture_wh = (quick.shape[1], quick.shape[0])
    assert options.calls[0][0] == picture_wh
    long_side = plan_print(picture_wh, PrintTarget("A4")).needed_long_side
    assert long_side > 3000 and fake.calls[-1]["params"].size == long_side
    assert fake.calls[-1]["start_from"] is not None  # went on from the quick look: a promote
    assert window.params_panel.params().size == long_side
    assert not (tmp_path / "print.png").exists()


def test_the_window_queues_the_picture_at_print_size(qtbot: Any, make_window: Any, tmp_path: Path) -> None:
    """"Queue at print size": the queue paints the quick look again from its record, then goes on
    from it to A4's size (its composition kept), and the window's own runs are not used."""
    from nst_desktop.queue.store import QueueStore, Status
    from tests.gui.fakes import FakeStylize

    fake = FakeStylize()
    options = FakeExportOptions(action="queue")
    window = make_window(stylize_fn=fake, export_options=options,
                         queue_store=QueueStore(tmp_path / "q.sqlite3"),
                         save_dialog=FakeDialog(str(tmp_path / "print.png"), IMAGE_FILTERS[0][0]))
    window.settings.write("queue/output_folder", str(tmp_path / "out"))
    window.params_panel.update_fields(size=512, steps=30)
    with qtbot.waitSignal(window.runner.worker.done, timeout=20_000):
        assert window.tweaks.start_quick_look()
    qtbot.waitUntil(lambda: not window.runner.running, timeout=5000)
    quick = window.document.picture
    runs = len(fake.calls)
    assert window.commands.export_image() is None
    assert options.calls[0][4] is True  # the dialog offered the queue
    qtbot.waitUntil(lambda: len(window.queue.store.jobs()) == 1, timeout=5000)
    job = window.queue.store.jobs()[0]
    long_side = plan_print((quick.image.shape[1], quick.image.shape[0]), PrintTarget("A4")).needed_long_side
    assert job.recipe.params.size == long_side and job.recipe.continued_from is not None
    assert job.recipe.continued_from["params"]["size"] == quick.record["params"]["size"]
    window.queue.kick()
    qtbot.waitUntil(lambda: window.queue.store.jobs()[0].status == Status.DONE, timeout=20_000)
    earlier, going_on = fake.calls[runs:]
    assert earlier["params"].size == quick.record["params"]["size"] and earlier["start_from"] is None
    assert going_on["params"].size == long_side and going_on["start_from"] is not None
    assert window.params_panel.params().size == 512  # the window's settings are the artist's
