"""The VGG19 feature extractor (convolutional part only), defined here without torchvision."""

from __future__ import annotations

import threading
from collections.abc import Iterable

import torch
import torch.nn.functional as F  # noqa: N812 (the conventional name)
from torch import Tensor, nn

from nst_desktop.engine.model.devices import use_channels_last
from nst_desktop.engine.model.weights import CONV_LAYERS, WeightSet, check_state_dict
from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.params import VGG19_LAYERS, PoolingMode

#: A 2x2 pooling follows the last ReLU of blocks 1-4 (pool5 feeds only the classifier).
POOL_AFTER = frozenset({"relu1_2", "relu2_2", "relu3_4", "relu4_4"})
LAYER_INDEX = {name: i for i, name in enumerate(VGG19_LAYERS)}


def layer_channels(layer: str) -> int:
    """Number of channels of a ``reluB_C`` layer."""
    return int(CONV_LAYERS[LAYER_INDEX[layer]][2])


def layer_stride(layer: str) -> int:
    """Down-sampling factor of a layer relative to the input (1, 2, 4, 8 or 16)."""
    return 1 << (int(layer[4]) - 1)


class VGG19(nn.Module):
    """VGG19 convolutions with named ReLU outputs ``relu1_1`` ... ``relu5_4``.

    ``forward`` takes RGB images in 0..1, shape (N, 3, H, W), and applies the weight
    set's own normalisation, so callers never need to know which weights are loaded.
    Parameters never require grad: style transfer optimises the image, not the network,
    and skipping weight gradients saves a third of the backward pass.
    """

    scale_: Tensor
    mean_: Tensor
    std_: Tensor

    def __init__(self, weights: WeightSet, pooling: PoolingMode = "max") -> None:
        super().__init__()
        if pooling not in ("max", "avg"):
            raise ParamsError(f"Pooling must be 'max' or 'avg', not {pooling!r}.")
        check_state_dict(weights.state_dict, weights.name)
        self.pooling = pooling
        self.weights_name = weights.name
        self.convs = nn.ModuleDict(
            {name: nn.Conv2d(cin, cout, 3, padding=1) for name, cin, cout in CONV_LAYERS}
        )
        with torch.no_grad():
            for name, conv in self.convs.items():
                assert isinstance(conv, nn.Conv2d)
                conv.weight.copy_(weights.state_dict[name + ".weight"])
                assert conv.bias is not None
                conv.bias.copy_(weights.state_dict[name + ".bias"])
        self.requires_grad_(False)
        self.eval()
        self.bgr = weights.channel_order == "BGR"
        self.register_buffer("scale_", torch.tensor(weights.scale, dtype=torch.float32))
        self.register_buffer("mean_", torch.tensor(weights.mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std_", torch.tensor(weights.std, dtype=torch.float32).view(1, 3, 1, 1))
        self.compute_dtype = torch.float32

    def set_compute_dtype(self, dtype: torch.dtype) -> VGG19:
        """Run the convolutions in ``dtype`` (bfloat16/float16): weights are cast once here.

        This replaces autocast on purpose: autocast caches casts only of leaf tensors that
        require grad, so it re-casts our frozen 20 M weights on every forward pass. The
        normalisation stays float32 (``forward`` casts after it); outputs are ``dtype``.
        """
        self.convs.to(dtype=dtype)
        self.compute_dtype = dtype
        return self

    def normalise(self, x: Tensor) -> Tensor:
        """RGB 0..1 -> the network's input units (channel order, scale, mean, std)."""
        if self.bgr:
            x = x.flip(1)
        return (x * self.scale_ - self.mean_) / self.std_

    def _pool(self, x: Tensor) -> Tensor:
        # Flooring, as Caffe and neural-style pool: an odd last row or column is left out of
        # the deeper layers. Rounding up instead (ceil_mode) gave that row a 1x2 cell of its
        # own, i.e. twice the gradient of its neighbours, and painted it darker (Golden Gate at
        # 255 px: the last row 0.046 darker than the one above, the photo's 0.005; measured in
        # benchmarks/RESULTS.md, issue 8.8), so it stays floored.
        if self.pooling == "max":
            return F.max_pool2d(x, 2, 2)
        return F.avg_pool2d(x, 2, 2)

    def forward(self, x: Tensor, layers: Iterable[str]) -> dict[str, Tensor]:
        """Features of the requested layers; runs only up to the deepest one."""
        wanted = set(layers)
        unknown = wanted - LAYER_INDEX.keys()
        if unknown or not wanted:
            raise ParamsError(f"Unknown VGG19 layer(s): {', '.join(sorted(unknown)) or '(none)'}.")
        deepest = max(LAYER_INDEX[name] for name in wanted)
        h = self.normalise(x).to(self.compute_dtype)
        out: dict[str, Tensor] = {}
        for name in VGG19_LAYERS[: deepest + 1]:
            # In-place ReLU is safe: a convolution's backward needs its input, not its output.
            h = F.relu(self.convs["conv" + name[4:]](h), inplace=True)
            if name in wanted:
                out[name] = h
            if name in POOL_AFTER and LAYER_INDEX[name] < deepest:
                h = self._pool(h)
        return out


def conv_flops(height: int, width: int, deepest: str) -> float:
    """Multiply-add FLOPs (x2) of one forward pass up to ``deepest`` on an HxW image."""
    total = 0.0
    for name, cin, cout in CONV_LAYERS[: LAYER_INDEX[deepest] + 1]:
        stride = layer_stride("relu" + name[4:])
        positions = (height // stride) * (width // stride)
        total += 2.0 * 9 * cin * cout * positions
    return total


_MODEL_LOCK = threading.Lock()
_MODEL_CACHE: dict[tuple[object, ...], VGG19] = {}


def _weights_identity(weights: WeightSet) -> tuple[object, ...]:
    """A stable key for a weight set: its name and a fingerprint of its tensors.

    Not ``id()``: the io layer builds a new WeightSet object for every run of an imported
    set, and the model (80 MB, built in about a second) would be rebuilt each time.
    """
    state = weights.state_dict
    probe = tuple(float(state[k].flatten()[:8].double().sum()) for k in ("conv1_1.weight", "conv5_1.bias")
                  if k in state)
    return (weights.name, weights.channel_order, weights.scale, weights.mean, weights.std, len(state), probe)


def cached_model(
    weights: WeightSet, pooling: str, device: torch.device, dtype: torch.dtype | None
) -> VGG19:
    """The VGG19 module for these weights, pooling, device and compute dtype, built once and
    kept (one at a time: each holds 80 MB of weights) for the next run."""
    key = (_weights_identity(weights), pooling, str(device), str(dtype), use_channels_last(device))
    with _MODEL_LOCK:
        if key not in _MODEL_CACHE:
            _MODEL_CACHE.clear()  # keep one model: each holds 80 MB of weights
            model = VGG19(weights, "max" if pooling == "max" else "avg").to(device)
            if dtype is not None:
                model.set_compute_dtype(dtype)
            if use_channels_last(device):
                model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
            _MODEL_CACHE[key] = model
        return _MODEL_CACHE[key]
