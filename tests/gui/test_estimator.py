"""Estimator: answers corrected by the speed real runs measured, in this launch and the next."""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from nst_desktop.engine.spec.params import DEFAULTS
from nst_desktop.engine.spec.presets import quick_look
from nst_desktop.gui.estimate_line import LEARNED_SPEED_KEY
from nst_desktop.gui.estimator import Estimator, Forecast
from nst_desktop.gui.learned_speed import from_settings, to_settings
from nst_desktop.gui.settings import Settings

SPEED = {"flops_per_s": 1e11, "pass_overhead_s": 0.01, "new_size_s": 0.05, "float32": False, "cpu": True}


def FakeEstimate(seconds: float, peak_bytes: int, quick_seconds: float | None = None) -> Forecast:  # noqa: N802
    """An answer as the pool thread gives it, at a calibrated speed."""
    return Forecast(seconds, peak_bytes, quick_seconds, speed_key="cpu/bfloat16/2 threads", speed=dict(SPEED))


def _answered(qtbot: QtBot, estimator: Estimator, key: tuple[object, ...], answer: Forecast
              ) -> list[Forecast]:
    """Pretend the pool thread answered ``answer`` for ``key``; the forecasts emitted from now on."""
    shown: list[Forecast] = []
    estimator.estimated.connect(lambda estimate, device: shown.append(estimate))
    estimator._last_key, estimator._request_id = key, 1
    estimator._on_answered(1, answer, "CPU")
    return shown


def test_a_finished_run_corrects_later_estimates(qtbot: QtBot) -> None:
    estimator = Estimator()
    params = DEFAULTS.with_changes(size=320)
    shown = _answered(qtbot, estimator, (params, (768, 1024), 1), FakeEstimate(1700.0, 10))
    assert [f.seconds for f in shown] == [1700.0] and not estimator.calibrated  # the model's figure
    assert estimator.learn(params, (768, 1024), 1, 170.0) == 0.1  # the run took a tenth of it
    assert shown[-1].seconds == 170.0 and estimator.calibrated  # the label is corrected at once
    estimator._on_answered(1, FakeEstimate(3000.0, 10), "CPU")  # later answers are scaled too
    assert shown[-1].seconds == 300.0


def test_nothing_is_learnt_from_other_settings_or_short_runs(qtbot: QtBot) -> None:
    estimator = Estimator()
    params = DEFAULTS.with_changes(size=320)
    _answered(qtbot, estimator, (params, (768, 1024), 1), FakeEstimate(100.0, 10))
    assert estimator.learn(params.with_changes(steps=7), (768, 1024), 1, 50.0) is None
    assert estimator.learn(params, (768, 1024), 2, 50.0) is None
    assert estimator.learn(params, (600, 1024), 1, 50.0) is None  # another photo's size
    assert estimator.learn(params, (768, 1024), 1, 1.0) is None  # too short to time
    assert estimator.learned == {}
    assert estimator.learn(params, (768, 1024), 1, 1e6) == 20.0  # clamped: a suspend, not a speed


def test_a_quick_look_is_learnt_on_its_own_and_runs_are_averaged(qtbot: QtBot) -> None:
    estimator = Estimator()
    params = DEFAULTS
    shown = _answered(qtbot, estimator, (params, (768, 1024), 1), FakeEstimate(200.0, 10, quick_seconds=20.0))
    # a quick look of 6 s (a fast computer) is learnt: before, only runs of 10 s or more were
    assert estimator.learn(quick_look(params), (768, 1024), 1, 6.0) == pytest.approx(0.3)
    # until a full run is measured, the quick look's ratio stands in for it
    assert (shown[-1].seconds, shown[-1].quick_seconds) == pytest.approx((60.0, 6.0))
    assert estimator.learn(params, (768, 1024), 1, 400.0) == 2.0  # a full run: its own ratio
    assert (shown[-1].seconds, shown[-1].quick_seconds) == pytest.approx((400.0, 6.0))
    # a later full run at the model's speed moves its ratio halfway (in log space), not all the way
    assert estimator.learn(params, (768, 1024), 1, 200.0) == pytest.approx(2**0.5)
    assert shown[-1].quick_seconds == pytest.approx(6.0)  # the quick look's is its own


def test_a_ratio_is_never_applied_to_another_speed(qtbot: QtBot) -> None:
    """The bug after a restart: a ratio learnt against one calibration, applied to another."""
    estimator = Estimator()
    params = DEFAULTS
    _answered(qtbot, estimator, (params, (768, 1024), 1), FakeEstimate(100.0, 10))
    estimator.learn(params, (768, 1024), 1, 50.0)
    other = replace(FakeEstimate(100.0, 10), speed_key="cuda:0/bfloat16/2 threads")
    shown = _answered(qtbot, estimator, (params, (768, 1024), 1), other)
    assert shown[-1].seconds == 100.0 and not estimator.calibrated  # another device: not learnt yet


def _forecast_of(qtbot: QtBot, estimator: Estimator, params: object, hw: tuple[int, int]) -> Forecast:
    shown: list[Forecast] = []
    estimator.estimated.connect(lambda estimate, device: shown.append(estimate))
    estimator.unavailable.connect(pytest.fail)
    estimator.request(params, hw, 1)  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: bool(shown), timeout=60_000)
    return shown[-1]


