"""Tests that fail when a feature silently stops working (issue 10, point 1).

Each test drives the public :func:`stylize` on tiny images (32 px, a few steps, float32 on
the CPU, the real built-in weights) and checks an observable effect of one feature, so it
fails when that feature is switched off even though the run still "works": colour modes,
blend weights, style scale, starting from the style, paused time, and the L-BFGS restart.

Two facts about the engine the tests lean on (both part of its contract):

* L-BFGS runs one evaluation per step (``max_iter=1``), evaluated before the update, so the
  best image after step 1 is the start image and the first preview (``preview_every=1``)
  shows exactly the start image of the run, recoloured for display.
* ``RunResult.losses`` are the terms of the best (lowest-loss) image of the last scale.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from nst_desktop.engine.run import bounds
from nst_desktop.engine.run.stylize import stylize
from nst_desktop.engine.spec.control import RunControl
from nst_desktop.engine.spec.events import ProgressEvent, RunResult, StyleInput
from nst_desktop.engine.spec.params import Params
from tests.engine.conftest import keep_steps

# One 24x32 scale, three steps: ~0.1 s a run once the weights are loaded. No start noise: the
# start image is exactly what ``init`` names, so the first preview shows it as prepared.
TINY = Params(size=32, min_size=32, steps=3, coarse_steps=0, device="cpu", precision="float32",
              init_noise=0.0)

# NTSC RGB -> YIQ, written out here rather than taken from engine.losses.colour so that the colour
# tests do not check the engine against itself.
_YIQ = np.array(
    [[0.299, 0.587, 0.114], [0.595716, -0.274453, -0.321263], [0.211456, -0.522591, 0.311135]],
    dtype=np.float64,
)


def _yiq(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB -> (3, H, W) YIQ, float64."""
    return np.einsum("ij,hwj->ihw", _YIQ, image.astype(np.float64))


