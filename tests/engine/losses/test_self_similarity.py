"""The structure content term (engine.losses.self_similarity) against a slow reference."""

from __future__ import annotations

import math

import pytest
import torch

from nst_desktop.engine.losses.self_similarity import (
    MAX_POSITIONS,
    SELF_SIMILARITY_GAIN,
    SMOOTHING,
    STRUCTURE_FEATURE_SHARE,
    grid_stride,
    self_similarity_loss,
)
from nst_desktop.engine.losses.terms import content_loss


def _slow_reference(features: torch.Tensor, target: torch.Tensor, stride: int) -> float:
    """The formula of the module docstring, one pair of positions at a time, in float64."""
    def rows(f: torch.Tensor) -> list[torch.Tensor]:
        c, h, w = f.shape[1:]
        return [f[0, :, y, x].double() for y in range(0, h, stride) for x in range(0, w, stride)]

    def columns(vectors: list[torch.Tensor]) -> list[list[float]]:
        d = [[max(0.0, 1.0 - float(torch.dot(a, b) / (a.norm() * b.norm()))) for a in vectors]
             for b in vectors]
        return [[value / sum(column) for value in column] for column in d]

    ours, theirs = columns(rows(features)), columns(rows(target))
    p = len(ours)
    eps = SMOOTHING / p
    total = sum(math.sqrt((a - b) ** 2 + eps * eps) - eps
                for col_a, col_b in zip(ours, theirs, strict=True) for a, b in zip(col_a, col_b, strict=True))
    return SELF_SIMILARITY_GAIN * total / p


def test_identical_features_cost_nothing_and_others_do() -> None:
    target = torch.rand(1, 16, 9, 7, generator=torch.Generator().manual_seed(1))
    assert self_similarity_loss(target.clone(), target).item() == 0.0
    assert self_similarity_loss(torch.rand(1, 16, 9, 7), target).item() > 0.05


def test_it_matches_a_slow_reference_on_small_tensors() -> None:
    g = torch.Generator().manual_seed(2)
    features, target = torch.rand(1, 8, 6, 5, generator=g), torch.rand(1, 8, 6, 5, generator=g)
    assert self_similarity_loss(features, target).item() == pytest.approx(
        _slow_reference(features, target, stride=1), rel=1e-4)


def test_it_keeps_structure_not_texture_scale_or_brightness() -> None:
    """Scaling every feature (a brighter or more contrasted texture) keeps the structure: free.
    Swapping two regions' features breaks it: a cost."""
    target = torch.rand(1, 16, 8, 8, generator=torch.Generator().manual_seed(3)) + 0.1
    assert self_similarity_loss(3.0 * target, target).item() < 1e-4
    swapped = torch.cat([target[..., 4:, :], target[..., :4, :]], dim=-2)
    assert self_similarity_loss(swapped, target).item() > 0.1


def test_large_maps_are_sampled_on_an_even_grid_of_at_most_max_positions(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for h, w in [(32, 32), (64, 64), (128, 96), (200, 75), (1, 5000)]:
        stride = grid_stride(h, w)
        assert math.ceil(h / stride) * math.ceil(w / stride) <= MAX_POSITIONS
        assert stride == 1 or math.ceil(h / (stride - 1)) * math.ceil(w / (stride - 1)) > MAX_POSITIONS
    monkeypatch.setattr("nst_desktop.engine.losses.self_similarity.MAX_POSITIONS", 64)
    big = torch.rand(1, 4, 20, 14, generator=torch.Generator().manual_seed(4))
    other = torch.rand(1, 4, 20, 14, generator=torch.Generator().manual_seed(5))
    assert grid_stride(20, 14) == 3  # 7 x 5 = 35 positions
    assert self_similarity_loss(big, other).item() == pytest.approx(
        _slow_reference(big, other, stride=3), rel=1e-4)


def test_its_gradient_reaches_the_features() -> None:
    target = torch.rand(1, 8, 10, 10, generator=torch.Generator().manual_seed(5))
    features = torch.rand(1, 8, 10, 10, generator=torch.Generator().manual_seed(6), requires_grad=True)
    self_similarity_loss(features, target).backward()
    assert features.grad is not None and features.grad.abs().sum() > 0


def test_the_structure_content_term_keeps_a_quarter_of_the_features_term() -> None:
    """Structure alone let flat areas drift to a grey speckle (docs/quality/README.md): a share of
    the features term keeps their tone."""
    g = torch.Generator().manual_seed(7)
    features, target = torch.rand(1, 8, 6, 5, generator=g), torch.rand(1, 8, 6, 5, generator=g)
    plain = content_loss(features, target, "size_invariant")
    structure = content_loss(features, target, "size_invariant", "structure")
    assert STRUCTURE_FEATURE_SHARE == 0.25
    assert structure.item() == pytest.approx(
        self_similarity_loss(features, target).item() + STRUCTURE_FEATURE_SHARE * plain.item(), rel=1e-6)
