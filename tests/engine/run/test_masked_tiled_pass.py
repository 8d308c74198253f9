"""A masked run in tiles (engine.run.masked_tiled_pass): the tiled loss and gradient are the untiled ones.

As tests/engine/run/test_tiled_pass.py: 96x128 images, tiles of 64 (windows overlap a lot), average
pooling (a unique gradient); a mask with two styled regions, a feathered border and the
unpainted area kept as the photo.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nst_desktop.engine.losses.masked_loss import MaskedStyle, keep_photo_loss, masked_total_loss
from nst_desktop.engine.losses.terms import targets_for_step
from nst_desktop.engine.model.vgg import VGG19
from nst_desktop.engine.model.weights import WeightSet
from nst_desktop.engine.run import masked_tiled_pass, tiled_pass
from nst_desktop.engine.run.inputs import RawInputs, layout, prepare, targets
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.region_masks import MaskSettings, Region, RegionMask
from tests.engine.conftest import TILING_HW, StopInPass, keep_steps

HW = TILING_HW
CPU = torch.device("cpu")


def _mask() -> RegionMask:
    """Region 1 (a 3:1 blend) top left, region 2 (style 1, stronger) at the bottom, the rest kept."""
    labels = np.zeros(HW, np.uint8)
    labels[:40, :70] = 1
    labels[60:, 20:] = 2
    settings = MaskSettings((Region(1, (0, 1), (3.0, 1.0)), Region(2, (1,), strength=2.0)), feather_px=6.0)
    return RegionMask(labels, settings)


def _untiled_and_tiled(caffe: WeightSet, tiling_images, params: Params, mask: RegionMask
                       ) -> tuple[dict[str, float], dict[str, float], torch.Tensor, torch.Tensor]:
    """The masked loss terms and gradient of the tiling test image, untiled, then in tiles of 64."""
    model = VGG19(caffe, "avg")
    content, s1, s2, x = tiling_images
    raw = RawInputs(content, (s1, s2), (1.0, 1.0), None)
    inputs = prepare(raw, params, raw.blend)
    tg = targets_for_step(targets(model, inputs, params, HW), [w for _, w in inputs.styles], params, step=3)
    masked = MaskedStyle(mask, CPU)

    leaf = x.clone().requires_grad_(True)
    feats = model(layout(leaf, CPU), sorted(set(params.content_layers) | set(params.style_layers)))
    terms = masked_total_loss(feats, leaf, tg, params, masked, content)
    terms["total"].backward()
    untiled = {k: float(v.detach()) for k, v in terms.items()}

    tiled_leaf = x.clone().requires_grad_(True)
    gen = torch.Generator().manual_seed(2)
    tiled = masked_tiled_pass.tiled_loss_and_grad(model, tiled_leaf, tg, params, 64, gen, masked, content)
    assert leaf.grad is not None and tiled_leaf.grad is not None
    return untiled, tiled, leaf.grad, tiled_leaf.grad


@pytest.mark.parametrize("rows", [1, 5, 256])
def test_the_keep_photo_pull_summed_over_bands_is_the_whole_images(rows: int) -> None:
    """One keep-photo formula (masked_loss.keep_photo_pull): print sizes sum it over bands of rows
    and get the whole image's value and gradient."""
    gen = torch.Generator().manual_seed(rows)
    x, photo = torch.rand(1, 3, *HW, generator=gen), torch.rand(1, 3, *HW, generator=gen)
    masked = MaskedStyle(_mask(), CPU)
    leaf = x.clone().requires_grad_(True)
    whole = keep_photo_loss(leaf, photo, masked)
    whole.backward()  # type: ignore[no-untyped-call]
    grad = torch.zeros_like(x)
    banded = masked_tiled_pass.keep_photo_loss_and_grad(x, photo, masked, grad, rows=rows)
    assert float(whole.detach()) > 0 and float(banded) == pytest.approx(float(whole.detach()), rel=1e-6)
    assert leaf.grad is not None
    torch.testing.assert_close(grad, leaf.grad, rtol=1e-5, atol=1e-6 * float(leaf.grad.abs().max()))


