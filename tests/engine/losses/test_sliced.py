"""The sliced Wasserstein style loss (engine.losses.sliced): zero at the style, equal to a slow
reference on small tensors (equal and unequal counts, masked weights, blends), its directions
repeatable per step, and its place in total_loss, the masked loss and stylize."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import Tensor

from nst_desktop.engine.losses import sliced
from nst_desktop.engine.losses.masked_loss import MaskedStyle, masked_style_loss
from nst_desktop.engine.losses.sliced import (
    SlicedTarget,
    mix_samples,
    samples_of,
    sliced_distance,
    sliced_target,
    step_directions,
)
from nst_desktop.engine.losses.statistics import FeatureStats, MaskedFeatureStats
from nst_desktop.engine.losses.terms import (
    SLICED_GAIN,
    Targets,
    style_source,
    style_targets,
    style_term,
    targets_for_step,
    total_loss,
)
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.region_masks import MaskSettings, Region, RegionMask

CPU = torch.device("cpu")
SLICED = Params(style_loss="sliced", style_layers=("relu1_1",), style_layer_weights=(1.0,), style_weight=1.0,
                content_layers=("relu1_1",), content_layer_weights=(0.0,), tv_weight=0.0, device="cpu")


def _features(seed: int, channels: int, h: int, w: int) -> Tensor:
    """(1, C, h, w) ReLU-like features."""
    gen = torch.Generator().manual_seed(seed)
    return torch.relu(torch.randn(1, channels, h, w, generator=gen) + 0.3)


def _quantile_slow(values: np.ndarray, weights: np.ndarray, u: float) -> float:
    """The weighted quantile function of ``values`` at ``u``, written the long way: sorted values
    placed at the middle of their share of the cumulative weight, linear between, flat outside."""
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order] / weights.sum()
    mids = np.cumsum(w) - w / 2
    return float(np.interp(u, mids, v))


def _sliced_slow(image: np.ndarray, image_w: np.ndarray, style: np.ndarray, style_w: np.ndarray,
                 directions: np.ndarray) -> float:
    """SW^2 in float64 with Python loops: per direction, each image position's projection against
    the style's quantile at the middle of its share of the image's cumulative weight."""
    total = 0.0
    for d in directions.T:
        p, s = image @ d, style @ d
        order = np.argsort(p, kind="stable")
        w = image_w[order] / image_w.sum()
        mids = np.cumsum(w) - w / 2
        total += sum(wi * (p[i] - _quantile_slow(s, style_w, u)) ** 2
                     for wi, i, u in zip(w, order, mids, strict=True))
    return total / directions.shape[1]


def _target(rows: Tensor, directions: Tensor, weights: Tensor | None = None) -> SlicedTarget:
    samples = samples_of(rows)
    if weights is not None:
        samples = type(samples)(samples.rows, weights / weights.sum(), samples.energy)
    return sliced_target(samples, directions)


def test_zero_for_identical_features_and_positive_otherwise() -> None:
    feats = _features(0, 8, 6, 7)
    stats = FeatureStats(feats)
    directions = step_directions({"relu1_1": 8}, seed=3, step=0)["relu1_1"]
    target = sliced_target(stats.samples(), directions)
    assert float(style_term(stats, target, "size_invariant")) == 0.0
    # The same features in another order: the same distribution, still zero.
    shuffled = feats.flatten(2)[..., torch.randperm(42, generator=torch.Generator().manual_seed(1))]
    assert float(style_term(FeatureStats(shuffled.reshape(feats.shape)), target, "size_invariant")) < 1e-12
    assert float(style_term(FeatureStats(_features(1, 8, 6, 7)), target, "size_invariant")) > 1e-3


@pytest.mark.parametrize("n_image, n_style", [(30, 30), (30, 17), (12, 41)])
def test_equals_the_slow_reference_with_equal_and_unequal_counts(n_image: int, n_style: int) -> None:
    gen = torch.Generator().manual_seed(n_image + n_style)
    image, style = torch.randn(n_image, 5, generator=gen), torch.randn(n_style, 5, generator=gen) * 2 + 1
    directions = step_directions({"x": 5}, seed=0, step=n_style)["x"]
    got = float(sliced_distance((image @ directions).T, None, _target(style, directions)))
    ones_i, ones_s = np.ones(n_image), np.ones(n_style)
    want = _sliced_slow(image.double().numpy(), ones_i, style.double().numpy(), ones_s,
                        directions.double().numpy())
    assert got == pytest.approx(want, rel=1e-5)


def test_equals_the_slow_reference_with_weighted_positions_and_a_weighted_style() -> None:
    """A region's soft mask weights the image's positions (zeros included); a blend weights the
    style's samples."""
    gen = torch.Generator().manual_seed(7)
    image, style = torch.randn(25, 4, generator=gen), torch.randn(33, 4, generator=gen)
    image_w = torch.rand(25, generator=gen) * (torch.rand(25, generator=gen) > 0.3)
    style_w = torch.rand(33, generator=gen) + 0.1
    directions = step_directions({"x": 4}, seed=5, step=2)["x"]
    got = float(sliced_distance((image @ directions).T, image_w, _target(style, directions, style_w)))
    want = _sliced_slow(image.double().numpy(), image_w.double().numpy(), style.double().numpy(),
                        style_w.double().numpy(), directions.double().numpy())
    assert got == pytest.approx(want, rel=1e-5)


