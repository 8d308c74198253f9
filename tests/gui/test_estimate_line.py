"""The estimate line without a window (issue 17.2): given the estimator, the runner, the panels,
a status bar and the settings, it switches a slow first launch to Draft (with a way back) and
warms the engine up after the first estimate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtWidgets import QStatusBar
from pytestqt.qtbot import QtBot

from nst_desktop.engine.spec.params import DEFAULTS
from nst_desktop.gui.estimate_line import EstimateLine
from nst_desktop.gui.estimator import Estimator
from nst_desktop.gui.inputs_panel import InputsPanel
from nst_desktop.gui.params_panel import ParamsPanel
from nst_desktop.gui.run_panel import RunPanel
from nst_desktop.gui.settings import Settings
from nst_desktop.gui.worker import RunThread
from tests.gui.fakes import FakeStylize


@dataclass
class Parts:
    line: EstimateLine
    estimator: Estimator
    runner: RunThread
    params: ParamsPanel
    run_panel: RunPanel
    status: QStatusBar


@pytest.fixture
def parts(qtbot: QtBot, tmp_path: Path) -> Parts:
    estimator, runner = Estimator(), RunThread(FakeStylize())
    inputs, params, run_panel, status = InputsPanel(), ParamsPanel(DEFAULTS), RunPanel(), QStatusBar()
    for widget in (inputs, params, run_panel, status):
        qtbot.addWidget(widget)
    line = EstimateLine(estimator, runner, inputs, params, run_panel, status, Settings(tmp_path / "s.ini"))
    return Parts(line, estimator, runner, params, run_panel, status)


def _slow_estimate() -> object:
    return type("E", (), {"seconds": 3600.0, "peak_bytes": 1e9})()


def test_slow_computer_gets_the_quick_preset_on_first_launch(parts: Parts) -> None:
    parts.line.first_launch_began(new_user=True)
    launch = parts.params.params()
    parts.estimator.estimated.emit(_slow_estimate(), "CPU")
    assert parts.params.preset_combo.currentData() == "draft"
    assert parts.params.params() != launch
    assert "Draft" in parts.status.currentMessage()
    notice = parts.run_panel.notice_label
    assert not notice.isHidden() and "Draft" in notice.text()  # said in view, not only in the status bar
    notice.linkActivated.emit("keep")  # "Keep my settings"
    assert parts.params.params() == launch and notice.isHidden()


def test_a_user_with_pictures_keeps_the_settings(parts: Parts) -> None:
    parts.line.first_launch_began(new_user=False)
    before, shown = parts.params.params(), parts.run_panel.estimate_label.text()
    parts.estimator.estimated.emit(_slow_estimate(), "CPU")
    assert parts.params.params() == before and parts.run_panel.notice_label.isHidden()
    assert parts.run_panel.estimate_label.text() != shown  # the estimate is shown instead


def test_engine_warms_up_after_the_first_estimate(parts: Parts, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[object] = []
    monkeypatch.setattr(parts.runner, "warm_up", asked.append)
    monkeypatch.setattr(parts.estimator, "busy", lambda: True)
    parts.line.on_warm_up_timer()
    assert asked == []  # an estimate is timing the computer: a warm-up beside it would skew it
    parts.estimator.estimated.emit(type("E", (), {"seconds": 30.0, "peak_bytes": 1e8})(), "CPU")
    assert asked == [parts.params.params()]
    monkeypatch.setattr(parts.estimator, "busy", lambda: False)
    parts.line.on_warm_up_timer()  # no estimate coming (no style): the timer starts it
    assert len(asked) == 2  # (the runner itself warms up only once)