@pytest.mark.parametrize("style_loss, layers, content_loss", [
    ("gram", ("relu1_1", "relu2_1", "relu3_1", "relu4_1"), "features"),
    # the structure content term: its grid spans the tiles (engine.run.tiled_structure)
    ("gram", ("relu1_1", "relu2_1", "relu3_1", "relu4_1"), "structure"),
    # W2 where positions outnumber channels, as at every size that is tiled (statistics.Stats.w2_parts)
    ("wasserstein", ("relu1_1", "relu2_1", "relu3_1"), "features"),
    # the sliced loss: each region's projections with its mask as weights, sorted over all tiles
    ("sliced", ("relu1_1", "relu2_1", "relu3_1", "relu4_1"), "features"),
])
def test_tiled_masked_loss_and_gradient_equal_the_untiled_ones(
        caffe: WeightSet, tiling_images, style_loss: str, layers: tuple[str, ...], content_loss: str) -> None:
    params = Params(size=128, style_loss=style_loss, style_layers=layers, content_loss=content_loss,
                    style_layer_weights=(1.0,) * len(layers), tv_weight=3.0, content_weight=2.0)
    untiled, tiled, grad, tiled_grad = _untiled_and_tiled(caffe, tiling_images, params, _mask())
    tolerance = 1e-4 if style_loss == "wasserstein" else 2e-5  # W2: Newton-Schulz in float32
    for name, value in untiled.items():
        assert tiled[name] == pytest.approx(value, rel=tolerance, abs=1e-7), name
    error = (tiled_grad - grad).abs().max() / grad.abs().max()
    assert float(error) < (1e-4 if style_loss == "wasserstein" else 1e-5)
    assert untiled["style"] > 0 and untiled["content"] > 0


def test_a_region_of_fewer_positions_than_channels_paints_in_tiled_w2(caffe: WeightSet,
                                                                      tiling_images) -> None:
    """A 4x4 px region is one position of every layer's grid from relu2_1 on: its covariance is
    singular, and summed (gram - mean mean^T) it sent Newton-Schulz's gradient to ~1e15. Kept as
    rows (statistics.Stats.rows) it takes the n x n form and matches the untiled W2 term."""
    labels = np.full(HW, 2, np.uint8)
    labels[40:44, 60:64] = 1
    mask = RegionMask(labels, MaskSettings((Region(1, (0,)), Region(2, (1,))), feather_px=0.0))
    layers = ("relu1_1", "relu2_1", "relu3_1")
    params = Params(size=128, style_loss="wasserstein", style_layers=layers,
                    style_layer_weights=(1.0,) * len(layers), tv_weight=3.0, content_weight=2.0)
    untiled, tiled, grad, tiled_grad = _untiled_and_tiled(caffe, tiling_images, params, mask)
    assert bool(torch.isfinite(tiled_grad).all()) and np.isfinite(tiled["total"])
    for name, value in untiled.items():
        assert tiled[name] == pytest.approx(value, rel=1e-4, abs=1e-7), name
    assert float((tiled_grad - grad).abs().max() / grad.abs().max()) < 1e-4


def test_stylize_paints_a_masked_picture_in_tiles(photo, painting, scream,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The integration: a planned tile routes a masked run through engine.run.masked_tiled_pass (no
    refusal any more), and the picture is the untiled masked one."""
    from nst_desktop.engine.run.stylize import stylize
    from nst_desktop.engine.spec.events import StyleInput

    params = Params(size=64, min_size=64, steps=3, pooling="avg", precision="float32")
    styles = [StyleInput(painting, 1.0, "starry"), StyleInput(scream, 1.0, "scream")]
    labels = np.zeros(photo.shape[:2], np.uint8)
    labels[:, photo.shape[1] // 2:] = 1
    labels[: photo.shape[0] // 3, : photo.shape[1] // 2] = 2
    mask = RegionMask(labels, MaskSettings((Region(1, (0,)), Region(2, (1,))), feather_px=3.0))
    plain = stylize(photo, styles, params, mask=mask).image
    calls = [0]
    real = masked_tiled_pass.tiled_loss_and_grad

    def counted(*args: object, **kwargs: object) -> dict[str, float]:
        calls[0] += 1
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tiled_pass, "plan_tile", lambda p, hw, device: 32)
    monkeypatch.setattr(masked_tiled_pass, "tiled_loss_and_grad", counted)
    tiled = stylize(photo, styles, params, mask=mask).image
    assert calls[0] == 3
    assert float(np.abs(tiled - plain).max()) < 2e-3


@pytest.mark.parametrize("where", ["window_features", "local_pass"])
def test_a_stop_is_honoured_between_the_tiles_of_a_masked_step(photo, painting, where: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """As tests/engine/run/test_tiled_pass.py: a stop during a masked step's first pass (window_features) or
    its second (local_pass) takes no further tile and keeps the last whole step's picture."""
    from nst_desktop.engine.run.stylize import stylize
    from nst_desktop.engine.spec.control import RunControl
    from nst_desktop.engine.spec.events import StyleInput

    control = RunControl()
    spy = StopInPass(control, 2, where)
    monkeypatch.setattr(tiled_pass, "plan_tile", lambda p, hw, device: 32)
    monkeypatch.setattr(tiled_pass, "tile_window", spy)
    labels = np.zeros(photo.shape[:2], np.uint8)
    labels[:, photo.shape[1] // 2:] = 1
    mask = RegionMask(labels, MaskSettings((Region(1, (0,)),), feather_px=3.0))
    params = Params(size=64, min_size=64, steps=4, precision="float32")
    result = stylize(photo, [StyleInput(painting, 1.0, "starry")], params, control=control,
                     callback=keep_steps(spy.events), preview_every=1, mask=mask)
    spy.check_stopped_at_once(result)
