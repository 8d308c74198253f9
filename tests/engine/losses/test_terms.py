import pytest
import torch
import torch.nn.functional as F  # noqa: N812

from nst_desktop.engine.losses import terms
from nst_desktop.engine.losses.statistics import gram_matrix
from nst_desktop.engine.losses.terms import (
    PASTICHE_CONTENT_LAYER_WEIGHT,
    Targets,
    backward_pass,
    content_loss,
    style_loss,
    total_loss,
    tv_loss,
)
from nst_desktop.engine.spec.params import Params


def test_content_loss_normalisations() -> None:
    a, b = torch.randn(1, 8, 5, 5), torch.randn(1, 8, 5, 5)
    assert content_loss(b, b, "size_invariant") == 0
    assert torch.isclose(content_loss(a, b, "pastiche"), PASTICHE_CONTENT_LAYER_WEIGHT * F.mse_loss(a, b))
    # Relative error: scaling both features by 100 leaves it unchanged.
    scaled = content_loss(100 * a, 100 * b, "size_invariant")
    assert torch.isclose(scaled, content_loss(a, b, "size_invariant"))


def test_style_loss_normalisations() -> None:
    g, t = torch.rand(16, 16), torch.rand(16, 16)
    assert torch.isclose(style_loss(g, t, "pastiche"), 10.0 / 256 * F.mse_loss(g, t))
    assert torch.isclose(style_loss(5 * g, 5 * t, "size_invariant"), style_loss(g, t, "size_invariant"))
    assert style_loss(t, t, "size_invariant") == 0


def test_pastiche_tv_matches_its_formula() -> None:
    x = torch.rand(1, 3, 9, 7)
    caffe = x * 255
    expected = 0.5 * ((caffe[..., 1:] - caffe[..., :-1]).abs().mean()
                      + (caffe[..., 1:, :] - caffe[..., :-1, :]).abs().mean())
    assert torch.isclose(tv_loss(x, "pastiche"), expected, rtol=1e-5)


def test_size_invariant_tvs_l1_part_is_about_equal_for_the_same_picture_at_two_sizes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The squared part is a pixel-scale prior on purpose (the next test); the L1 part is the
    # resolution-consistent one.
    monkeypatch.setattr(terms, "TV_SQUARED_SHARE", 0.0)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, 64), torch.linspace(0, 1, 64), indexing="ij")
    picture = torch.stack([xx, yy, (xx > 0.5).float()]).unsqueeze(0)  # ramps and an edge
    big = F.interpolate(picture, size=(256, 256), mode="bilinear", align_corners=True)
    small_tv, big_tv = tv_loss(picture, "size_invariant"), tv_loss(big, "size_invariant")
    assert big_tv / small_tv == pytest.approx(1.0, abs=0.1)
    # whereas pastiche's plain mean halves and halves again
    assert tv_loss(big, "pastiche") / tv_loss(picture, "pastiche") < 0.5


def _pull_on_centre(contrast: float) -> float:
    """The TV gradient's size at a one-pixel speck of ``contrast`` in a flat grey 9 x 9 image."""
    image = torch.full((1, 3, 9, 9), 0.5)
    image[..., 4, 4] += contrast
    image.requires_grad_(True)
    tv_loss(image, "size_invariant").backward()
    assert image.grad is not None
    return float(image.grad[0, :, 4, 4].abs().mean())


def test_the_squared_part_pulls_harder_on_high_contrast_specks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 20.1: the L1 TV pulls a speck back with the same force whatever its contrast, so the
    # style's demand for fine texture energy was met with one-pixel dots. With the squared part the
    # pull on a 0.3 speck is several times the L1 pull, on faint 0.05 texture barely more.
    with_squared = {c: _pull_on_centre(c) for c in (0.05, 0.3)}
    monkeypatch.setattr(terms, "TV_SQUARED_SHARE", 0.0)
    l1_only = {c: _pull_on_centre(c) for c in (0.05, 0.3)}
    assert l1_only[0.3] == pytest.approx(l1_only[0.05], rel=0.05)  # L1: the same pull
    assert with_squared[0.3] > 5 * l1_only[0.3]
    assert with_squared[0.05] < 2.5 * l1_only[0.05]
    assert with_squared[0.3] > 3 * with_squared[0.05]


