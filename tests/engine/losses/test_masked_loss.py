"""The masked style loss: masked Grams, area normalisation, smooth borders, keep-photo regions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nst_desktop.engine.losses.masked_loss import (
    MIN_AREA_FRACTION,
    MaskedStyle,
    masked_style_loss,
    masked_total_loss,
    region_terms,
)
from nst_desktop.engine.losses.statistics import MaskedFeatureStats, gram_matrix
from nst_desktop.engine.losses.terms import Targets, style_targets, total_loss
from nst_desktop.engine.model.vgg import VGG19
from nst_desktop.engine.run.inputs import load_inputs, prepare, targets
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.region_masks import MaskSettings, Region, RegionMask

CPU = torch.device("cpu")


def masked_gram(features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return MaskedFeatureStats(features, mask).gram
# Style weight 1: masked_style_loss is the unweighted style term, total_loss's "style" is weighted.
ONE_LAYER = Params(style_layers=("relu1_1",), style_layer_weights=(1.0,), content_layers=("relu1_1",),
                   content_layer_weights=(1.0,), tv_weight=0.0, style_weight=1.0, device="cpu")


def test_masked_gram_matches_a_hand_computation() -> None:
    # 2 channels at 1x3 positions: f(p) = (1, 2), (3, 0), (0, 1); weights 1, 0.5, 0
    features = torch.tensor([[[[1.0, 3.0, 0.0]], [[2.0, 0.0, 1.0]]]])
    mask = torch.tensor([[1.0, 0.5, 0.0]])
    # sum_p m f f^T = 1*[[1,2],[2,4]] + 0.5*[[9,0],[0,0]] = [[5.5, 2], [2, 4]]; / sum m = 1.5
    expected = torch.tensor([[5.5, 2.0], [2.0, 4.0]]) / 1.5
    torch.testing.assert_close(masked_gram(features, mask), expected)
    full = torch.ones(1, 3)
    torch.testing.assert_close(masked_gram(features, full), gram_matrix(features)[0])
    channels_last = features.contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(masked_gram(channels_last, mask), expected)


def _style_targets(sources: list[torch.Tensor], blend: list[float]) -> Targets:
    """relu1_1 targets as inputs.targets makes them: each style's Gram and their blend."""
    return Targets({}, style_targets({"relu1_1": sources}, blend, "size_invariant"), {"relu1_1": sources})


def _fake_targets(n_styles: int, channels: int = 3) -> Targets:
    gen = torch.Generator().manual_seed(1)
    grams = [torch.rand(channels, channels, generator=gen) for _ in range(n_styles)]
    return _style_targets(grams, [1.0 / n_styles] * n_styles)


def test_one_region_everywhere_is_the_unmasked_loss() -> None:
    """Area weighting: a mask that covers everything with the run's blend changes nothing."""
    feats = {"relu1_1": torch.rand(1, 3, 10, 12, generator=torch.Generator().manual_seed(0))}
    tg = _fake_targets(2)
    whole = RegionMask(np.ones((20, 24), np.uint8), MaskSettings((Region(1, (0, 1)),)))
    masked = masked_style_loss(feats, tg, MaskedStyle(whole, CPU), ONE_LAYER)
    plain = total_loss(feats, torch.zeros(1, 3, 10, 12), Targets({"relu1_1": feats["relu1_1"]}, tg.style),
                       ONE_LAYER)["style"]
    torch.testing.assert_close(masked, plain)
    # half the picture given the blend: the term is the region's loss times its area
    half = np.zeros((20, 24), np.uint8)
    half[:, 12:] = 1
    region = RegionMask(half, MaskSettings((Region(1, (0, 1)),), feather_px=0.0))
    gram = masked_gram(feats["relu1_1"], torch.from_numpy((half[::2, ::2] == 1).astype(np.float32)))
    (blended, share), = tg.style["relu1_1"]  # size_invariant: one term, the blend's
    by_hand = 0.5 * share * (gram - blended).square().sum() / blended.square().sum()
    region_loss = masked_style_loss(feats, tg, MaskedStyle(region, CPU), ONE_LAYER)
    torch.testing.assert_close(region_loss, by_hand)


