"""RunState's countdown: the cost model's remaining work, at the speed the run has shown (issue 8.4)."""

from __future__ import annotations

import pytest
import torch

from nst_desktop.engine.run import cost, runstate
from nst_desktop.engine.run.cost import Speed, scale_costs
from nst_desktop.engine.run.runstate import RunState
from nst_desktop.engine.spec.events import ProgressEvent
from nst_desktop.engine.spec.params import Params

# Overhead-heavy like a CPU: a 32 px step costs far more than its pixels' share of a 64 px
# one, which a countdown weighting steps by pixel count gets badly wrong early in a run.
SPEED = Speed(flops_per_s=1e9, pass_overhead_s=0.05, new_size_s=0.02, float32=True)
PARAMS = Params(size=64, min_size=32, steps=10, coarse_steps=4, device="cpu", precision="float32")
SIZES, STEPS = [(32, 32), (64, 64)], [4, 10]
START_UP_S = 3.0  # model load etc. before the first scale: must not be extrapolated


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _run(monkeypatch: pytest.MonkeyPatch, slowness: float) -> tuple[list[ProgressEvent], float]:
    """Step through a run whose every part takes ``slowness`` x its modelled time."""
    monkeypatch.setattr(cost, "_last_speed", {(PARAMS.device, PARAMS.precision): SPEED})
    clock = Clock()
    monkeypatch.setattr(runstate.time, "perf_counter", clock)
    events: list[ProgressEvent] = []
    state = RunState(PARAMS, SIZES, STEPS, events.append, None, 0, "cpu", clock.now, lambda t: t, n_styles=2)
    clock.now += START_UP_S
    costs = scale_costs(PARAMS, SIZES, STEPS, 2, SPEED)
    for index, scale in enumerate(costs):
        state.start_scale(index, torch.zeros(1, 3, *scale.hw))
        clock.now += slowness * scale.setup_s
        for _ in range(scale.steps):
            clock.now += slowness * scale.step_s
            state.evaluated(torch.zeros(1, 3, *scale.hw), {"total": 1.0})
            state.step_done()
    return events, clock.now - 100.0


@pytest.mark.parametrize("slowness", [0.5, 1.0, 3.0])
def test_countdown_predicts_the_end_from_the_first_steps(monkeypatch: pytest.MonkeyPatch,
                                                         slowness: float) -> None:
    events, total = _run(monkeypatch, slowness)
    assert events[0].remaining_s == float("inf")  # one step says nothing yet
    for event in events[1:]:
        # elapsed + time left is the real end at every step, from the coarsest scale on
        assert event.elapsed_s + event.remaining_s == pytest.approx(total, rel=1e-9)
    assert events[-1].remaining_s == pytest.approx(0.0, abs=1e-9)


def test_countdown_is_the_estimate_scaled_by_the_measured_speed(monkeypatch: pytest.MonkeyPatch) -> None:
    events, _total = _run(monkeypatch, 2.0)
    modelled = sum(c.seconds for c in scale_costs(PARAMS, SIZES, STEPS, 2, SPEED))
    second = events[1]
    spent = second.elapsed_s - START_UP_S
    assert spent + second.remaining_s == pytest.approx(2.0 * modelled, rel=1e-9)


def test_a_live_edit_is_costed_in_the_time_left(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 16.7: a raised style scale makes the style set-ups dearer; from the edit on, the time
    left is the edited run's (its own re-targeting included), not the one it started as."""
    monkeypatch.setattr(cost, "_last_speed", {(PARAMS.device, PARAMS.precision): SPEED})
    clock = Clock()
    monkeypatch.setattr(runstate.time, "perf_counter", clock)
    events: list[ProgressEvent] = []
    state = RunState(PARAMS, SIZES, STEPS, events.append, None, 0, "cpu", clock.now, lambda t: t, n_styles=2)
    edited = PARAMS.with_changes(style_scale=3.0)
    before, after = scale_costs(PARAMS, SIZES, STEPS, 2, SPEED), scale_costs(edited, SIZES, STEPS, 2, SPEED)
    assert after[1].setup_s > 2 * before[1].setup_s  # what the run would otherwise not be told
    state.start_scale(0, torch.zeros(1, 3, *SIZES[0]))
    clock.now += before[0].setup_s
    for step in range(STEPS[0]):
        if step == 2:  # the edit lands before the third step: the targets are built again
            clock.now += after[0].setup_s
            state.edited(torch.zeros(1, 3, *SIZES[0]), {"style_scale": 3.0}, edited, rebuilt=True)
        clock.now += (before if step < 2 else after)[0].step_s
        state.evaluated(torch.zeros(1, 3, *SIZES[0]), {"total": 1.0})
        state.step_done()
    state.start_scale(1, torch.zeros(1, 3, *SIZES[1]))
    clock.now += after[1].setup_s
    for _ in range(STEPS[1]):
        clock.now += after[1].step_s
        state.evaluated(torch.zeros(1, 3, *SIZES[1]), {"total": 1.0})
        state.step_done()
    end = clock.now - 100.0
    for event in events[2:]:  # from the edit on, elapsed + time left is the real end
        assert event.elapsed_s + event.remaining_s == pytest.approx(end, rel=1e-9)
