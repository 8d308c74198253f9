"""The masked Wasserstein-2 style loss: masked means and covariances, the unmasked loss under a
mask of ones, and a real masked W2 run that keeps the photo where asked."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nst_desktop.engine.losses.masked_loss import MaskedStyle, masked_style_loss
from nst_desktop.engine.losses.statistics import FeatureStats, MaskedFeatureStats
from nst_desktop.engine.losses.terms import W2_GAIN, Targets, style_targets, total_loss
from nst_desktop.engine.losses.wasserstein import GaussianStats, W2Target, w2_distance, w2_target
from nst_desktop.engine.run.stylize import resize, stylize, to_array
from nst_desktop.engine.spec.events import StyleInput
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.region_masks import MaskSettings, Region, RegionMask

CPU = torch.device("cpu")


def feature_stats(features: torch.Tensor) -> GaussianStats:
    return FeatureStats(features).gaussian()


def masked_stats(features: torch.Tensor, mask: torch.Tensor) -> GaussianStats:
    return MaskedFeatureStats(features, mask).gaussian()


def w2_squared(features: torch.Tensor, target: W2Target) -> torch.Tensor:
    return w2_distance(*FeatureStats(features).w2_parts(target), target)


def masked_w2_squared(features: torch.Tensor, mask: torch.Tensor, target: W2Target) -> torch.Tensor:
    return w2_distance(*MaskedFeatureStats(features, mask).w2_parts(target), target)


def _one_layer(mode: str = "size_invariant") -> Params:
    # Style weight 1: masked_style_loss is the unweighted style term, total_loss's "style" is weighted.
    return Params(style_layers=("relu1_1",), style_layer_weights=(1.0,), content_layers=("relu1_1",),
                  content_layer_weights=(1.0,), tv_weight=0.0, style_weight=1.0, device="cpu",
                  style_loss="wasserstein", loss_normalisation=mode)


def test_masked_mean_and_covariance_match_a_hand_computation() -> None:
    # 2 channels at 1x3 positions: f(p) = (1, 2), (3, 0), (0, 1); weights 1, 0.5, 0 (sum 1.5)
    features = torch.tensor([[[[1.0, 3.0, 0.0]], [[2.0, 0.0, 1.0]]]])
    mask = torch.tensor([[1.0, 0.5, 0.0]])
    # mean = (1*(1, 2) + 0.5*(3, 0)) / 1.5 = (2.5, 2) / 1.5 = (5/3, 4/3)
    mean = torch.tensor([5.0 / 3.0, 4.0 / 3.0])
    # sum m f f^T / W = [[5.5, 2], [2, 4]] / 1.5 (the masked Gram), minus mean mean^T
    second = torch.tensor([[5.5, 2.0], [2.0, 4.0]]) / 1.5
    stats = masked_stats(features, mask)
    torch.testing.assert_close(stats.mean, mean)
    torch.testing.assert_close(stats.cov, second - torch.outer(mean, mean))
    channels_last = features.contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(masked_stats(channels_last, mask).cov, stats.cov)
    whole = feature_stats(features)  # a mask of ones is the unmasked Gaussian fit
    ones = masked_stats(features, torch.ones(1, 3))
    torch.testing.assert_close(ones.mean, whole.mean)
    torch.testing.assert_close(ones.cov, whole.cov)


@pytest.mark.parametrize("channels, hw", [(8, (4, 5)), (32, (3, 4))])  # the C x C and the n x n form
@pytest.mark.parametrize("mode", ["size_invariant", "pastiche"])
def test_a_mask_of_everything_with_the_runs_blend_is_the_unmasked_w2_loss(channels: int, hw: tuple[int, int],
                                                                         mode: str) -> None:
    gen = torch.Generator().manual_seed(channels)
    feats = torch.rand(1, channels, *hw, generator=gen)
    sources = [feature_stats(torch.rand(1, channels, 6, 7, generator=gen)) for _ in range(2)]
    tg = Targets({}, style_targets({"relu1_1": sources}, [0.75, 0.25], mode), {"relu1_1": sources})
    params = _one_layer(mode)
    plain = total_loss({"relu1_1": feats}, torch.zeros(1, 3, *hw), Targets({"relu1_1": feats}, tg.style,
                                                                          tg.sources), params)["style"]
    whole = RegionMask(np.ones((2 * hw[0], 2 * hw[1]), np.uint8),
                       MaskSettings((Region(1, (0, 1), (3.0, 1.0)),)))
    masked = masked_style_loss({"relu1_1": feats}, tg, MaskedStyle(whole, CPU), params)
    torch.testing.assert_close(masked, plain, rtol=1e-5, atol=1e-7)


def test_a_region_is_its_area_times_the_w2_loss_of_its_own_features() -> None:
    gen = torch.Generator().manual_seed(3)
    feats = torch.rand(1, 4, 6, 8, generator=gen)
    source = feature_stats(torch.rand(1, 4, 5, 5, generator=gen))
    tg = Targets({}, style_targets({"relu1_1": [source]}, [1.0], "size_invariant"), {"relu1_1": [source]})
    labels = np.zeros((12, 16), np.uint8)
    labels[:, 8:] = 1  # the right half, on a grid twice as fine as the features'
    half = RegionMask(labels, MaskSettings((Region(1, (0,)),), feather_px=0.0))
    got = masked_style_loss({"relu1_1": feats}, tg, MaskedStyle(half, CPU), _one_layer())
    target = w2_target(source)
    right = w2_squared(feats[..., 4:], target)  # the region's features alone, unmasked
    torch.testing.assert_close(got, 0.5 * W2_GAIN * right / target.energy, rtol=1e-5, atol=1e-7)
    weights = torch.zeros(6, 8)
    weights[:, 4:] = 1.0
    torch.testing.assert_close(masked_w2_squared(feats, weights, target), right, rtol=1e-5, atol=1e-7)


def test_the_masked_w2_gradient_flows_only_where_the_region_is() -> None:
    gen = torch.Generator().manual_seed(4)
    feats = torch.rand(1, 4, 6, 8, generator=gen).requires_grad_(True)
    target = w2_target(feature_stats(torch.rand(1, 4, 5, 5, generator=gen) * 3))
    weights = torch.zeros(6, 8)
    weights[:, :3] = 1.0
    masked_w2_squared(feats, weights, target).backward()
    assert feats.grad is not None
    assert float(feats.grad[..., 3:].abs().max()) == 0.0 and float(feats.grad[..., :3].abs().max()) > 0


@pytest.mark.slow
def test_a_masked_w2_run_keeps_the_photo_where_asked(photo, painting) -> None:
    """A tiny real run (64 px): left half kept as the photo, right half Starry Night, W2 loss."""
    params = Params(size=64, min_size=64, steps=25, coarse_steps=0, device="cpu", precision="float32",
                    style_loss="wasserstein", style_weight=3.0)
    labels = np.zeros(photo.shape[:2], np.uint8)
    labels[:, photo.shape[1] // 2:] = 1
    mask = RegionMask(labels, MaskSettings((Region(1, (0,)),), feather_px=2.0))
    result = stylize(photo, [StyleInput(painting)], params, mask=mask)
    assert np.isfinite(result.image).all() and result.steps_done == 25
    start = to_array(resize(torch.from_numpy(photo).permute(2, 0, 1)[None], result.image.shape[:2]))
    w = result.image.shape[1]
    kept = np.abs(result.image - start)[:, : w // 2 - 6].mean()
    styled = np.abs(result.image - start)[:, w // 2 + 6:].mean()
    assert styled > 0.05  # the style painted the right half (measured 0.16; unmasked, the left: 0.18)...
    assert kept < 0.025 and kept < 0.2 * styled  # ...and the left half stayed the photo (measured 0.017)