def test_a_blended_region_blends_as_an_unmasked_run() -> None:
    """Issue 8.5 inside a mask: a 3:1 region is pulled toward the blended Gram (one term),
    as the unmasked run is, not toward a sum of per-style terms (where the style with the
    smaller Grams won)."""
    gen = torch.Generator().manual_seed(2)
    feats = {"relu1_1": torch.rand(1, 3, 10, 12, generator=gen)}
    sources = [torch.rand(3, 3, generator=gen), 3.0 * torch.rand(3, 3, generator=gen)]  # unequal norms
    tg = _style_targets(sources, [0.75, 0.25])
    whole = RegionMask(np.ones((20, 24), np.uint8), MaskSettings((Region(1, (0, 1), (3.0, 1.0)),)))
    masked = masked_style_loss(feats, tg, MaskedStyle(whole, CPU), ONE_LAYER)
    plain = total_loss(feats, torch.zeros(1, 3, 10, 12), Targets({"relu1_1": feats["relu1_1"]}, tg.style,
                                                                 tg.sources), ONE_LAYER)["style"]
    torch.testing.assert_close(masked, plain)
    blended = 0.75 * sources[0] + 0.25 * sources[1]
    gram = gram_matrix(feats["relu1_1"])[0]
    torch.testing.assert_close(masked, (gram - blended).square().sum() / blended.square().sum())


def test_region_terms_weigh_by_strength_and_area_and_skip_what_has_no_term() -> None:
    """The (layer, region) terms every masked path sums: a region's weight is the layer weight x
    its strength x its area on the layer's grid; strength 0, or a region too thin for a grid,
    has no term there; a layer of weight 0 has none at all."""
    labels = np.zeros((128, 128), np.uint8)
    labels[:, 64:] = 1  # half the picture
    labels[:32, :32] = 2  # a sixteenth, at strength 0
    labels[127, 0] = 3  # one pixel: 6e-5 of the picture, on every grid (soft masks keep areas)
    settings = MaskSettings((Region(1, (0,), strength=0.5), Region(2, (0,), strength=0.0), Region(3, (0,))),
                            feather_px=0.0)
    masked = MaskedStyle(RegionMask(labels, settings), CPU)
    params = ONE_LAYER.with_changes(style_layers=("relu1_1", "relu2_1", "relu3_1"),
                                    style_layer_weights=(2.0, 0.0, 1.0))
    one = _fake_targets(1)
    tg = Targets({}, {layer: one.style["relu1_1"] for layer in params.style_layers},
                 {layer: one.sources["relu1_1"] for layer in params.style_layers})
    grids = {"relu1_1": (64, 64), "relu2_1": (32, 32), "relu3_1": (16, 16)}
    terms = {term.key: term.weight for term in region_terms(tg, params, masked, grids.__getitem__)}
    assert 0 < masked.grid((64, 64))[1][3] < MIN_AREA_FRACTION
    assert terms == pytest.approx({("relu1_1", 1): 2.0 * 0.5 * 0.5, ("relu3_1", 1): 1.0 * 0.5 * 0.5})


def _border_gradient(feather: float) -> np.ndarray:
    """d style loss / d features along a row crossing a vertical border between two regions
    that want different styles, on flat features (so only the masks shape the gradient)."""
    labels = np.ones((32, 64), np.uint8)
    labels[:, 32:] = 2
    settings = MaskSettings((Region(1, (0,)), Region(2, (1,))), feather_px=feather)
    feats = torch.full((1, 3, 32, 64), 0.5).requires_grad_(True)
    # region 1 wants twice the flat features' Gram, region 2 half: the gradients point opposite ways
    wanted = _style_targets([torch.full((3, 3), 0.5), torch.full((3, 3), 0.125)], [0.5, 0.5])
    loss = masked_style_loss({"relu1_1": feats}, wanted, MaskedStyle(RegionMask(labels, settings), CPU),
                             ONE_LAYER)
    loss.backward()
    assert feats.grad is not None
    return feats.grad[0, :, 16].T.numpy()  # (64 positions, 3 channels)


