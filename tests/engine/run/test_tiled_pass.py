"""Tiled VGG passes (engine.spec.tile_plan, engine.run.tiled_pass): the tiled loss and gradient
are the untiled ones.

Sizes are small (96x128, tiles of 64 with relu5_1's 80 px halo, so windows overlap a lot) to
stay fast on a busy 2-core machine; what they prove does not depend on the size.
"""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from nst_desktop.engine.losses.terms import Targets, targets_for_step, total_loss, tv_loss
from nst_desktop.engine.model.vgg import VGG19
from nst_desktop.engine.model.weights import WeightSet
from nst_desktop.engine.run import tiled_pass
from nst_desktop.engine.run.inputs import RawInputs, prepare, targets
from nst_desktop.engine.spec import tile_plan as geo
from nst_desktop.engine.spec.control import RunControl
from nst_desktop.engine.spec.events import StyleInput
from nst_desktop.engine.spec.params import VGG19_LAYERS, Params
from tests.engine.conftest import TILING_HW, StopInPass, keep_steps

HW = TILING_HW


def _untiled(model: VGG19, x: Tensor, tg: Targets, params: Params) -> tuple[dict[str, float], Tensor]:
    leaf = x.clone().requires_grad_(True)
    # The tiled code feeds channels_last windows on the CPU, as stylize feeds the image.
    layers = sorted(set(params.content_layers) | set(params.style_layers))
    feats = model(tiled_pass.layout(leaf, leaf.device), layers)
    terms = total_loss(feats, leaf, tg, params)
    terms["total"].backward()
    assert leaf.grad is not None
    return {k: float(v.detach()) for k, v in terms.items()}, leaf.grad


def _tiled(model: VGG19, x: Tensor, tg: Targets, params: Params, tile: int,
           seed: int) -> tuple[dict[str, float], Tensor]:
    leaf = x.clone().requires_grad_(True)
    terms = tiled_pass.tiled_loss_and_grad(model, leaf, tg, params, tile, torch.Generator().manual_seed(seed))
    assert leaf.grad is not None
    return terms, leaf.grad


def _assert_same(tiled: tuple[dict[str, float], Tensor], untiled: tuple[dict[str, float], Tensor]) -> None:
    for name, value in untiled[0].items():
        assert tiled[0][name] == pytest.approx(value, rel=2e-5, abs=1e-7), name
    error = (tiled[1] - untiled[1]).abs().max() / untiled[1].abs().max()
    assert float(error) < 1e-5


def test_halo_covers_the_receptive_field_and_grows_with_depth() -> None:
    assert geo.halo_for("relu5_1") == 80  # 2 + 2*2 + 4*4 + 4*8 (+ pool rounding) + 16
    assert geo.halo_for("relu1_2") == 16  # 2 px, rounded up to the alignment
    halos = [geo.halo_for(layer) for layer in VGG19_LAYERS]
    assert halos == sorted(halos) and geo.halo_for("relu4_2") < geo.halo_for("relu5_1")


