"""One style term over statistics: the whole image's features, a region's masked features and
sums gathered tile by tile give the same Gram and W2 terms, so every path shares one formula;
and gram_matrix with its one-product backward."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from nst_desktop.engine.losses.statistics import FeatureStats, MaskedFeatureStats, Stats, gram_matrix
from nst_desktop.engine.losses.terms import W2_GAIN, StyleTerm, style_sum, style_term
from nst_desktop.engine.losses.wasserstein import GaussianStats, W2Target, w2_distance, w2_target

CPU = torch.device("cpu")


def _features(channels: int, hw: tuple[int, int], seed: int) -> Tensor:
    gen = torch.Generator().manual_seed(seed)
    mixing = torch.randn(channels, channels, generator=gen) * 0.3 + torch.eye(channels)
    rows = mixing @ torch.rand(channels, hw[0] * hw[1], generator=gen)
    return (rows.reshape(1, channels, *hw) + 0.5).contiguous()


def _summed(features: Tensor) -> Stats:
    """What engine.run.tiled_pass's pass 1 gathers: sum f f^T / N, sum f / N over N positions."""
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


def test_gram_matches_definition_and_is_symmetric() -> None:
    f = torch.randn(1, 4, 3, 5)
    g = gram_matrix(f)[0]
    flat = f[0].reshape(4, 15)
    assert torch.allclose(g, flat @ flat.T / 15, atol=1e-6)
    assert torch.allclose(g, g.T)


def test_gram_is_invariant_to_tiling_the_features() -> None:
    # Same statistics at 4x the positions: dividing by H*W makes the Gram identical.
    f = torch.randn(1, 8, 6, 6)
    assert torch.allclose(gram_matrix(f), gram_matrix(f.repeat(1, 1, 2, 2)), atol=1e-5)


def test_gram_is_the_same_for_channels_last_features() -> None:
    f = torch.randn(1, 16, 7, 9)
    cl = f.contiguous(memory_format=torch.channels_last)
    assert torch.allclose(gram_matrix(cl), gram_matrix(f), atol=1e-5)


def test_gram_of_bfloat16_features_is_float32() -> None:
    assert gram_matrix(torch.randn(1, 8, 4, 4).bfloat16()).dtype == torch.float32


@pytest.mark.parametrize("channels_last", [False, True])
def test_gram_gradient_is_autograds_with_one_product(channels_last: bool) -> None:
    """gram_matrix's own backward (rows (dG + dG^T)) gives the gradient autograd would give
    for F F^T / n, in both memory layouts."""
    gen = torch.Generator().manual_seed(0)
    features = torch.rand(1, 8, 5, 7, generator=gen)
    if channels_last:
        features = features.contiguous(memory_format=torch.channels_last)
    features.requires_grad_(True)
    weight = torch.rand(1, 8, 8, generator=gen)  # not symmetric: dG is not either
    (gram_matrix(features) * weight).sum().backward()
    reference = features.detach().double().requires_grad_(True)
    flat = reference.reshape(1, 8, 35)
    ((flat @ flat.transpose(1, 2) / 35) * weight.double()).sum().backward()
    assert features.grad is not None and reference.grad is not None
    torch.testing.assert_close(features.grad.double(), reference.grad, rtol=1e-5, atol=1e-6)
