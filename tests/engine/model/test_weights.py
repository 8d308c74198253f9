from pathlib import Path

import pytest
import torch

from nst_desktop.engine.model.weights import (
    CONV_LAYERS,
    TORCHVISION_INDEX,
    load_caffe_weights,
    load_weight_file,
    weightset_from_state_dict,
)
from nst_desktop.engine.spec.errors import WeightsError


def test_caffe_weights_shapes_and_normalisation(caffe) -> None:
    assert caffe.channel_order == "BGR" and caffe.scale == 255.0
    assert caffe.mean == pytest.approx((103.939, 116.779, 123.68))
    assert caffe.state_dict["conv1_1.weight"].shape == (64, 3, 3, 3)
    assert caffe.state_dict["conv5_4.weight"].shape == (512, 512, 3, 3)
    assert len(caffe.state_dict) == 32
    # dequantised: at most 256 distinct values per layer
    assert caffe.state_dict["conv3_1.weight"].unique().numel() <= 256
    assert "Simonyan" in caffe.licence


def test_caffe_weights_are_cached(caffe) -> None:
    assert load_caffe_weights() is caffe


def _fake_torchvision(caffe) -> dict[str, torch.Tensor]:
    sd = {}
    for index, (name, _cin, _cout) in zip(TORCHVISION_INDEX, CONV_LAYERS, strict=True):
        sd[f"features.{index}.weight"] = caffe.state_dict[name + ".weight"]
        sd[f"features.{index}.bias"] = caffe.state_dict[name + ".bias"]
    sd["classifier.0.weight"] = torch.zeros(4, 4)
    return sd


def test_torchvision_naming_gets_torchvision_normalisation(caffe) -> None:
    ws = weightset_from_state_dict(_fake_torchvision(caffe), "tv.pth")
    assert ws.channel_order == "RGB" and ws.scale == 1.0
    assert ws.std == pytest.approx((0.229, 0.224, 0.225))
    assert torch.equal(ws.state_dict["conv2_1.weight"], caffe.state_dict["conv2_1.weight"])


def test_our_naming_round_trips_through_a_file(caffe, tmp_path: Path) -> None:
    path = tmp_path / "ours.pth"
    torch.save(dict(caffe.state_dict), path)
    ws = load_weight_file(path)
    assert ws.channel_order == "BGR"
    assert torch.equal(ws.state_dict["conv4_2.bias"], caffe.state_dict["conv4_2.bias"])


def test_incomplete_state_dict_names_the_source(caffe) -> None:
    sd = dict(caffe.state_dict)
    del sd["conv3_3.weight"]
    with pytest.raises(WeightsError, match=r"broken\.pth.*conv3_3\.weight"):
        weightset_from_state_dict(sd, "broken.pth")


def test_wrong_shape_is_reported(caffe) -> None:
    sd = dict(caffe.state_dict)
    sd["conv1_1.weight"] = torch.zeros(64, 3, 5, 5)
    with pytest.raises(WeightsError, match="shape"):
        weightset_from_state_dict(sd, "x.pth")


def test_unreadable_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a torch file")
    with pytest.raises(WeightsError, match="bad.pth"):
        load_weight_file(bad)
    with pytest.raises(WeightsError, match="not found"):
        load_weight_file(tmp_path / "missing.pth")


def test_torch_pickle_warnings_never_reach_the_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Some torch versions warn on every torch.load (FutureWarning about pickles, UserWarning on
    old formats): text on stderr the user cannot act on. Loading keeps them to itself."""
    import warnings

    path = tmp_path / "w.pth"
    torch.save({"conv1_1.weight": torch.zeros(1)}, path)
    real_load = torch.load

    def warning_load(*args: object, **kwargs: object) -> object:
        warnings.warn("You are using torch.load with weights_only=False", FutureWarning, stacklevel=2)
        warnings.warn("TypedStorage is deprecated", UserWarning, stacklevel=2)
        return real_load(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(torch, "load", warning_load)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(WeightsError, match="not a VGG19 weight file"):
            load_weight_file(path)
    assert [str(w.message) for w in caught] == []
