"""RunState's countdown: the cost model's remaining work, at the speed the run has shown (issue 8.4)."""

from __future__ import annotations

import pytest
import torch

from nst_desktop.engine import cost, runstate
from nst_desktop.engine.cost import Speed, scale_costs
from nst_desktop.engine.events import ProgressEvent
from nst_desktop.engine.params import Params
from nst_desktop.engine.runstate import RunState

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