def test_size_invariant_terms_stay_about_equal_across_sizes(caffe, photo, painting) -> None:
    from nst_desktop.engine.model.vgg import VGG19
    from nst_desktop.engine.run.inputs import resize
    from nst_desktop.engine.run.inputs import style_hw as _style_hw

    model = VGG19(caffe)
    params = Params()
    content = torch.from_numpy(photo).permute(2, 0, 1)[None]
    style = torch.from_numpy(painting).permute(2, 0, 1)[None]
    # The same stylised-ish picture (a blend) evaluated at 2 sizes against targets of that size.
    blend = 0.5 * content + 0.5 * resize(style, tuple(content.shape[-2:]))
    terms = []
    for hw in ((48, 64), (96, 128)):
        img, c = resize(blend, hw), resize(content, hw)
        s = resize(style, _style_hw(style, hw, 1.0))
        layers = params.style_layers + params.content_layers
        with torch.no_grad():
            fc, fs, fi = model(c, layers), model(s, layers), model(img, layers)
        targets = Targets(content={"relu4_2": fc["relu4_2"]},
                          style={k: [(gram_matrix(fs[k])[0], 1.0)] for k in params.style_layers})
        terms.append(total_loss(fi, img, targets, params))
    for key in ("content", "style", "tv"):
        ratio = float(terms[1][key] / terms[0][key])
        assert 0.5 < ratio < 2.0, (key, ratio)


def test_total_loss_weights_and_blend() -> None:
    feats = {"relu1_1": torch.rand(1, 64, 6, 6), "relu4_2": torch.rand(1, 512, 2, 2)}
    params = Params(style_layers=("relu1_1",), style_layer_weights=(1.0,), tv_weight=0.0, style_weight=2.0)
    g1, g2 = torch.rand(64, 64), torch.rand(64, 64)
    targets = Targets(content={"relu4_2": torch.rand(1, 512, 2, 2)},
                      style={"relu1_1": [(g1, 0.25), (g2, 0.75)]})
    terms = total_loss(feats, torch.rand(1, 3, 6, 6), targets, params)
    g = gram_matrix(feats["relu1_1"])[0]
    expected = 2.0 * (0.25 * style_loss(g, g1, "size_invariant") + 0.75 * style_loss(g, g2, "size_invariant"))
    assert torch.isclose(terms["style"], expected)
    assert terms["tv"] == 0
    assert torch.isclose(terms["total"], terms["content"] + terms["style"])


def test_pastiche_preset_reproduces_pastiches_objective() -> None:
    # pastiche 1.6.0 _calc_loss with default settings, written out by hand:
    # content_weight * 0.01 * mse(F, Fc) + sum_styles 1/N sum_layers 10/C^2 mse(G, Gs) + 0.5 * tv * TV
    from nst_desktop.engine.spec.presets import PRESETS

    params = PRESETS["pastiche"].with_changes(tv_weight=2.0)
    g = torch.Generator().manual_seed(0)
    layers = {"relu1_1": 64, "relu2_1": 128, "relu3_1": 256, "relu4_1": 512, "relu5_1": 512, "relu4_2": 512}
    feats = {k: torch.rand(1, c, 4, 4, generator=g) * 50 for k, c in layers.items()}
    content = torch.rand(1, 512, 4, 4, generator=g) * 50
    styles = [{k: torch.rand(c, c, generator=g) * 100 for k, c in layers.items()} for _ in range(2)]
    image = torch.rand(1, 3, 8, 8, generator=g)
    targets = Targets(content={"relu4_2": content},
                      style={k: [(s[k], 0.5) for s in styles] for k in params.style_layers})
    ours = total_loss(feats, image, targets, params)["total"]

    def gram(x):
        _, _, h, w = x.shape
        f = x.squeeze(0).flatten(1)
        return f @ f.t() / (h * w)

    expected = 1.0 * 0.01 * F.mse_loss(feats["relu4_2"], content)
    for s in styles:
        for k in params.style_layers:
            expected = expected + 0.5 * (10.0 / layers[k] ** 2) * F.mse_loss(gram(feats[k]), s[k])
    px = image * 255  # Caffe units; channel order and mean do not change differences
    tv = (px[..., 1:] - px[..., :-1]).abs().mean() + (px[..., 1:, :] - px[..., :-1, :]).abs().mean()
    expected = expected + 0.5 * 2.0 * tv
    assert torch.isclose(ours, expected, rtol=1e-5)


def test_float16_backward_scales_the_loss_so_small_gradients_survive() -> None:
    def graph(x: "torch.Tensor") -> "torch.Tensor":
        return (x.to(torch.float16) * 1e-3).float().mean() * 1e-4  # feature grads ~1e-11

    x = torch.rand(1, 3, 40, 40, requires_grad=True)
    graph(x).backward()
    assert x.grad is not None and float(x.grad.abs().max()) == 0.0  # flushed to zero
    x.grad = None
    backward_pass(graph(x), x, torch.float16)
    expected = 1e-3 * 1e-4 / x.numel()
    assert x.grad is not None and torch.allclose(x.grad, torch.full_like(x, expected), rtol=0.01)
