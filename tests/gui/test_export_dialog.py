"""The export options dialog (gui/export_dialog.py): print size, resolution, quality, what the
picture's pixels give, and "Render at print size" when they are too few."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from nst_desktop.gui import export_dialog
from nst_desktop.gui.export_dialog import ExportOptionsDialog


@pytest.fixture(autouse=True)
def _fresh_choices(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(export_dialog, "_remembered", export_dialog._Remembered())
    yield


def _dialog(qtbot: QtBot, picture_wh: tuple[int, int], fmt: str = "PNG",
            render_limit: int | None = 8192) -> ExportOptionsDialog:
    dialog = ExportOptionsDialog(picture_wh, fmt, "print.png", render_limit)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _choose(dialog: ExportOptionsDialog, key: str) -> None:
    dialog.size_combo.setCurrentIndex(dialog.size_combo.findData(key))


def test_a_small_picture_on_a4_says_so_and_offers_render_at_print_size(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot, (1024, 683))
    assert dialog.size_combo.currentData() == "A4" and dialog.dpi_spin.value() == 300  # the defaults
    text = dialog.summary.text()
    assert text.startswith("1024 × 683 px prints at 88 dpi on A4") and "300 dpi needs 3508 × 2340 px" in text
    assert dialog.render_button.isVisible() and dialog.render_button.isEnabled()
    assert not dialog.resize_box.isEnabled()  # never enlarged
    qtbot.mouseClick(dialog.render_button, Qt.MouseButton.LeftButton)
    choice = dialog.choice()
    assert dialog.result() == QDialog.DialogCode.Accepted and choice.action == "render"
    assert choice.plan.needed_long_side == 3508


def test_queue_at_print_size_is_offered_with_a_queue(qtbot: QtBot) -> None:
    dialog = ExportOptionsDialog((1024, 683), "PNG", "print.png", 8192, can_queue=True)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.queue_button.isVisible() and "render queue" in dialog.queue_button.toolTip()
    assert _dialog(qtbot, (1024, 683)).queue_button.isHidden()  # no queue: not offered
    qtbot.mouseClick(dialog.queue_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.choice().action == "queue"
    dialog.dpi_spin.setValue(80)  # enough pixels: nothing to paint
    assert dialog.queue_button.isHidden() and dialog.render_button.isHidden()


def test_lowering_the_dpi_or_the_size_makes_the_pixels_enough(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot, (1024, 683))
    dialog.dpi_spin.setValue(80)
    assert dialog.render_button.isHidden() and "1024 × 683 px print at 88 dpi" in dialog.summary.text()
    dialog.dpi_spin.setValue(300)
    _choose(dialog, "in")
    assert dialog.width_spin.isVisibleTo(dialog) and dialog.width_spin.value() == 8.0
    dialog.width_spin.setValue(3.0)  # 3 inches at 300 dpi: 900 px, fewer than the picture has
    assert dialog.render_button.isHidden() and dialog.resize_box.isEnabled()
    dialog.resize_box.setChecked(True)
    plan = dialog.choice().plan
    assert plan.output_wh == (900, 600) and plan.dpi == pytest.approx(300)
    assert "900 × 600 px print at 300 dpi: 3.0 × 2.0 in" in dialog.summary.text()


def test_a_width_in_cm_and_the_pictures_own_size(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot, (3000, 2000))
    _choose(dialog, "cm")
    dialog.width_spin.setValue(25.4)
    plan = dialog.choice().plan
    assert plan.print_in == pytest.approx((10.0, 20 / 3)) and plan.dpi == pytest.approx(300)
    _choose(dialog, export_dialog.OWN_SIZE)
    dialog.dpi_spin.setValue(150)
    plan = dialog.choice().plan
    assert not dialog.width_spin.isVisibleTo(dialog)
    assert plan.output_wh == (3000, 2000) and plan.dpi == pytest.approx(150) and plan.enough


def test_a3_portrait_and_an_a3_too_big_to_render(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot, (683, 1024), render_limit=4096)
    _choose(dialog, "A3")
    assert "300 dpi needs 3309 × 4961 px" in dialog.summary.text()  # turned: the picture is tall
    assert dialog.render_button.isVisible() and not dialog.render_button.isEnabled()
    assert "largest output size (4096 px)" in dialog.render_button.toolTip()
    assert _dialog(qtbot, (683, 1024), render_limit=None).render_button.isHidden()  # nobody paints it


def test_quality_is_asked_for_jpeg_only_and_choices_are_kept(qtbot: QtBot) -> None:
    png = _dialog(qtbot, (800, 600))
    assert not png.quality_spin.isVisibleTo(png)
    jpeg = _dialog(qtbot, (800, 600), "JPEG")
    assert jpeg.quality_spin.isVisibleTo(jpeg) and jpeg.quality_spin.value() == 95
    jpeg.quality_spin.setValue(70)
    _choose(jpeg, "A3")
    jpeg.dpi_spin.setValue(150)
    jpeg.accept()
    assert jpeg.choice().quality == 70
    again = _dialog(qtbot, (800, 600), "JPEG")
    assert (again.quality_spin.value(), again.size_combo.currentData(), again.dpi_spin.value()) == \
        (70, "A3", 150)