def test_the_gradient_is_each_positions_pull_to_its_quantile() -> None:
    """Autograd through the sort: d SW^2 / dp_i = 2 (p_i - Q(u_i)) / (n K), checked by finite differences."""
    gen = torch.Generator().manual_seed(4)
    image, style = torch.randn(20, 3, generator=gen), torch.randn(13, 3, generator=gen)
    directions = step_directions({"x": 3}, seed=0, step=0)["x"]
    target = _target(style, directions)
    leaf = image.clone().requires_grad_(True)
    sliced_distance((leaf @ directions).T, None, target).backward()
    assert leaf.grad is not None
    numeric = torch.zeros_like(image)
    for i in range(20):
        for c in range(3):
            bumped = [image.clone(), image.clone()]
            # A quadratic while the order holds: small steps, so no near tie flips (1e-2 flipped some).
            bumped[0][i, c] += 3e-4
            bumped[1][i, c] -= 3e-4
            values = [float(sliced_distance((b @ directions).T, None, target)) for b in bumped]
            numeric[i, c] = (values[0] - values[1]) / 6e-4
    assert float((leaf.grad - numeric).abs().max()) < 0.01 * float(leaf.grad.abs().max())


def test_directions_are_unit_repeatable_per_step_and_new_at_the_next() -> None:
    channels = {"relu1_1": 64, "relu2_1": 128}
    first, again = step_directions(channels, 0, 5), step_directions(channels, 0, 5)
    later, other_seed = step_directions(channels, 0, 6), step_directions(channels, 1, 5)
    for layer, c in channels.items():
        assert first[layer].shape == (c, c)
        torch.testing.assert_close(first[layer].norm(dim=0), torch.ones(c))
        assert torch.equal(first[layer], again[layer])
        assert not torch.equal(first[layer], later[layer])
        assert not torch.equal(first[layer], other_seed[layer])


def _sliced_targets(style_feats: list[Tensor], blend: list[float], params: Params, step: int) -> Targets:
    sources = {"relu1_1": [style_source(FeatureStats(f), params) for f in style_feats]}
    unsliced = Targets({}, style_targets(sources, blend, params.loss_normalisation), sources)
    return targets_for_step(unsliced, blend, params, step)


def test_total_loss_slices_each_step_and_normalises_by_the_styles_energy() -> None:
    style, image = _features(2, 8, 10, 12), _features(3, 8, 9, 9)
    tg = _sliced_targets([style], [1.0], SLICED, step=4)
    assert torch.equal(tg.directions["relu1_1"], step_directions({"relu1_1": 8}, 0, 4)["relu1_1"])
    target = tg.style["relu1_1"][0][0]
    assert isinstance(target, SlicedTarget)
    energy = style.flatten(2)[0].square().sum(0).mean() / 8  # E|f|^2 / C
    raw = sliced_distance(FeatureStats(image).projections(tg.directions["relu1_1"])[0], None, target)
    loss = total_loss({"relu1_1": image}, torch.zeros(1, 3, 9, 9), tg, SLICED)["style"]
    assert float(loss) == pytest.approx(float(SLICED_GAIN * raw / energy), rel=1e-6)
    # Scaling the features (another weight set's units) leaves the size-invariant term unchanged.
    scaled = _sliced_targets([5 * style], [1.0], SLICED, step=4)
    assert float(total_loss({"relu1_1": 5 * image}, torch.zeros(1, 3, 9, 9), scaled, SLICED)["style"]) == \
        pytest.approx(float(loss), rel=1e-4)
    # Another step, other directions, another value (the loss is resampled).
    other = _sliced_targets([style], [1.0], SLICED, step=5)
    resampled = total_loss({"relu1_1": image}, torch.zeros(1, 3, 9, 9), other, SLICED)["style"]
    assert float(resampled) != float(loss)


