"""The sliced Wasserstein style loss in a whole run (engine.run.stylize): it paints, a run repeats
to the bit, and every evaluation of one L-BFGS step's closure sees one set of directions, new at
the next step."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch import Tensor

from nst_desktop.engine.losses import terms
from nst_desktop.engine.losses.sliced import SlicedTarget
from nst_desktop.engine.run import stylize as stylize_module
from nst_desktop.engine.run.stylize import stylize
from nst_desktop.engine.spec.events import ProgressEvent, StyleInput
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.region_masks import MaskSettings, Region, RegionMask
from tests.engine.conftest import keep_steps

SLICED = Params(size=48, min_size=32, steps=8, coarse_steps=3, device="cpu", style_loss="sliced")


def test_a_sliced_run_paints_and_repeats_to_the_bit(photo, painting) -> None:
    events: list[ProgressEvent] = []
    first = stylize(photo, [StyleInput(painting)], SLICED, callback=keep_steps(events))
    again = stylize(photo, [StyleInput(painting)], SLICED)
    assert np.array_equal(first.image, again.image)
    styles = [e.losses["style"] for e in events if e.scale_index == e.scale_count - 1]
    assert min(styles[1:]) < 0.8 * styles[0]  # the style term falls at the last scale
    other_seed = stylize(photo, [StyleInput(painting)], SLICED.with_changes(seed=1))
    assert not np.array_equal(first.image, other_seed.image)


def test_one_set_of_directions_per_lbfgs_step(photo, painting, monkeypatch: pytest.MonkeyPatch) -> None:
    """L-BFGS here takes one closure evaluation a step; with three (max_iter=3) every evaluation of
    one step must still read that step's directions, and the next step new ones."""
    real_optimizer = stylize_module._optimizer

    def three_evaluations(params: Params, x: Tensor) -> torch.optim.Optimizer:
        opt = real_optimizer(params, x)
        opt.param_groups[0]["max_iter"] = 3
        return opt

    log: list[tuple[str, Any]] = []
    real_for_step, real_term = stylize_module.targets_for_step, terms.style_term

    def for_step(*args: Any) -> Any:
        log.append(("step", args[3]))
        return real_for_step(*args)

    def term(stats: Any, target: Any, mode: Any) -> Tensor:
        assert isinstance(target, SlicedTarget) and target.directions is not None
        log.append(("evaluation", target.directions))
        return real_term(stats, target, mode)

    monkeypatch.setattr(stylize_module, "_optimizer", three_evaluations)
    monkeypatch.setattr(stylize_module, "targets_for_step", for_step)
    monkeypatch.setattr(terms, "style_term", term)
    one_layer = SLICED.with_changes(steps=3, coarse_steps=2, style_layers=("relu1_1",),
                                    style_layer_weights=(1.0,))
    stylize(photo, [StyleInput(painting)], one_layer)
    steps: list[list[Tensor]] = []
    for kind, value in log:
        if kind == "step":
            steps.append([])
        else:
            steps[-1].append(value)
    assert [value for kind, value in log if kind == "step"] == list(range(len(steps)))
    assert len(steps) == 5 and all(len(seen) >= 2 for seen in steps)  # several evaluations a step
    for seen in steps:
        assert all(torch.equal(seen[0], d) for d in seen)
    assert not any(torch.equal(a[0], b[0]) for a, b in zip(steps, steps[1:], strict=False))


def test_a_masked_sliced_run_paints_each_region(photo, painting, scream) -> None:
    labels = np.zeros(photo.shape[:2], np.uint8)
    labels[:, photo.shape[1] // 2:] = 1
    mask = RegionMask(labels, MaskSettings((Region(1, (1,)),), feather_px=2.0, unpainted="style"))
    result = stylize(photo, [StyleInput(painting), StyleInput(scream)], SLICED, mask=mask)
    plain = stylize(photo, [StyleInput(painting), StyleInput(scream)], SLICED)
    assert np.isfinite(result.losses["total"]) and result.losses["style"] > 0
    half = photo.shape[1] // 2 * result.image.shape[1] // photo.shape[1]
    # The left half (the run's blend in both) differs less than the right (The Scream alone there).
    left = np.abs(result.image[:, :half - 4] - plain.image[:, :half - 4]).mean()
    right = np.abs(result.image[:, half + 4:] - plain.image[:, half + 4:]).mean()
    assert right > left