def test_feathered_border_leaves_no_step_in_the_gradient() -> None:
    hard = _border_gradient(0.0)
    soft = _border_gradient(4.0)

    def worst_step(row: np.ndarray) -> float:
        """The largest change of the gradient between neighbours, relative to its size."""
        return float(np.linalg.norm(np.diff(row, axis=0), axis=1).max() / np.linalg.norm(row, axis=1).max())

    assert worst_step(hard) > 0.5  # the check can fail: a hard mask switches targets at the border
    assert worst_step(soft) < 0.15


def test_set_mask_takes_effect_at_once() -> None:
    labels = np.ones((8, 8), np.uint8)
    masked = MaskedStyle(RegionMask(labels, MaskSettings((Region(1, (0,)),))), CPU)
    assert masked.grid((4, 4))[1][1] == pytest.approx(1.0)
    labels2 = labels.copy()
    labels2[:, 4:] = 0
    masked.set_mask(RegionMask(labels2, MaskSettings((Region(1, (0,)),))))
    assert masked.grid((4, 4))[1][1] == pytest.approx(0.5)
    assert masked.keep_photo_mask((4, 4)) is not None


def test_a_grid_counts_the_cells_each_region_weights_on_the_host() -> None:
    """masked_tiled_pass reads these counts every step: kept on the host, a GPU never syncs for them."""
    labels = np.zeros((8, 8), np.uint8)
    labels[:2, :3] = 1
    grid = MaskedStyle(RegionMask(labels, MaskSettings((Region(1, (0,)),), feather_px=0.0)), CPU).grid((8, 8))
    assert isinstance(grid.positions, np.ndarray) and isinstance(grid.fractions, np.ndarray)
    assert list(grid.positions) == [int(torch.count_nonzero(channel)) for channel in grid.masks]
    assert grid.positions[1] == 6 and grid.fractions[1] == pytest.approx(6 / 64)


@pytest.mark.slow
def test_keep_photo_region_stays_near_the_photo(photo, painting, caffe) -> None:
    """A tiny real run: left half kept as the photo, right half Starry Night."""
    torch.manual_seed(0)
    params = Params(size=64, device="cpu")
    hw = photo.shape[:2]
    raw = load_inputs(photo, [_style(painting)], params, None, CPU)
    inputs = prepare(raw, params, raw.blend)
    model = VGG19(caffe)
    tg = targets(model, inputs, params, hw)
    labels = np.zeros(hw, np.uint8)
    labels[:, hw[1] // 2:] = 1
    masked = MaskedStyle(RegionMask(labels, MaskSettings((Region(1, (0,)),), feather_px=2.0)), CPU)
    x = inputs.content.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=0.02)
    layers = sorted(set(params.content_layers) | set(params.style_layers))
    for _ in range(40):
        opt.zero_grad()
        masked_total_loss(model(x, layers), x, tg, params, masked, inputs.content)["total"].backward()
        opt.step()
        with torch.no_grad():
            x.clamp_(0, 1)
    change = (x.detach() - inputs.content).abs().mean(dim=1)[0].numpy()
    kept, styled = change[:, : hw[1] // 2 - 6].mean(), change[:, hw[1] // 2 + 6:].mean()
    assert styled > 0.04  # the style did paint the right half...
    assert kept < 0.25 * styled and kept < 0.015  # ...and the left half stayed the photo


def _style(image: np.ndarray):  # noqa: ANN202
    from nst_desktop.engine.spec.events import StyleInput

    return StyleInput(image, 1.0, "starry night")
