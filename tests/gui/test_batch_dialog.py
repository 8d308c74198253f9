"""issue 18.3: the Batch dialog: photos or a folder × the chosen styles × a sweep -> the jobs
``queue.batch.plan`` makes (the pattern rules of ``nst-desktop batch``), said live, refused in one
line when wrong."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from nst_desktop.gui.batch_dialog import BatchDialog, sweepable_settings
from nst_desktop.queue.batch import file_name
from tests.queue.conftest import SMALL, draw, recipe_of


def _dialog(qtbot: QtBot, tmp_path: Path, **kwargs: object) -> BatchDialog:
    wave, dots = draw(tmp_path / "wave.png", 2), draw(tmp_path / "dots.png", 3)
    base = recipe_of(draw(tmp_path / "on-screen.png", 1), wave, dots, params=SMALL)
    dialog = BatchDialog(base, str(tmp_path / "out"), **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    return dialog


def _folder_of_photos(tmp_path: Path) -> Path:
    folder = tmp_path / "holiday"
    folder.mkdir()
    for i, name in enumerate(("beach.png", "cliff.png", "dunes.png")):
        draw(folder / name, 10 + i)
    (folder / "notes.txt").write_text("not a photo")
    return folder


def test_a_folder_times_the_checked_styles_times_a_sweep(qtbot: QtBot, tmp_path: Path) -> None:
    folder = _folder_of_photos(tmp_path)
    dialog = _dialog(qtbot, tmp_path, choose_folder=lambda *_: str(folder))
    assert dialog.styles.count() == 2  # the recipe on screen's styles, checked
    dialog._on_add_folder()  # noqa: SLF001 - the "Add folder…" button's slot, with the fake chooser
    dialog.sweep_setting.setCurrentIndex(dialog.sweep_setting.findData("style_weight"))
    dialog.sweep_values.setText("4, 16")
    assert dialog.summary.text().startswith("12 jobs: 3 photos × 2 looks × 2 values")
    assert dialog.queue_button.isEnabled()
    with qtbot.waitSignal(dialog.planned, timeout=5000) as blocker:
        dialog.queue_button.click()
    jobs = blocker.args[0]
    assert len(jobs) == 12
    assert jobs[0].output.name == file_name(dialog.pattern.text(), "beach.png", jobs[0].recipe.styles, 1)
    assert [j.recipe.params.style_weight for j in jobs[:4]] == [4.0, 16.0, 4.0, 16.0]
    assert {Path(j.recipe.photo).name for j in jobs} == {"beach.png", "cliff.png", "dunes.png"}
    assert all(j.output.folder == str(tmp_path / "out") for j in jobs)
    assert all(j.key for j in jobs)  # keyed: a rerun skips what is painted
    assert dialog.result() == BatchDialog.DialogCode.Accepted


def test_blended_looks_and_unchecked_styles(qtbot: QtBot, tmp_path: Path) -> None:
    photo = draw(tmp_path / "one.png", 4)
    dialog = _dialog(qtbot, tmp_path, choose_files=lambda *_: [str(photo)])
    dialog._on_add_photos()  # noqa: SLF001
    assert dialog.summary.text().startswith("2 jobs: 1 photo × 2 looks")
    dialog.blend.setChecked(True)
    assert dialog.summary.text().startswith("1 job: 1 photo × 1 look")
    dialog.blend.setChecked(False)
    item = dialog.styles.item(1)
    assert item is not None
    item.setCheckState(Qt.CheckState.Unchecked)
    assert dialog.summary.text().startswith("1 job: 1 photo × 1 look")


def test_a_bad_pattern_or_sweep_is_said_in_one_line_and_nothing_is_queued(qtbot: QtBot,
                                                                         tmp_path: Path) -> None:
    photo = draw(tmp_path / "one.png", 4)
    dialog = _dialog(qtbot, tmp_path)
    dialog.add_photos([str(photo)])
    dialog.pattern.setText("{photo}_{colour}.png")
    assert "unknown field {colour}" in dialog.summary.text()
    assert not dialog.queue_button.isEnabled()
    dialog.pattern.setText("{photo}.png")  # two looks, one name each photo: refused when planned
    dialog.sweep_setting.setCurrentIndex(dialog.sweep_setting.findData("style_weight"))
    dialog.sweep_values.setText("4, lots")
    assert "--sweep" in dialog.summary.text() and "\n" not in dialog.summary.text()
    assert not dialog.queue_button.isEnabled()
    dialog.sweep_setting.setCurrentIndex(0)
    assert dialog.queue_button.isEnabled()
    with qtbot.assertNotEmitted(dialog.planned, wait=300):
        dialog.queue_button.click()
        qtbot.waitUntil(lambda: "names jobs 1 and 2" in dialog.summary.text(), timeout=5000)
    assert dialog.isVisible() or dialog.result() != BatchDialog.DialogCode.Accepted


def test_nothing_to_paint_is_said(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, tmp_path)
    assert dialog.summary.text() == "Add photos or a folder of photos."
    assert not dialog.queue_button.isEnabled()


def test_the_sweepable_settings_are_the_ones_the_cli_can_sweep() -> None:
    from nst_desktop.engine.spec.params import DEFAULTS
    from nst_desktop.queue.batch import parse_sweep

    names = [name for name, _ in sweepable_settings()]
    assert "style_weight" in names and "seed" in names and "size" in names
    assert "colour" not in names and "style_layers" not in names
    for name in names:  # each one offered is one the one parser accepts
        assert parse_sweep(f"{name}={getattr(DEFAULTS, name)}").setting == name
