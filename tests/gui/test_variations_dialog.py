"""Variations dialog: paints every variation in turn, a click takes one, Stop and Close end
the runs (and the thread) and nothing is reported after them."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from nst_desktop.engine.spec.events import StyleInput
from nst_desktop.engine.spec.params import DEFAULTS
from nst_desktop.engine.spec.presets import VARIATION_SIZE
from nst_desktop.engine.spec.variations import Variation, variations
from nst_desktop.gui.variations_dialog import (
    DONE,
    FAILED,
    NOT_RUN,
    PAINTING,
    STOPPED,
    ChosenVariation,
    VariationsDialog,
    progress_text,
)
from tests.gui.fakes import FakeStylize

CONTENT = np.zeros((24, 32, 3), np.float32)
STYLES = (StyleInput(np.ones((16, 16, 3), np.float32), 1.0, "a"),
          StyleInput(np.full((16, 16, 3), 0.5, np.float32), 1.0, "b"))


def _dialog(qtbot: QtBot, fake: FakeStylize, sweep: str = "style_weight", count: int = 4
            ) -> VariationsDialog:
    dialog = VariationsDialog(CONTENT, STYLES, variations(DEFAULTS, [1.0, 1.0], sweep, count),
                              stylize_fn=fake)
    qtbot.addWidget(dialog)  # closed at the end: that also shuts its thread down
    dialog.show()
    return dialog


def test_every_variation_gets_a_picture_then_all_finished(qtbot: QtBot) -> None:
    fake = FakeStylize()
    dialog = _dialog(qtbot, fake)
    running: list[bool] = []
    dialog.runningChanged.connect(running.append)
    assert not any(cell.has_picture for cell in dialog.cells)
    with qtbot.waitSignal(dialog.allFinished, timeout=10000):
        assert dialog.start()
    assert [cell.state for cell in dialog.cells] == [DONE] * 4
    assert all(cell.has_picture and cell.use_button.isEnabled() for cell in dialog.cells)
    assert running == [True, False] and not dialog.running
    # one run per variation, in order, each with its small quick-look params
    assert [call["params"] for call in fake.calls] == [v.quick_params for v in
                                                      (c.variation for c in dialog.cells)]
    assert all(call["params"].size == VARIATION_SIZE for call in fake.calls)
    assert dialog.progress.text().startswith("4 of 4 done in ")
    assert not dialog.start()  # a sweep paints once


def test_each_style_sweep_paints_with_one_hot_blends(qtbot: QtBot) -> None:
    fake = FakeStylize()
    dialog = _dialog(qtbot, fake, sweep="style")
    with qtbot.waitSignal(dialog.allFinished, timeout=10000):
        dialog.start()
    assert [[s.weight for s in call["styles"]] for call in fake.calls] == [[1.0, 0.0], [0.0, 1.0]]


def test_clicking_a_finished_picture_takes_its_full_params_and_closes(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot, FakeStylize())
    with qtbot.waitSignal(dialog.allFinished, timeout=10000):
        dialog.start()
    cell = dialog.cells[3]
    with qtbot.waitSignal(dialog.variationChosen, timeout=1000) as blocker:
        qtbot.mouseClick(cell.picture, Qt.MouseButton.LeftButton)
    chosen = blocker.args[0]
    assert isinstance(chosen, ChosenVariation)
    assert chosen.variation is cell.variation and chosen.result is cell.result
    assert chosen.variation.params.style_weight == 4 * DEFAULTS.style_weight  # x1/2, x1, x2, x4
    assert chosen.variation.params.size == DEFAULTS.size  # the full params, not the quick look's
    assert not dialog.isVisible() and not dialog.runner.qthread.isRunning()


def test_use_this_button_takes_the_variation(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot, FakeStylize())
    with qtbot.waitSignal(dialog.allFinished, timeout=10000):
        dialog.start()
    with qtbot.waitSignal(dialog.variationChosen, timeout=1000) as blocker:
        dialog.cells[0].use_button.click()
    assert blocker.args[0].variation.params.style_weight == 0.5 * DEFAULTS.style_weight


def test_stop_midway_skips_the_rest_and_reports_nothing_after(qtbot: QtBot) -> None:
    fake = FakeStylize(step_s=0.02)  # 40 quick-look steps: ~0.8 s a variation
    dialog = _dialog(qtbot, fake)
    chosen: list[object] = []
    dialog.variationChosen.connect(chosen.append)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.cells[1].has_picture, timeout=10000)  # its run is under way
    with qtbot.assertNotEmitted(dialog.allFinished, wait=300), \
            qtbot.waitSignal(dialog.runningChanged, timeout=5000) as blocker:
        dialog.stop_button.click()
    assert blocker.args == [False]
    assert [cell.state for cell in dialog.cells] == [DONE, STOPPED, NOT_RUN, NOT_RUN]
    assert len(fake.calls) == 2  # no run started after the stop
    assert "Stopped: 1 of 4 done" in dialog.progress.text()
    # a stopped (partial) picture is not offered; the finished one still is
    qtbot.mouseClick(dialog.cells[1].picture, Qt.MouseButton.LeftButton)
    assert chosen == [] and not dialog.cells[1].use_button.isEnabled()
    assert dialog.cells[0].use_button.isEnabled()


def test_close_while_painting_ends_the_thread_and_reports_nothing(qtbot: QtBot) -> None:
    fake = FakeStylize(step_s=0.02)
    dialog = _dialog(qtbot, fake)
    running: list[bool] = []
    dialog.runningChanged.connect(running.append)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.cells[0].has_picture, timeout=10000)
    with qtbot.assertNotEmitted(dialog.allFinished, wait=300), \
            qtbot.assertNotEmitted(dialog.variationChosen, wait=300):
        dialog.close_button.click()
    assert not dialog.isVisible() and not dialog.runner.qthread.isRunning()
    assert running == [True, False] and len(fake.calls) == 1


def test_failures_are_shown_per_cell_and_the_sweep_goes_on(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot, FakeStylize(fail_at=3), count=3)
    with qtbot.waitSignal(dialog.allFinished, timeout=10000):
        dialog.start()
    assert [cell.state for cell in dialog.cells] == [FAILED] * 3
    assert "NaN" in dialog.cells[0].status.toolTip()
    assert not any(cell.use_button.isEnabled() for cell in dialog.cells)
    assert dialog.progress.text().startswith("0 of 3 done, 3 failed in ")


@pytest.mark.parametrize(("count", "columns"), [(3, 3), (4, 2), (6, 3)])
def test_grid_shape(qtbot: QtBot, count: int, columns: int) -> None:
    dialog = _dialog(qtbot, FakeStylize(), count=count)
    xs = {cell.x() for cell in dialog.cells}
    ys = {cell.y() for cell in dialog.cells}
    assert len(xs) == columns and len(ys) == -(-count // columns)


def test_blend_must_match_the_styles(qtbot: QtBot) -> None:
    bad = [Variation("x", DEFAULTS, (1.0,))]
    with pytest.raises(ValueError, match="one blend weight per style"):
        VariationsDialog(CONTENT, STYLES, bad, stylize_fn=FakeStylize())


def test_progress_text() -> None:
    assert progress_text([DONE, DONE, PAINTING, "waiting"], 37.2, True) == "2 of 4 done, 37 s so far"
    assert progress_text([DONE, FAILED], 75, False) == "1 of 2 done, 1 failed in 1 min 15 s"
    assert progress_text([DONE, STOPPED, NOT_RUN], 3, False) == "Stopped: 1 of 3 done, after 3 s"
    assert progress_text([DONE] * 2, 3725, False) == "2 of 2 done in 1 h 02 min"


def test_finished_pictures_survive_a_slow_gui(qtbot: QtBot) -> None:
    """Signals queue up while the GUI thread is busy; the cells still get their own results."""
    fake = FakeStylize()
    dialog = _dialog(qtbot, fake, count=2)
    dialog.start()
    time.sleep(0.3)  # both fake runs can end while no event is processed
    with qtbot.waitSignal(dialog.allFinished, timeout=10000):
        pass
    assert [cell.result is not None and cell.result.params == cell.variation.quick_params
            for cell in dialog.cells] == [True, True]