def test_a_blend_is_the_mixture_of_the_styles_samples() -> None:
    a, b = _features(5, 4, 6, 6), _features(6, 4, 4, 8) * 3
    mixed = mix_samples([samples_of(a.flatten(2)[0].T), samples_of(b.flatten(2)[0].T)], [0.25, 0.75])
    assert mixed.weights is not None and float(mixed.weights.sum()) == pytest.approx(1.0)
    assert float(mixed.weights[:36].sum()) == pytest.approx(0.25)
    # The mixture of a style with itself is that style: the loss of its own features is zero.
    self_mix = _sliced_targets([a, a], [0.5, 0.5], SLICED, step=0)
    assert float(total_loss({"relu1_1": a}, torch.zeros(1, 3, 6, 6), self_mix, SLICED)["style"]) < 1e-10


def test_a_mask_covering_everything_gives_the_unmasked_loss_and_a_region_its_own() -> None:
    style_a, style_b, image = _features(7, 8, 8, 8), _features(8, 8, 8, 8) * 2, _features(9, 8, 8, 8)
    tg = _sliced_targets([style_a, style_b], [0.5, 0.5], SLICED, step=1)
    whole = RegionMask(np.ones((8, 8), np.uint8), MaskSettings((Region(1, (0, 1)),), feather_px=0.0))
    masked = masked_style_loss({"relu1_1": image}, tg, MaskedStyle(whole, CPU), SLICED)
    plain = total_loss({"relu1_1": image}, torch.zeros(1, 3, 8, 8), tg, SLICED)["style"]
    assert float(masked) == pytest.approx(float(plain), rel=1e-5)
    # The left half painted with style b alone: its term is that of the left half's features
    # against style b's samples, weighted by its area fraction.
    labels = np.ones((8, 8), np.uint8)
    labels[:, 4:] = 0
    half = RegionMask(labels, MaskSettings((Region(1, (1,)),), feather_px=0.0, unpainted="keep_photo"))
    got = masked_style_loss({"relu1_1": image}, tg, MaskedStyle(half, CPU), SLICED)
    target_b = sliced_target(samples_of(style_b.flatten(2)[0].T), tg.directions["relu1_1"])
    mask = torch.from_numpy(labels == 1).float()
    want = 0.5 * style_term(MaskedFeatureStats(image, mask), target_b, "size_invariant")
    left = FeatureStats(image[..., :4].contiguous())
    assert float(got) == pytest.approx(float(want), rel=1e-5)
    assert float(want) == pytest.approx(0.5 * float(style_term(left, target_b, "size_invariant")), rel=1e-5)


def test_the_cpu_sorts_order_as_torchs_stable_sort() -> None:
    """The NumPy sorts (engine.losses.sliced, ~3-10x faster on a CPU): negatives, zeros of both
    signs, ties (in position order) and large values, against torch.sort(stable=True)."""
    gen = torch.Generator().manual_seed(11)
    values = torch.randn(6, 500, generator=gen) * torch.tensor([1e-3, 1.0, 1e3, 1e30, 1.0, 1.0])[:, None]
    values[4] = torch.randint(-3, 4, (500,), generator=gen).float()  # many ties
    values[5, ::2], values[5, 1::2] = 0.0, -0.0
    want = torch.sort(values, dim=1, stable=True)
    order = sliced._sort_order(values)
    assert torch.equal(values.gather(1, order), want.values)
    assert torch.equal(order[:5], want.indices[:5])  # -0.0 == 0.0 for torch: row 5 only by value
    assert torch.equal(sliced._sorted_values(values), want.values)