def test_a_learnt_speed_gives_the_same_forecast_after_a_restart(
        qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nst_desktop.engine.run import cost

    busy = cost.Speed(flops_per_s=2e10, pass_overhead_s=0.02, new_size_s=0.1, float32=False)
    quiet = replace(busy, flops_per_s=6e10, pass_overhead_s=0.007)  # the next launch calibrates 3x faster
    monkeypatch.setattr(cost, "calibrated_speed", lambda params, device="auto": busy)
    params, hw = DEFAULTS.with_changes(size=256), (768, 1024)
    first = Estimator(debounce_ms=0)
    raw = _forecast_of(qtbot, first, params, hw)
    assert raw.speed == asdict(busy) and raw.quick_seconds is not None
    first.learn(params, hw, 1, raw.seconds * 0.5)
    first.learn(quick_look(params), hw, 1, raw.quick_seconds * 0.25)
    settings = Settings(tmp_path / "settings.ini")
    settings.write(LEARNED_SPEED_KEY, to_settings(first.learned))
    settings.sync()

    monkeypatch.setattr(cost, "calibrated_speed", lambda params, device="auto": quiet)
    second = Estimator(debounce_ms=0, learned=from_settings(Settings(tmp_path / "settings.ini").read(
        LEARNED_SPEED_KEY)))
    again = _forecast_of(qtbot, second, params, hw)
    assert second.calibrated
    assert again.seconds == pytest.approx(raw.seconds * 0.5)  # not the quiet calibration's figure
    assert again.quick_seconds == pytest.approx(raw.quick_seconds * 0.25)  # the quick look's is learnt too
    fresh = _forecast_of(qtbot, Estimator(debounce_ms=0), params, hw)  # nothing learnt: a first guess
    assert fresh.seconds < raw.seconds / 2.5


def test_a_damaged_learnt_speed_is_ignored() -> None:
    good = {"key": "cpu/float32/2 threads", "speed": SPEED, "factors": {"full": 1.5}}
    assert set(from_settings([good])) == {"cpu/float32/2 threads"}
    bad_speed = {**good, "speed": {**SPEED, "flops_per_s": -1.0}}
    assert from_settings([bad_speed, {**good, "factors": {"full": "x"}}, "junk", {"key": 3}]) == {}
    assert from_settings("not a list") == {}


def test_the_forecast_carries_the_tile_size_of_the_full_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from nst_desktop.engine.run import stylize
    from nst_desktop.engine.run.cost import Estimate
    from nst_desktop.gui import estimator

    def fake(params: object, hw: object, n_styles: int, device: str, speed: object) -> Estimate:
        quick = params != DEFAULTS  # the quick look is small: never tiled
        return Estimate(5.0, 10) if quick else Estimate(100.0, 10, tile=512)

    monkeypatch.setattr(stylize, "estimate", fake)
    forecast, _device = estimator._forecast(DEFAULTS, (2731, 4096), 1, {})
    assert (forecast.seconds, forecast.quick_seconds, forecast.tile) == (100.0, 5.0, 512)


def test_the_forecast_says_what_the_brush_size_adds(qtbot: QtBot) -> None:
    from nst_desktop.engine.run import cost
    from nst_desktop.gui import estimator as estimator_module

    learned = {cost.speed_key(DEFAULTS): SPEED}  # a learnt speed: no convolution timed here
    hw = (768, 1024)
    plain, _ = estimator_module._forecast(DEFAULTS, hw, 1, learned)
    brushed, _ = estimator_module._forecast(DEFAULTS.with_changes(brush_size=4.0), hw, 1, learned)
    assert plain.brush_seconds is None  # 1x: nothing to say
    assert brushed.brush_seconds is not None and brushed.brush_seconds > 0
    assert brushed.seconds == pytest.approx(plain.seconds + brushed.brush_seconds)
    estimator = Estimator(debounce_ms=0)
    estimator.learned = {brushed.speed_key: from_settings([{"key": brushed.speed_key, "speed": SPEED,
                                                            "factors": {"full": 2.0}}])[brushed.speed_key]}
    shown = _answered(qtbot, estimator, ("k",), brushed)
    assert shown[-1].brush_seconds == pytest.approx(2.0 * brushed.brush_seconds)  # corrected as the run is


def test_a_first_calibration_waits_for_the_other_background_jobs(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    """A decode beside the timing on 2 cores made the first guess 1.5-3x too long."""
    import threading

    from nst_desktop.gui import background
    from nst_desktop.gui import estimator as estimator_module

    timed_with_others: list[int] = []

    def fake_forecast(*args: object) -> tuple[Forecast, str]:
        timed_with_others.append(background.pending() - 1)  # the other jobs while "timing"
        return FakeEstimate(100.0, 10), "CPU"

    monkeypatch.setattr(estimator_module, "_forecast", fake_forecast)
    gate = threading.Event()
    decode = background.run_in_background(gate.wait, 10)  # the photo still being read
    estimator = Estimator(debounce_ms=0)
    shown: list[Forecast] = []
    estimator.estimated.connect(lambda estimate, device: shown.append(estimate))
    estimator.request(DEFAULTS, (768, 1024), 1)
    qtbot.wait(500)
    assert shown == [] and estimator.busy()  # waiting, not timing beside the decode
    gate.set()
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert timed_with_others == [0] and not decode.running()