@pytest.mark.parametrize("offset", [(0, 0), (48, 16), (16, 48)])
def test_cores_partition_the_image_and_every_feature_grid(offset: tuple[int, int]) -> None:
    hw = (100, 131)  # not multiples of 16: the border cores own the floor()ed last cells
    plan = geo.plan_tiles(hw, 64, 80, offset)
    for stride in (1, 2, 4, 8, 16):
        seen = torch.zeros(hw[0] // stride, hw[1] // stride, dtype=torch.int32)
        for tile in plan:
            gy, gx, ry, rx = tile.core_cells(stride, hw)
            seen[gy, gx] += 1
            window = (tile.window[1] - tile.window[0]) // stride, (tile.window[3] - tile.window[2]) // stride
            assert ry.stop <= window[0] and rx.stop <= window[1]
            assert tile.window[0] % 16 == 0 and tile.window[2] % 16 == 0
        assert bool((seen == 1).all()), stride


@pytest.mark.parametrize("halo, exact", [(80, True), (64, False)])
def test_tiled_features_are_exact_only_with_the_full_halo(caffe: WeightSet, tiling_images, halo: int,
                                                          exact: bool) -> None:
    model = VGG19(caffe, "avg")
    x = tiling_images[3]
    whole = model(tiled_pass.layout(x, x.device), ["relu5_1"])["relu5_1"]
    tiles = geo.plan_tiles(HW, 32, halo, (16, 16))
    tiled = tiled_pass.image_features(model, x, ["relu5_1"], tiles)["relu5_1"]
    error = float((tiled - whole).abs().max() / whole.abs().max())
    assert (error < 1e-5) is exact, error


@pytest.mark.parametrize("n_styles, mode, seed", [(1, "size_invariant", 0), (2, "size_invariant", 3),
                                                  (2, "pastiche", 5)])
def test_tiled_loss_and_gradient_equal_the_untiled_ones(caffe: WeightSet, tiling_images, n_styles: int,
                                                        mode: str, seed: int) -> None:
    """Content + Gram style (one style, a 3:1 blend) + TV; average pooling keeps the gradient
    unique (max pooling: see the next test)."""
    model = VGG19(caffe, "avg")
    content, s1, s2, x = tiling_images
    params = Params(size=128, loss_normalisation=mode, tv_weight=3.0, content_weight=2.0)
    raw = RawInputs(content, (s1, s2)[:n_styles], (3.0, 1.0)[:n_styles], None)
    tg = targets(model, prepare(raw, params, raw.blend), params, HW)
    _assert_same(_tiled(model, x, tg, params, 64, seed), _untiled(model, x, tg, params))


def test_max_pooling_is_exact_when_the_rounding_is_the_same(caffe: WeightSet, tiling_images,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """With max pooling a rounding difference between layouts can flip a near-tie and send a
    pixel's gradient to its neighbour (also untiled: channels_last against contiguous), so the
    exactness of the pooling grid alignment is checked with the same (contiguous) layout."""
    monkeypatch.setattr(tiled_pass, "layout", lambda t, _device: t)
    model = VGG19(caffe, "max")
    content, s1, _, x = tiling_images
    params = Params(size=128)
    raw = RawInputs(content, (s1,), (1.0,), None)
    tg = targets(model, prepare(raw, params, raw.blend), params, HW)
    _assert_same(_tiled(model, x, tg, params, 64, 1), _untiled(model, x, tg, params))


def test_the_mean_and_covariance_get_their_gradient_through_a_bounded_parametrisation(caffe: WeightSet,
                                                                                     tiling_images) -> None:
    """The W2 loss reads each layer's mean and covariance: tiled, with the image computed from
    another tensor (x = sigmoid(z)), z gets the gradient autograd gives on the whole image."""
    model = VGG19(caffe, "avg")
    content, s1, _, x = tiling_images
    layers = ("relu1_1", "relu3_1")
    params = Params(size=128, style_loss="wasserstein", style_layers=layers, style_layer_weights=(1.0, 1.0),
                    content_weight=0.0, tv_weight=0.0)
    raw = RawInputs(content, (s1,), (1.0,), None)
    tg = targets(model, prepare(raw, params, raw.blend), params, HW)
    z = torch.logit(x.clamp(0.01, 0.99)).requires_grad_(True)
    feats = model(tiled_pass.layout(torch.sigmoid(z), z.device), [*layers, *params.content_layers])
    whole = total_loss(feats, torch.sigmoid(z), tg, params)
    whole["total"].backward()
    assert z.grad is not None
    reference, z.grad = z.grad, None
    gen = torch.Generator().manual_seed(2)
    terms = tiled_pass.tiled_loss_and_grad(model, torch.sigmoid(z), tg, params, 64, gen)
    assert terms["style"] == pytest.approx(float(whole["style"].detach()), rel=1e-4)
    assert float((z.grad - reference).abs().max() / reference.abs().max()) < 1e-4


@pytest.mark.parametrize("style_loss", ["gram", "wasserstein"])
def test_tiled_targets_equal_the_untiled_targets(caffe: WeightSet, tiling_images, style_loss: str) -> None:
    model = VGG19(caffe, "avg")
    content, s1, s2, _ = tiling_images
    params = Params(size=128, style_scale=1.5, style_loss=style_loss)
    raw = RawInputs(content, (s1, s2), (1.0, 1.0), None)
    inputs = prepare(raw, params, raw.blend)
    whole, tiled = targets(model, inputs, params, HW), tiled_pass.tiled_targets(model, inputs, params, HW, 64)
    for layer, feats in whole.content.items():
        assert torch.allclose(tiled.content[layer], feats, rtol=1e-5, atol=1e-5 * float(feats.abs().max()))
    for layer, sources in whole.sources.items():
        for source, tiled_source in zip(sources, tiled.sources[layer], strict=True):
            pairs = ((source, tiled_source),) if isinstance(source, Tensor) else (
                (source.mean, tiled_source.mean), (source.cov, tiled_source.cov))
            for want, got in pairs:
                assert torch.allclose(got, want, rtol=1e-4, atol=1e-5 * float(want.abs().max())), layer
        assert [w for _, w in whole.style[layer]] == [w for _, w in tiled.style[layer]]


def test_wasserstein_style_loss_tiled_equals_untiled(caffe: WeightSet, tiling_images) -> None:
    """W2 through its (mean, covariance) statistics; layers where positions outnumber channels,
    as at every size that is tiled."""
    model = VGG19(caffe, "avg")
    content, s1, s2, x = tiling_images
    layers = ("relu1_1", "relu2_1", "relu3_1")
    params = Params(size=128, style_loss="wasserstein", style_layers=layers,
                    style_layer_weights=(1.0, 1.0, 1.0))
    raw = RawInputs(content, (s1, s2), (3.0, 1.0), None)
    tg = targets(model, prepare(raw, params, raw.blend), params, HW)
    tiled, untiled = _tiled(model, x, tg, params, 64, 4), _untiled(model, x, tg, params)
    assert tiled[0]["total"] == pytest.approx(untiled[0]["total"], rel=1e-4)
    error = (tiled[1] - untiled[1]).abs().max() / untiled[1].abs().max()
    assert float(error) < 1e-4  # measured 9e-6: Newton-Schulz in float32, C x C against n x n forms


@pytest.mark.parametrize("n_styles", [1, 2])
def test_sliced_style_loss_tiled_equals_untiled(caffe: WeightSet, tiling_images, n_styles: int) -> None:
    """The sliced loss for one step's directions: pass 1 gathers every core position's projections,
    the loss sorts them all, pass 2 hands each position its own gradient; the style's samples are
    gathered whole from the tiles (tiled_targets)."""
    model = VGG19(caffe, "avg")
    content, s1, s2, x = tiling_images
    layers = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
    params = Params(size=128, style_loss="sliced", style_layers=layers, style_layer_weights=(1.0,) * 4,
                    tv_weight=3.0, content_weight=2.0)
    raw = RawInputs(content, (s1, s2)[:n_styles], (3.0, 1.0)[:n_styles], None)
    inputs = prepare(raw, params, raw.blend)
    weights = [w for _, w in inputs.styles]
    tg = targets_for_step(targets(model, inputs, params, HW), weights, params, step=7)
    tiled_targets = tiled_pass.tiled_targets(model, inputs, params, HW, 64)
    tiled_tg = targets_for_step(tiled_targets, weights, params, step=7)
    tiled, untiled = _tiled(model, x, tiled_tg, params, 64, 4), _untiled(model, x, tg, params)
    assert untiled[0]["style"] > 0
    _assert_same(tiled, untiled)


@pytest.mark.parametrize("seed", [0, 6])
def test_structure_content_tiled_equals_untiled(caffe: WeightSet, tiling_images, seed: int,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The self-similarity term's grid spans the tiles: pass 1 gathers it, pass 2 hands each grid
    cell its gradient. A grid of at most 50 positions (strides 2 and 4 here, so cells off the grid
    get none); relu3_1 and relu4_1 are content and style layers at once (their gradients add)."""
    monkeypatch.setattr("nst_desktop.engine.losses.self_similarity.MAX_POSITIONS", 50)
    model = VGG19(caffe, "avg")
    content, s1, _, x = tiling_images
    params = Params(size=128, content_loss="structure", content_layers=("relu3_1", "relu4_1"),
                    content_layer_weights=(1.0, 2.0), tv_weight=3.0, content_weight=2.0)
    raw = RawInputs(content, (s1,), (1.0,), None)
    tg = targets(model, prepare(raw, params, raw.blend), params, HW)
    tiled, untiled = _tiled(model, x, tg, params, 64, seed), _untiled(model, x, tg, params)
    assert untiled[0]["content"] > 0.01
    _assert_same(tiled, untiled)


@pytest.mark.parametrize("changes", [{"content_loss": "structure"}, {"style_loss": "sliced"}])
def test_an_image_smaller_than_a_window_is_exact_in_tiles(caffe: WeightSet, tiling_images,
                                                          changes: dict[str, str]) -> None:
    """48 x 64 px in tiles of 32: the halo makes every tile's window the whole image, so the
    terms that hand each tile its own gradient (structure's grid, sliced's projections) must tell
    the tiles apart by their cores, not their windows (keyed by window, they took one tile's
    cells for all: an IndexError or a wrong gradient; found by the golden recipe)."""
    model = VGG19(caffe, "avg")
    content, s1, _, x = (t[..., :48, :64] if t.shape[-2:] == HW else t for t in tiling_images)
    params = Params(size=64, tv_weight=3.0, content_weight=2.0, **changes)  # type: ignore[arg-type]
    raw = RawInputs(content, (s1,), (1.0,), None)
    inputs = prepare(raw, params, raw.blend)
    tg = targets_for_step(targets(model, inputs, params, (48, 64)), [1.0], params, step=2)
    tiles = geo.plan_tiles((48, 64), 32, geo.halo_for("relu4_2"))
    assert len({tile.window for tile in tiles}) == 1 < len(tiles)
    _assert_same(_tiled(model, x, tg, params, 32, 0), _untiled(model, x, tg, params))


def test_peak_feature_size_follows_the_tile_not_the_image(caffe: WeightSet) -> None:
    model = VGG19(caffe, "avg")
    hw = (48, 640)
    largest = [0]

    def watch(_module: torch.nn.Module, _inputs: object, output: Tensor) -> None:
        largest[0] = max(largest[0], output.numel())

    hooks = [conv.register_forward_hook(watch) for conv in model.convs.values()]
    params = Params(size=640, style_layers=("relu1_1", "relu2_1"), style_layer_weights=(1.0, 1.0),
                    content_layers=("relu2_2",))
    x = torch.rand(1, 3, *hw)
    tg = Targets(content={"relu2_2": torch.rand(1, 128, 24, 320)},
                        style={"relu1_1": [(torch.eye(64), 1.0)], "relu2_1": [(torch.eye(128), 1.0)]})
    tiled_pass.tiled_loss_and_grad(model, x.requires_grad_(True), tg, params, 64, torch.Generator())
    for hook in hooks:
        hook.remove()
    halo = geo.halo_for("relu2_2")
    assert largest[0] <= 64 * hw[0] * (64 + 2 * halo)  # relu1's 64 channels over one window
    assert largest[0] < 64 * hw[0] * hw[1] / 4


@pytest.mark.parametrize("mode", ["size_invariant", "pastiche"])  # classic: test_classic_loss.py
@pytest.mark.parametrize("rows", [1, 4, 256])
def test_tv_summed_over_bands_of_rows_is_the_whole_images_tv(mode: str, rows: int) -> None:
    """One TV formula (losses.tv_loss): print sizes sum it over bands of rows, each band owning
    its pairs once (the last band the last row's), and get the whole image's value and gradient."""
    x = torch.rand(1, 3, 13, 17, generator=torch.Generator().manual_seed(rows))
    params = Params(tv_weight=2.0, loss_normalisation=mode)
    leaf = x.clone().requires_grad_(True)
    whole = params.tv_weight * tv_loss(leaf, params.loss_normalisation)
    whole.backward()  # type: ignore[no-untyped-call]
    grad = torch.zeros_like(x)
    banded = tiled_pass.tv_loss_and_grad(x, params, grad, rows=rows)
    assert float(banded) == pytest.approx(float(whole.detach()), rel=1e-6)
    assert leaf.grad is not None
    torch.testing.assert_close(grad, leaf.grad, rtol=1e-5, atol=1e-6 * float(leaf.grad.abs().max()))


def test_offsets_are_seeded_aligned_and_move_between_steps() -> None:
    def draws(seed: int) -> list[tuple[int, int]]:
        gen = torch.Generator().manual_seed(seed)
        return [tiled_pass.random_offset(256, gen) for _ in range(8)]

    assert draws(7) == draws(7)
    assert len(set(draws(7))) > 1
    assert all(o % 16 == 0 and 0 <= o < 256 for pair in draws(7) for o in pair)


def test_tiles_are_chosen_from_the_memory_budget() -> None:
    per_px = geo.pass_bytes((1, 1), "relu5_1")
    assert geo.choose_tile((512, 512), "relu5_1", 512 * 512 * per_px) == 0  # fits: no tiling
    tile = geo.choose_tile((4096, 2731), "relu5_1", 2e9)
    assert tile % 16 == 0 and geo.MIN_TILE <= tile < 4096
    assert geo.pass_bytes((tile + 160, tile + 160), "relu5_1") <= 2e9
    assert geo.pass_bytes((tile + 176, tile + 176), "relu5_1") > 2e9  # the largest that fits
    # halos cost less with bigger tiles; pass 1 adds a forward to forward + backward
    assert 1.5 < geo.tiled_step_cost_factor((4096, 2731), 512, 80) < geo.tiled_step_cost_factor(
        (4096, 2731), 256, 80)


def test_auto_max_size_grows_with_memory_and_shrinks_with_lbfgs_history() -> None:
    small = geo.max_long_side(1.5, 30, "lbfgs", free_bytes=4 * 2**30)
    assert geo.max_long_side(1.5, 30, "lbfgs", free_bytes=32 * 2**30) > small
    assert geo.max_long_side(1.5, 5, "lbfgs", free_bytes=4 * 2**30) > small
    assert geo.max_long_side(1.5, 30, "adam", free_bytes=4 * 2**30) > small
    assert small % 16 == 0 and geo.free_memory_bytes() > 0
    # With 8 GB free the sizes that fit are so big that the history is capped to the floor anyway.
    assert geo.max_long_side(1.5, 30, "lbfgs", free_bytes=8 * 2**30) == geo.max_long_side(
        1.5, 5, "lbfgs", free_bytes=8 * 2**30)


@pytest.mark.parametrize(("history", "free_gib"), [(30, 4), (30, 8), (100, 2), (5, 16), (1000, 6)])
def test_the_largest_size_is_the_largest_whose_state_fits(history: int, free_gib: int) -> None:
    """max_long_side and the run agree: the state at its answer, with the history the run would
    use there, fits the budget; 16 px more does not."""
    free = free_gib * 2**30
    available = geo.MEMORY_SHARE * free - 250e6 - geo.pass_bytes((288, 288), "relu5_1")

    def state(long_side: int) -> float:
        pixels = long_side * long_side / 1.5
        capped = geo.lbfgs_history_for(history, int(pixels))
        return geo.image_bytes_per_pixel(capped, "lbfgs", 1, 1.0) * pixels

    best = geo.max_long_side(1.5, history, "lbfgs", free_bytes=free)
    assert state(best) <= available < state(best + 16)


def test_lbfgs_history_is_capped_at_print_sizes_only() -> None:
    assert geo.lbfgs_history_for(30, 512 * 512) == 30  # the usual sizes keep the full history
    assert geo.lbfgs_history_for(100, 768 * 576) == 100  # the presets' sizes keep theirs
    assert geo.lbfgs_history_for(30, 2048 * 1448) == 30
    assert geo.lbfgs_history_for(30, 2048 * 2048) == 21
    assert geo.lbfgs_history_for(30, 3508 * 2480) == 10  # A4 at 300 dpi
    assert geo.lbfgs_history_for(30, 4096 * 4096) == 5  # the floor
    assert geo.lbfgs_history_for(30, 4961 * 3508) == 5  # A3: the floor, over the budget
    assert geo.lbfgs_history_for(3, 4096 * 4096) == 3  # never more than asked for
    for pixels in (2048 * 2048, 3508 * 2480):  # within the budget
        assert 2 * 3 * 4 * pixels * geo.lbfgs_history_for(30, pixels) <= geo.LBFGS_HISTORY_BYTES


def test_the_capped_history_is_the_same_on_any_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """A record replays exactly elsewhere: the history stylize builds depends on the params and
    the size only, never on the free memory."""
    from nst_desktop.engine.run import stylize

    x = torch.empty(1, 3, 3508, 2480, requires_grad=True)  # A4; torch.empty touches no pages
    seen = []
    for free in (2**30, 2**40):
        monkeypatch.setattr(geo, "free_memory_bytes", lambda free=free: free)
        monkeypatch.setattr(tiled_pass, "device_free_bytes", lambda device, free=free: free)
        seen.append(stylize._optimizer(Params(), x).defaults["history_size"])
    assert seen == [10, 10]
    assert stylize._optimizer(Params(), torch.empty(1, 3, 384, 512, requires_grad=True)
                              ).defaults["history_size"] == 30


def test_stylize_builds_and_logs_the_capped_history(photo, painting, monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from nst_desktop.engine.run import stylize
    from nst_desktop.engine.spec.events import StyleInput

    # A budget for 7 pairs of a 48x64 image stands in for a print size.
    monkeypatch.setattr(geo, "LBFGS_HISTORY_BYTES", 7 * 2 * 3 * 4 * 48 * 64)
    built: list[int] = []
    real = stylize._optimizer

    def spy(params: Params, x: Tensor) -> torch.optim.Optimizer:
        opt = real(params, x)
        built.append(opt.defaults["history_size"])
        return opt

    monkeypatch.setattr(stylize, "_optimizer", spy)
    with caplog.at_level(logging.INFO, logger="nst_desktop.engine.run.stylize"):
        stylize.stylize(photo, [StyleInput(painting, 1.0, "starry")],
                        Params(size=64, min_size=64, steps=2, precision="float32"))
    assert built == [7]
    assert "L-BFGS history 7 instead of 30 at 64x48 px" in caplog.text


def test_stylize_paints_in_tiles_when_the_plan_says_so(photo, painting,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The integration: a planned tile routes the scale's targets and every step through the
    tiled pass, and the picture is the one the untiled run paints (avg pooling: no ties)."""
    import numpy as np

    from nst_desktop.engine.run.stylize import stylize
    from nst_desktop.engine.spec.events import StyleInput

    params = Params(size=64, min_size=64, steps=3, pooling="avg", precision="float32")
    styles = [StyleInput(painting, 1.0, "starry")]
    plain = stylize(photo, styles, params).image
    calls = {"targets": 0, "steps": 0}
    real_targets, real_step = tiled_pass.tiled_targets, tiled_pass.tiled_loss_and_grad

    def counted_targets(*args: object, **kwargs: object) -> Targets:
        calls["targets"] += 1
        return real_targets(*args, **kwargs)  # type: ignore[arg-type]

    def counted_step(*args: object, **kwargs: object) -> dict[str, float]:
        calls["steps"] += 1
        return real_step(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tiled_pass, "plan_tile", lambda p, hw, device: 32)
    monkeypatch.setattr(tiled_pass, "tiled_targets", counted_targets)
    monkeypatch.setattr(tiled_pass, "tiled_loss_and_grad", counted_step)
    tiled = stylize(photo, styles, params).image
    assert calls == {"targets": 1, "steps": 3}
    assert float(np.abs(tiled - plain).max()) < 2e-3


def test_plan_tile_tiles_only_what_does_not_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    cpu = torch.device("cpu")
    monkeypatch.setattr(tiled_pass, "device_free_bytes", lambda device: 4 * 2**30)
    assert tiled_pass.plan_tile(Params(), (384, 512), cpu) == 0  # 0.6 GB of activations: one pass
    tile = tiled_pass.plan_tile(Params(size=4096), (3072, 4096), cpu)
    assert tile % 16 == 0 and 0 < tile < 4096
    deepest = geo.deepest(Params().style_layers + Params().content_layers)
    window = (tile + 2 * geo.halo_for(deepest),) * 2
    assert geo.pass_bytes(window, deepest) <= geo.MEMORY_SHARE * 4 * 2**30
    monkeypatch.setattr(tiled_pass, "device_free_bytes", lambda device: 2**40)
    assert tiled_pass.plan_tile(Params(size=4096), (3072, 4096), cpu) == 0


def test_wide_sums_stay_off_mps_float64(monkeypatch: pytest.MonkeyPatch) -> None:
    """MPS has no float64: the exact sums of pass 1 go to the CPU there (written for the Mac,
    checked here with a tensor that claims to be on MPS and refuses .double())."""

    class MpsLike(torch.Tensor):
        @property
        def device(self) -> torch.device:  # type: ignore[override]
            return torch.device("mps")

        def double(self, *args: object, **kwargs: object) -> torch.Tensor:  # type: ignore[override]
            raise TypeError("Cannot convert a MPS Tensor to float64 dtype")

    t = torch.ones(2, 2).as_subclass(MpsLike)
    out = tiled_pass.wide(t).as_subclass(torch.Tensor)  # no TypeError: .double() was not called
    assert out.dtype == torch.float64 and out.device.type == "cpu"
    assert tiled_pass.wide(torch.ones(2)).dtype == torch.float64



@pytest.mark.parametrize("step, where", [(1, "window_features"), (2, "window_features"), (2, "local_pass")])
def test_a_stop_is_honoured_between_the_tiles_of_a_step(photo, painting, monkeypatch: pytest.MonkeyPatch,
                                                         step: int, where: str) -> None:
    """A print-size step takes minutes: a stop asked for during its targets (step 1) or its first
    pass (step 2; both no-grad loops are window_features), or its second (local_pass) takes no
    further tile."""
    from nst_desktop.engine.run.stylize import stylize

    control = RunControl()
    spy = StopInPass(control, step, where)
    monkeypatch.setattr(tiled_pass, "plan_tile", lambda p, hw, device: 32)
    monkeypatch.setattr(tiled_pass, "tile_window", spy)
    params = Params(size=64, min_size=64, steps=4, precision="float32")
    result = stylize(photo, [StyleInput(painting, 1.0, "starry")], params, control=control,
                     callback=keep_steps(spy.events), preview_every=1)
    spy.check_stopped_at_once(result)
    assert result.image.shape == photo.shape
