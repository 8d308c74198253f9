"""Run panel and loss plot: progress text, time left, log-scale plot points."""

from __future__ import annotations

import math

from pytestqt.qtbot import QtBot

from nst_desktop.engine.events import ProgressEvent
from nst_desktop.formatting import format_duration
from nst_desktop.gui.loss_plot import LossPlot
from nst_desktop.gui.run_panel import RunPanel, format_bytes, format_estimate


def test_format_duration() -> None:
    assert format_duration(5.2) == "5 s"
    assert format_duration(185) == "3 min 05 s"
    assert format_duration(3720) == "1 h 02 min"
    assert format_duration(math.inf) == "…"
    assert format_bytes(3 * 1024**3) == "3.0 GB"


def test_progress_updates_labels_and_plot(qtbot: QtBot) -> None:
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.run_started()
    assert not panel.start_button.isEnabled() and panel.stop_button.isEnabled()
    event = ProgressEvent(1, 3, 256, 192, 10, 100, 110, 400, {"style": 2.0, "total": 3.0}, 12.0, 95.0)
    panel.update_progress(event)
    assert "Scale 2/3" in panel.status_label.text() and "step 10/100" in panel.status_label.text()
    assert panel.progress.value() == round(110 / 400 * 1000)
    assert "1 min 35 s left" in panel.progress.format()
    assert set(panel.plot.series()) == {"style", "total"}
    panel.run_ended("Finished.")
    assert panel.start_button.isEnabled() and not panel.pause_button.isEnabled()


def test_pause_button_toggles_text_and_signal(qtbot: QtBot) -> None:
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.run_started()
    with qtbot.waitSignal(panel.pauseToggled) as blocker:
        panel.pause_button.click()
    assert blocker.args == [True] and panel.pause_button.text() == "Resume"


def test_loss_plot_skips_values_a_log_scale_cannot_show(qtbot: QtBot) -> None:
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.add_point(1, {"content": 0.0, "style": math.nan, "tv": 1e-3, "total": 5.0})
    assert set(plot.series()) == {"tv", "total"}
    for step in range(2, 50):
        plot.add_point(step, {"total": 5.0 / step, "tv": 1e-3})
    plot.resize(300, 100)
    image = plot.grab().toImage()  # paints without error, something drawn
    assert image.width() == 300
    assert len(plot.series()["total"]) == 49


def test_estimates_are_rounded_as_coarsely_as_they_are_good() -> None:
    assert format_estimate(4) == "a few seconds"
    assert format_estimate(38) == "about 40 s"
    assert format_estimate(183) == "about 3 min"  # not "3 min 03 s": false precision
    assert format_estimate(1053) == "about 18 min"
    assert format_estimate(3900) == "about 1 h 05 min"
    assert format_estimate(math.nan) == "…"


def test_estimate_text_reads_as_a_forecast(qtbot: QtBot) -> None:
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.set_estimate(183, 462.8 * 2**20, "CPU")
    assert panel.estimate_label.text() == "These settings: about 3 min on the CPU, 462.8 MB of memory"


def test_estimate_says_when_it_is_only_a_first_guess(qtbot: QtBot) -> None:
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.set_estimate(3300, 1e8, "CPU", first_guess=True)
    assert "about 55 min" in panel.estimate_label.text() and "first guess" in panel.estimate_label.text()


def test_estimate_covers_the_quick_look_too(qtbot: QtBot) -> None:
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.set_estimate(183, 1e8, "CPU", quick_seconds=14)
    assert panel.estimate_label.text().endswith("; a quick look about 10 s")


def test_estimate_says_when_the_run_is_painted_in_tiles(qtbot: QtBot) -> None:
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.set_estimate(3300, 5e9, "CPU", quick_seconds=14, tile=512)
    assert panel.estimate_label.text() == ("These settings: about 55 min on the CPU, 4.7 GB of memory, "
                                           "painted in tiles of 512 px; a quick look about 10 s")
    panel.set_estimate(183, 1e8, "CPU", tile=0)
    assert "tiles" not in panel.estimate_label.text()


def test_a_setting_changed_by_the_app_is_said_in_view_with_a_way_back(qtbot: QtBot) -> None:
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.show()
    assert not panel.notice_label.isVisible()
    panel.show_notice("Switched to the Draft preset.")
    assert panel.notice_label.isVisible() and "Draft" in panel.notice_label.text()
    assert "Keep my settings" in panel.notice_label.text()
    with qtbot.waitSignal(panel.keepSettingsRequested, timeout=1000):
        panel.notice_label.linkActivated.emit("keep")
    assert not panel.notice_label.isVisible()
    panel.show_notice("Again.")
    panel.run_started()  # stays: hiding it by itself would make the picture above jump
    assert panel.notice_label.isVisible()
    with qtbot.assertNotEmitted(panel.keepSettingsRequested):
        panel.notice_label.linkActivated.emit("ok")  # dismissed, settings kept as the app set them
    assert not panel.notice_label.isVisible()
