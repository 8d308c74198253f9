"""Run panel and loss plot: progress text, time left, log-scale plot points."""

from __future__ import annotations

import math
import re
from dataclasses import replace

from pytestqt.qtbot import QtBot

from nst_desktop.engine.spec.events import PREPARING, ProgressEvent
from nst_desktop.formatting import format_duration
from nst_desktop.gui.loss_plot import LossPlot
from nst_desktop.gui.run_clock import TICK_MS, RunClock
from nst_desktop.gui.run_panel import RunPanel, format_bytes, format_estimate, format_extra


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
    # the step over the whole run, as the bar and "changed at step N" count it (issue 16.7)
    assert "Scale 2/3" in panel.status_label.text() and "step 110/400" in panel.status_label.text()
    assert panel.progress.value() == round(110 / 400 * 1000)
    assert "1 min 35 s left" in panel.progress.format()
    assert set(panel.plot.series()) == {"style", "total"}
    panel.run_ended("Finished.")
    assert panel.start_button.isEnabled() and not panel.pause_button.isEnabled()


def _preparing(scale_index: int, step: int, total_step: int, elapsed_s: float,
               remaining_s: float) -> ProgressEvent:
    return ProgressEvent(scale_index, 3, 512, 384, step, 100, total_step, 400, {}, elapsed_s, remaining_s,
                         phase=PREPARING)


def test_a_set_up_says_what_it_prepares(qtbot: QtBot) -> None:
    """Issue 16.7: a minute-long set-up of the styles is said, not a frozen 'step 50/50'."""
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.run_started()
    panel.update_progress(ProgressEvent(0, 3, 256, 192, 50, 50, 50, 400, {"total": 3.0}, 30.0, 200.0))
    value = panel.progress.value()
    panel.update_progress(_preparing(1, 0, 50, 31.0, 199.0))
    assert "Scale 2/3  ·  512×384 px  ·  preparing the styles for this scale…" in panel.status_label.text()
    assert panel.progress.value() == value and len(panel.plot.series()["total"]) == 1  # no step, no point
    panel.update_progress(_preparing(1, 7, 57, 80.0, 150.0))  # a live edit's new style targets
    assert "preparing the styles for the new settings…" in panel.status_label.text()


def test_the_clock_moves_between_events(qtbot: QtBot) -> None:
    """Issue 16.7: no event for a minute (a set-up, a print-size step), yet the clock goes on."""
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.run_started()
    panel.update_progress(_preparing(1, 0, 50, 30.0, 95.0))
    assert "30 s so far" in panel.status_label.text() and "1 min 35 s left" in panel.progress.format()
    qtbot.waitUntil(lambda: "30 s so far" not in panel.status_label.text(), timeout=3 * TICK_MS)
    elapsed = int(re.search(r"(\d+) s so far", panel.status_label.text()).group(1))  # type: ignore[union-attr]
    left = int(re.search(r"1 min (\d+) s left", panel.progress.format()).group(1))  # type: ignore[union-attr]
    assert elapsed > 30 and left < 35 and abs(elapsed + left - 65) <= 1  # one clock, both ways
    panel.set_paused(True)  # the engine does not count paused time either
    paused_at = panel.status_label.text()
    qtbot.wait(int(1.5 * TICK_MS))
    assert panel.status_label.text() == paused_at


def test_the_clock_leaves_a_line_it_did_not_write(qtbot: QtBot) -> None:
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.run_started()
    panel.update_progress(_preparing(1, 0, 50, 30.0, 95.0))
    panel.status_label.setText("Stopping: keeping the best picture so far…")
    qtbot.wait(int(1.5 * TICK_MS))
    assert panel.status_label.text().startswith("Stopping") and "1 min 34 s left" in panel.progress.format()


def test_a_stop_stays_on_the_bar_and_the_line_until_the_run_ends(qtbot: QtBot) -> None:
    """The clock's ticks and the last step's event must not put "X left" back over "Stopping…"."""
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.run_started()
    panel.update_progress(_preparing(1, 0, 50, 30.0, 95.0))
    panel.show_stopping("Stopping… keeping the picture")
    qtbot.wait(int(1.5 * TICK_MS))
    panel.update_progress(_preparing(1, 0, 51, 31.0, 94.0))
    assert panel.progress.format() == panel.status_label.text() == "Stopping… keeping the picture"
    panel.run_started()  # the next run counts again
    panel.update_progress(_preparing(1, 0, 1, 1.0, 95.0))
    assert "left" in panel.progress.format()


def test_run_clock_counts_on_from_the_last_event_and_not_while_paused(qtbot: QtBot) -> None:
    now = [100.0]
    clock = RunClock(now=lambda: now[0])
    clock.start()
    clock.set(elapsed_s=30.0, remaining_s=60.0)
    now[0] += 5
    assert (clock.elapsed(), clock.remaining()) == (35.0, 55.0)
    clock.set_paused(True)
    now[0] += 100
    assert (clock.elapsed(), clock.remaining()) == (35.0, 55.0)
    clock.set_paused(False)
    now[0] += 70
    assert (clock.elapsed(), clock.remaining()) == (105.0, 0.0)  # never below zero
    clock.set(elapsed_s=110.0, remaining_s=math.inf)
    assert clock.remaining() == math.inf


def test_the_status_and_progress_lines_count_steps_alike(qtbot: QtBot) -> None:
    """Issue 16.7: "Changed at step 152" and "step 50/50" counted steps differently."""
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.run_started()
    event = ProgressEvent(1, 3, 512, 384, 2, 100, 52, 250, {"total": 3.0}, 60.0, 95.0,
                          edit={"style_scale": 2.0})
    panel.update_progress(event)
    assert panel.status_label.text().startswith("Changed at step 52: Style scale 2")
    assert panel.plot.markers()[0][0] == 52
    panel.update_progress(replace(event, step=3, total_step=53, edit=None))
    assert "step 53/250" in panel.status_label.text()
    panel.update_progress(replace(event, edit={"style_scale": 3.0}))
    panel.update_progress(_preparing(2, 0, 100, 90.0, 60.0))  # the note gives way to what happens now
    assert "preparing the styles" in panel.status_label.text()


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


def test_estimate_says_what_the_brush_size_costs(qtbot: QtBot) -> None:
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.set_estimate(183, 1e8, "CPU", quick_seconds=14, brush=(4.0, 21.0))
    assert panel.estimate_label.text() == ("These settings: about 3 min on the CPU, 95.4 MB of memory; "
                                           "Brush 4x: +20 s; a quick look about 10 s")
    panel.set_estimate(183, 1e8, "CPU", brush=(2.5, 130.0))
    assert panel.estimate_label.text().endswith("; Brush 2.5x: +2 min")
    panel.set_estimate(183, 1e8, "CPU")  # 1x: nothing to say
    assert "Brush" not in panel.estimate_label.text()


def test_extra_time_is_rounded_like_an_estimate() -> None:
    assert [format_extra(s) for s in (0.4, 2, 21, 58, 130, -12)] == [
        "no extra time", "+5 s", "+20 s", "+1 min", "+2 min", "-10 s"]


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
