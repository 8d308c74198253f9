import pytest
import torch

from nst_desktop.engine.losses.statistics import gram_matrix
from nst_desktop.engine.model.vgg import VGG19, conv_flops, layer_channels
from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.params import VGG19_LAYERS


def _t(image) -> torch.Tensor:
    return torch.from_numpy(image).permute(2, 0, 1)[None].contiguous()


@pytest.fixture(scope="module")
def vgg(caffe) -> VGG19:
    return VGG19(caffe)


def test_all_layers_have_the_right_shapes(vgg, photo) -> None:
    with torch.no_grad():
        feats = vgg(_t(photo), VGG19_LAYERS)
    assert list(feats) == list(VGG19_LAYERS)
    assert feats["relu1_1"].shape == (1, 64, 48, 64)
    assert feats["relu3_4"].shape == (1, 256, 12, 16)
    assert feats["relu5_4"].shape == (1, 512, 3, 4)
    for f in feats.values():
        assert torch.isfinite(f).all() and (f >= 0).all()
        assert f.abs().sum() > 0


def test_forward_stops_at_the_deepest_requested_layer(vgg, photo) -> None:
    calls = []
    hooks = [m.register_forward_hook(lambda *_: calls.append(1)) for m in vgg.convs.values()]
    try:
        with torch.no_grad():
            vgg(_t(photo), ["relu2_1"])
    finally:
        for h in hooks:
            h.remove()
    assert len(calls) == 3  # conv1_1, conv1_2, conv2_1


def test_features_are_deterministic_and_image_dependent(vgg, photo, painting) -> None:
    with torch.no_grad():
        a = vgg(_t(photo), ["relu3_1"])["relu3_1"]
        b = vgg(_t(photo), ["relu3_1"])["relu3_1"]
        c = vgg(_t(painting), ["relu3_1"])["relu3_1"]
    assert torch.equal(a, b)
    ga, gc = gram_matrix(a), gram_matrix(c)
    assert (ga - gc).norm() / ga.norm() > 0.1


def test_features_are_sensible_for_a_photo(vgg, photo) -> None:
    # Trained filters respond sparsely deep in the network (most ReLUs are off), unlike
    # a random or broken network; and a flat grey image gives far weaker responses.
    with torch.no_grad():
        f = vgg(_t(photo), ["relu4_2"])["relu4_2"]
        flat = vgg(torch.full_like(_t(photo), 0.5), ["relu4_2"])["relu4_2"]
    zero_fraction = float((f == 0).float().mean())
    assert 0.3 < zero_fraction < 0.99
    assert f.mean() > flat.mean()


def test_avg_pooling_differs(caffe, vgg, photo) -> None:
    avg = VGG19(caffe, "avg")
    with torch.no_grad():
        assert not torch.equal(avg(_t(photo), ["relu3_1"])["relu3_1"], vgg(_t(photo), ["relu3_1"])["relu3_1"])


def test_unknown_layer_is_a_params_error(vgg, photo) -> None:
    with pytest.raises(ParamsError, match="relu9_9"):
        vgg(_t(photo), ["relu9_9"])


def test_weights_do_not_require_grad(vgg) -> None:
    assert not any(p.requires_grad for p in vgg.parameters())


def test_helpers() -> None:
    assert layer_channels("relu3_2") == 256
    # conv1_1 on 224x224: 2 * 9 * 3 * 64 * 224^2
    assert conv_flops(224, 224, "relu1_1") == 2 * 9 * 3 * 64 * 224 * 224


def test_bfloat16_convolutions_stay_close_to_float32(caffe, photo) -> None:
    half = VGG19(caffe).set_compute_dtype(torch.bfloat16)
    full = VGG19(caffe)
    with torch.no_grad():
        a = full(_t(photo), ["relu3_1"])["relu3_1"]
        b = half(_t(photo), ["relu3_1"])["relu3_1"]
    assert b.dtype == torch.bfloat16
    assert float((gram_matrix(a) - gram_matrix(b)).norm() / gram_matrix(a).norm()) < 0.03

