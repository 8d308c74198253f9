"""One style term over statistics: the whole image's features, a region's masked features and
sums gathered tile by tile give the same Gram and W2 terms, so every path shares one formula."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from nst_desktop.engine.losses import W2_GAIN, StyleTerm, style_sum, style_term
from nst_desktop.engine.statistics import FeatureStats, MaskedFeatureStats, Stats, gram_matrix
from nst_desktop.engine.wasserstein import GaussianStats, W2Target, w2_distance, w2_target

CPU = torch.device("cpu")


def _features(channels: int, hw: tuple[int, int], seed: int) -> Tensor:
    gen = torch.Generator().manual_seed(seed)
    mixing = torch.randn(channels, channels, generator=gen) * 0.3 + torch.eye(channels)
    rows = mixing @ torch.rand(channels, hw[0] * hw[1], generator=gen)
    return (rows.reshape(1, channels, *hw) + 0.5).contiguous()


def _summed(features: Tensor) -> Stats:
    """What engine.tiling's pass 1 gathers: sum f f^T / N, sum f / N over N positions."""
    return Stats(gram_matrix(features)[0], features.mean((0, 2, 3)), features[0, 0].numel())


def _target(channels: int, seed: int) -> W2Target:
    return w2_target(FeatureStats(_features(channels, (7, 9), seed)).gaussian())


@pytest.mark.parametrize("mode", ["size_invariant", "pastiche", "classic"])
def test_the_gram_term_is_the_same_whichever_path_gathered_the_statistics(mode: str) -> None:
    feats = _features(6, (5, 8), 1)
    target = gram_matrix(_features(6, (7, 9), 2))[0]
    whole = style_term(FeatureStats(feats), target, mode)
    masked = style_term(MaskedFeatureStats(feats, torch.ones(5, 8)), target, mode)
    summed = style_term(_summed(feats), target, mode)
    torch.testing.assert_close(masked, whole)
    torch.testing.assert_close(summed, whole)
    assert float(whole) > 0


@pytest.mark.parametrize("mode", ["size_invariant", "pastiche"])
def test_the_w2_term_is_the_same_whichever_path_gathered_the_statistics(mode: str) -> None:
    # 40 positions >= 6 channels: the C x C form, the only one sums have.
    feats = _features(6, (5, 8), 3)
    target = _target(6, 4)
    whole = style_term(FeatureStats(feats), target, mode)
    masked = style_term(MaskedFeatureStats(feats, torch.ones(5, 8)), target, mode)
    summed = style_term(_summed(feats), target, mode)
    torch.testing.assert_close(masked, whole, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(summed, whole, rtol=1e-4, atol=1e-5)
    w2 = w2_distance(*FeatureStats(feats).w2_parts(target), target)
    expected = w2 / 6 if mode == "pastiche" else W2_GAIN * w2 / target.energy
    torch.testing.assert_close(whole, expected)
    assert float(w2) > 0


def test_with_fewer_positions_than_channels_a_region_takes_the_n_by_n_form_as_the_whole_image() -> None:
    feats = _features(12, (2, 3), 5)  # 6 positions, 12 channels: the C x C covariance is singular
    target = _target(12, 6)
    whole = FeatureStats(feats).w2_parts(target)
    masked = MaskedFeatureStats(feats, torch.ones(2, 3)).w2_parts(target)
    for mine, theirs in zip(masked, whole, strict=True):  # Newton-Schulz in float32: close, not equal
        torch.testing.assert_close(mine, theirs, rtol=1e-4, atol=1e-5)
    # A region of half the positions is the W2 of those positions alone.
    half = torch.zeros(2, 3)
    half[:, :2] = 1.0
    region = w2_distance(*MaskedFeatureStats(feats, half).w2_parts(target), target)
    alone = w2_distance(*FeatureStats(feats[..., :2].contiguous()).w2_parts(target), target)
    torch.testing.assert_close(region, alone, rtol=1e-4, atol=1e-5)


def test_the_gaussian_fits_agree_and_sums_are_symmetrised() -> None:
    feats = _features(5, (4, 6), 7)
    whole = FeatureStats(feats).gaussian()
    summed = _summed(feats).gaussian()
    assert isinstance(summed, GaussianStats)
    torch.testing.assert_close(summed.mean, whole.mean)
    torch.testing.assert_close(summed.cov, whole.cov, rtol=1e-5, atol=1e-6)
    assert torch.equal(summed.cov, summed.cov.T)


def test_style_sum_weights_each_term_and_each_share() -> None:
    feats = {"a": _features(4, (3, 5), 8), "b": _features(4, (3, 5), 9)}
    targets = [gram_matrix(_features(4, (3, 5), seed))[0] for seed in (10, 11)]
    stats = {key: FeatureStats(f) for key, f in feats.items()}
    terms = [StyleTerm("a", 2.0, [(targets[0], 0.25), (targets[1], 0.75)]),
             StyleTerm("b", 0.5, [(targets[0], 1.0)])]
    total = style_sum(terms, stats, "size_invariant", CPU)

    def term(key: str, index: int) -> Tensor:
        return style_term(stats[key], targets[index], "size_invariant")

    by_hand = 2.0 * (0.25 * term("a", 0) + 0.75 * term("a", 1)) + 0.5 * term("b", 0)
    torch.testing.assert_close(total, by_hand)
    assert float(style_sum([], stats, "size_invariant", CPU)) == 0.0