def _resized(image: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """PIL bicubic resize of a 0..1 float image (independent of the engine's resize)."""
    u8 = Image.fromarray((np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8))
    return np.asarray(u8.resize((hw[1], hw[0]), Image.BICUBIC), dtype=np.float32) / 255.0


def _first_preview(events: list[ProgressEvent]) -> np.ndarray:
    preview = events[0].preview
    assert preview is not None, "run with preview_every=1 so that step 1 carries a preview"
    return preview.astype(np.float32) / 255.0


def _run(photo: np.ndarray, styles: list[StyleInput], params: Params,
         **kwargs: Any) -> tuple[RunResult, list[ProgressEvent]]:
    events: list[ProgressEvent] = []
    result = stylize(photo, styles, params, callback=keep_steps(events), preview_every=1, **kwargs)
    return result, events


@pytest.fixture(scope="module")
def red_painting(painting: np.ndarray) -> np.ndarray:
    """The Starry Night tinted red: a real brush-stroke texture whose colours (and
    luminance) are far from the photo's, so a colour mode that does nothing shows."""
    return np.ascontiguousarray(painting * np.array([1.0, 0.35, 0.2], np.float32))


# --- a. luminance-only transfer -------------------------------------------------------------


def test_luminance_mode_result_has_the_photos_chroma(photo: np.ndarray, red_painting: np.ndarray) -> None:
    # Start from the red style so that, without the chroma put back, the output is red.
    result, _ = _run(photo, [StyleInput(red_painting)], TINY.with_changes(colour="luminance", init="style"))
    h, w = result.image.shape[:2]
    photo_iq = _yiq(_resized(photo, (h, w)))[1:]
    style_iq = _yiq(_resized(red_painting, (h, w)))[1:]
    assert np.abs(style_iq - photo_iq).mean() > 0.05  # precondition: the style's chroma differs
    # Only resampling and the final clamp to 0..1 separate the two.
    assert np.abs(_yiq(result.image)[1:] - photo_iq).mean() < 0.01


def test_luminance_mode_transfers_the_styles_luminance_matched_to_the_photo(
    photo: np.ndarray, red_painting: np.ndarray
) -> None:
    # Gatys 2017: in luminance mode the style is reduced to its luminance, shifted and
    # scaled to the photo's luminance mean and spread. With init="style" the first preview
    # shows that preprocessed style (with the photo's chroma put back, which leaves Y alone).
    _, events = _run(photo, [StyleInput(red_painting)], TINY.with_changes(colour="luminance", init="style"))
    y_start = _yiq(_first_preview(events))[0]
    y_photo, y_style = _yiq(photo)[0], _yiq(red_painting)[0]
    assert abs(y_style.mean() - y_photo.mean()) > 0.1  # precondition: the raw style is much darker
    assert abs(y_start.mean() - y_photo.mean()) < 0.02
    assert abs(y_start.std() - y_photo.std()) < 0.02
    # and the start image is the style, not the photo: its structure follows the style's Y.
    y_style_small = _yiq(_resized(red_painting, y_start.shape))[0]
    y_photo_small = _yiq(_resized(photo, y_start.shape))[0]
    assert np.corrcoef(y_start.ravel(), y_style_small.ravel())[0, 1] > 0.9
    assert np.corrcoef(y_start.ravel(), y_photo_small.ravel())[0, 1] < 0.5


# --- b. histogram matching ------------------------------------------------------------------


def test_histogram_mode_recolours_the_style_to_the_photos_colour_statistics(
    photo: np.ndarray, red_painting: np.ndarray
) -> None:
    # With init="style" the first preview is the style as the loss sees it: after histogram
    # matching its colour mean and covariance are the photo's (Gatys 2017), not the style's.
    _, events = _run(photo, [StyleInput(red_painting)], TINY.with_changes(colour="histogram", init="style"))
    start = _first_preview(events).reshape(-1, 3).astype(np.float64)
    photo_px = photo.reshape(-1, 3).astype(np.float64)
    style_px = red_painting.reshape(-1, 3).astype(np.float64)
    assert np.abs(style_px.mean(0) - photo_px.mean(0)).max() > 0.2  # precondition: far apart
    assert np.abs(start.mean(0) - photo_px.mean(0)).max() < 0.02
    # Clamping to 0..1 and resizing shrink the covariance a little; the style's own differs
    # from the photo's by ~0.02-0.04 in several entries.
    assert np.abs(np.cov(style_px.T) - np.cov(photo_px.T)).max() > 0.015
    assert np.abs(np.cov(start.T) - np.cov(photo_px.T)).max() < 0.008


# --- c. blend weights -----------------------------------------------------------------------


def test_blend_weights_decide_how_much_each_style_counts(
    photo: np.ndarray, painting: np.ndarray, scream: np.ndarray
) -> None:
    # A style with blend weight 0 contributes nothing: the blend then paints exactly what
    # the other style alone paints. Equal weights (weights ignored) would mix both.
    params = TINY.with_changes(steps=4)
    only_starry = stylize(photo, [StyleInput(painting)], params).image
    only_scream = stylize(photo, [StyleInput(scream)], params).image
    assert np.abs(only_starry - only_scream).mean() > 0.01  # precondition: the styles differ
    starry_blend = stylize(photo, [StyleInput(painting, 1.0), StyleInput(scream, 0.0)], params).image
    scream_blend = stylize(photo, [StyleInput(painting, 0.0), StyleInput(scream, 2.5)], params).image
    np.testing.assert_allclose(starry_blend, only_starry, atol=1e-5)
    np.testing.assert_allclose(scream_blend, only_scream, atol=1e-5)


# --- d. style scale -------------------------------------------------------------------------


def test_style_scale_changes_the_picture(photo: np.ndarray, painting: np.ndarray) -> None:
    # The style is resized to style_scale^2 times the output's area before its Gram
    # matrices are taken: smaller or bigger brush strokes, hence a different picture.
    # (At this size a style_scale below 1 hits the 16 px floor of the style size, so only
    # the larger scales are compared with the default.)
    fine = stylize(photo, [StyleInput(painting)], TINY.with_changes(style_scale=0.5)).image
    coarse = stylize(photo, [StyleInput(painting)], TINY.with_changes(style_scale=2.0)).image
    normal = stylize(photo, [StyleInput(painting)], TINY).image
    assert np.abs(fine - coarse).mean() > 0.005  # measured 0.016; identical if ignored
    assert np.abs(coarse - normal).mean() > 0.005


# --- e. start from the style ----------------------------------------------------------------


def test_init_style_starts_from_the_style_image(photo: np.ndarray, painting: np.ndarray) -> None:
    _, events = _run(photo, [StyleInput(painting)], TINY.with_changes(init="style"))
    start = _first_preview(events)
    hw = start.shape[:2]
    # The style is stretched to the output's size; only resampling filters differ.
    assert np.abs(start - _resized(painting, hw)).mean() < 0.03
    assert np.abs(start - _resized(photo, hw)).mean() > 0.1
    # while the default start is the photo
    _, content_events = _run(photo, [StyleInput(painting)], TINY)
    assert np.abs(_first_preview(content_events) - _resized(photo, hw)).mean() < 0.03


# --- f. paused time -------------------------------------------------------------------------


def test_time_spent_paused_is_not_counted_as_run_time(photo: np.ndarray, painting: np.ndarray) -> None:
    control = RunControl()
    marks: dict[str, float] = {}
    events: list[ProgressEvent] = []

    def resume() -> None:
        marks["resumed"] = time.perf_counter()
        control.resume()

    def pause_after_step_one(event: ProgressEvent) -> None:
        if not event.is_step:
            return
        events.append(event)
        if event.total_step == 1:  # runs on the engine's thread; a timer resumes it
            marks["paused"] = time.perf_counter()
            control.pause()
            threading.Timer(0.5, resume).start()

    start = time.perf_counter()
    result = stylize(photo, [StyleInput(painting)], TINY, callback=pause_after_step_one, control=control)
    wall = time.perf_counter() - start
    paused = marks["resumed"] - marks["paused"]
    assert paused >= 0.5 and len(events) == 3 and not result.stopped
    # Run time is the call's wall time less the pause. The slack covers the moments between
    # the timestamps and the engine's own clock readings; counting the pause would add 0.5 s.
    for elapsed in (result.elapsed_s, events[-1].elapsed_s):
        assert wall - paused - 0.3 <= elapsed <= wall - paused + 0.1
    assert events[0].elapsed_s <= events[-1].elapsed_s <= result.elapsed_s


# --- g. L-BFGS restart ----------------------------------------------------------------------


def _overshoot_at(step: int, factor: float) -> tuple[Callable[..., Any], dict[str, int]]:
    """A torch.optim.LBFGS.step that, at call ``step``, moves the image ``factor`` times
    further along its update: the overshoot L-BFGS without a line search makes early in a
    scale, made to happen at a known step."""
    real = torch.optim.LBFGS.step
    calls = {"n": 0}

    def step_fn(self: torch.optim.LBFGS, closure: Callable[[], float]) -> Any:
        x = self.param_groups[0]["params"][0]
        before = x.detach().clone()
        out = real(self, closure)
        calls["n"] += 1
        if calls["n"] == step:
            with torch.no_grad():
                x.add_((x - before) * factor)
        return out

    return step_fn, calls


def test_lbfgs_goes_back_to_the_best_image_after_an_overshoot(
    photo: np.ndarray, painting: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    # After the overshoot the loss is ~100 times the best. The engine then restarts L-BFGS
    # from the best image of the scale with a fresh history: the very next evaluation is of
    # that image again (same pixels, same loss), and the run goes on improving from there.
    # Without the restart the next evaluation is wherever L-BFGS's stale curvature pairs
    # (which now span the jump) send it; in older engines it never got back below the best.
    overshoot_step = 5
    step_fn, calls = _overshoot_at(overshoot_step, 100.0)
    monkeypatch.setattr(torch.optim.LBFGS, "step", step_fn)
    # The step cap (engine.run.bounds) would shorten this jump first; the restart is the guard
    # behind it (a step under the cap can still blow the loss up), tested here on its own.
    monkeypatch.setattr(bounds, "STEP_CAP_RMS", 0.0)
    result = stylize(photo, [StyleInput(painting)], TINY.with_changes(steps=16))
    assert calls["n"] >= overshoot_step  # the engine used torch's L-BFGS, so the overshoot happened
    totals = [h["total"] for h in result.loss_history]
    best_before = min(totals[:overshoot_step])
    # history[i] is the loss evaluated at the start of step i + 1: the jump shows at index 5,
    # above the 10x of the best that marks a step as astray (stylize.LBFGS_BLOWUP_FACTOR).
    assert totals[overshoot_step] > 20 * best_before
    assert totals[overshoot_step + 1] == pytest.approx(best_before, rel=1e-5)  # back at the best image
    assert result.losses["total"] < 0.8 * best_before  # and progress came after the jump
