"""Estimator: answers corrected by the speed a real run measured."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from nst_desktop.engine.params import DEFAULTS
from nst_desktop.gui.estimator import Estimator, Forecast

FakeEstimate = Forecast  # an answer as the pool thread gives it (no quick look's time)


def _answered(qtbot: QtBot, estimator: Estimator, key: tuple[object, ...], seconds: float) -> list[float]:
    """Pretend the pool thread answered ``seconds`` for ``key``; the seconds emitted from now on."""
    shown: list[float] = []
    estimator.estimated.connect(lambda estimate, device: shown.append(estimate.seconds))
    estimator._last_key, estimator._request_id = key, 1
    estimator._on_answered(1, FakeEstimate(seconds, 10), "CPU")
    return shown


def test_a_finished_run_corrects_later_estimates(qtbot: QtBot) -> None:
    estimator = Estimator()
    params = DEFAULTS.with_changes(size=320)
    shown = _answered(qtbot, estimator, (params, (768, 1024), 1), 1700.0)
    assert shown == [1700.0] and not estimator.calibrated  # the model's figure, as is
    assert estimator.learn(params, (768, 1024), 1, 170.0) == 0.1  # the run took a tenth of it
    assert shown == [1700.0, 170.0] and estimator.calibrated  # the label is corrected at once
    estimator._on_answered(1, FakeEstimate(3000.0, 10), "CPU")  # later answers are scaled too
    assert shown[-1] == 300.0


def test_nothing_is_learnt_from_other_settings_or_short_runs(qtbot: QtBot) -> None:
    estimator = Estimator(speed_factor=2.0)
    params = DEFAULTS.with_changes(size=320)
    _answered(qtbot, estimator, (params, (768, 1024), 1), 100.0)
    assert estimator.learn(params.with_changes(steps=7), (768, 1024), 1, 50.0) is None
    assert estimator.learn(params, (768, 1024), 2, 50.0) is None
    assert estimator.learn(params, (768, 1024), 1, 3.0) is None  # mostly start-up overhead
    assert estimator.speed_factor == 2.0
    assert estimator.learn(params, (768, 1024), 1, 1e6) == 20.0  # clamped: a suspend, not a speed


def test_a_quick_look_teaches_the_speed_too_and_runs_are_averaged(qtbot: QtBot) -> None:
    from nst_desktop.engine.presets import quick_look
    from nst_desktop.gui.estimator import Forecast

    estimator = Estimator()
    params = DEFAULTS
    estimator._last_key, estimator._request_id = (params, (768, 1024), 1), 1
    estimator._on_answered(1, Forecast(200.0, 10, quick_seconds=20.0), "CPU")
    shown: list[tuple[float, float | None]] = []
    estimator.estimated.connect(
        lambda estimate, device: shown.append((estimate.seconds, estimate.quick_seconds)))
    assert estimator.learn(quick_look(params), (768, 1024), 1, 40.0) == 2.0  # the look took twice the model
    assert shown[-1] == (400.0, 40.0)  # both times on the line are corrected
    # a later full run at the model's speed moves the factor halfway (in log space), not all the way
    assert estimator.learn(params, (768, 1024), 1, 200.0) == pytest.approx(2**0.5)


def test_the_forecast_carries_the_tile_size_of_the_full_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from nst_desktop.engine import stylize
    from nst_desktop.engine.cost import Estimate
    from nst_desktop.gui import estimator

    def fake(params: object, hw: object, n_styles: int, device: str) -> Estimate:
        quick = params != DEFAULTS  # the quick look is small: never tiled
        return Estimate(5.0, 10) if quick else Estimate(100.0, 10, tile=512)

    monkeypatch.setattr(stylize, "estimate", fake)
    forecast, _device = estimator._forecast(DEFAULTS, (2731, 4096), 1)
    assert (forecast.seconds, forecast.quick_seconds, forecast.tile) == (100.0, 5.0, 512)
