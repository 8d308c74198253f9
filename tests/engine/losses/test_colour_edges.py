"""Contract points of engine.losses.colour that mutation testing found unchecked
(benchmarks/mutation.py; see "Mutation testing" in benchmarks/RESULTS.md)."""

from __future__ import annotations

import pytest
import torch

from nst_desktop.engine.losses import colour


def _noise(shape: tuple[int, ...], seed: int) -> torch.Tensor:
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed))


def test_colour_conversions_follow_the_images_dtype() -> None:
    # The YIQ matrix is float32; a float64 image must be converted in float64, not fail
    # on mixed dtypes in the einsum (nor be silently cast down).
    image = _noise((3, 8, 8), 0).double()
    yiq = colour.rgb_to_yiq(image)
    assert yiq.dtype == torch.float64
    assert torch.allclose(colour.yiq_to_rgb(yiq), image, atol=1e-6)
    assert torch.allclose(yiq.float(), colour.rgb_to_yiq(image.float()), atol=1e-6)


def test_recombine_resizes_the_photos_chroma_for_unbatched_images() -> None:
    # "(..., 3, H, W)": a (3, H, W) photo larger than the result is resized too. A smooth
    # photo (linear ramps) has the same chroma after any reasonable resampling.
    ys, xs = torch.meshgrid(torch.linspace(0, 1, 32), torch.linspace(0, 1, 48), indexing="ij")
    photo = torch.stack([0.2 + 0.6 * xs, 0.3 + 0.4 * ys, 0.7 - 0.5 * xs])
    result = _noise((3, 16, 24), 1)
    out = colour.recombine_luminance(result, photo)
    assert out.shape == (3, 16, 24)
    small = torch.nn.functional.avg_pool2d(photo[None], 2)[0]  # exact 2x box downsizing
    out_yiq = colour.rgb_to_yiq(out)
    assert torch.allclose(out_yiq[0], colour.rgb_to_yiq(result)[0], atol=1e-5)
    assert torch.allclose(out_yiq[1:], colour.rgb_to_yiq(small)[1:], atol=0.01)
    # and batched (N, 3, H, W) tensors give the same, image by image (the engine passes N=1)
    batched = colour.recombine_luminance(torch.stack([result, result.flip(-1)]), torch.stack([photo, photo]))
    assert batched.shape == (2, 3, 16, 24)
    assert torch.allclose(batched[0], out, atol=1e-6)
    assert torch.allclose(batched[1], colour.recombine_luminance(result.flip(-1), photo), atol=1e-6)


def test_recombine_low_pass_filters_the_chroma_when_shrinking() -> None:
    # A photo with per-pixel colour noise shown 8x smaller: the chroma is averaged over
    # each 8x8 block (antialiased), not sampled from a few pixels, which would give colour
    # speckle (aliasing). Averages of ~64 pixels keep ~1/8 of the noise's spread.
    photo = _noise((3, 64, 64), 2)
    out = colour.recombine_luminance(torch.full((3, 8, 8), 0.5), photo)
    photo_iq, out_iq = colour.rgb_to_yiq(photo)[1:], colour.rgb_to_yiq(out)[1:]
    assert float(out_iq.std()) < 0.3 * float(photo_iq.std())
    assert torch.allclose(out_iq.mean(dim=(1, 2)), photo_iq.mean(dim=(1, 2)), atol=0.01)


def _accelerator() -> torch.device | None:
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return None


@pytest.mark.skipif(_accelerator() is None, reason="needs a CUDA or MPS device (the CPU run cannot tell)")
def test_histogram_matching_returns_the_style_on_its_own_device() -> None:
    # The statistics are computed on the CPU in float64 (MPS has neither float64 nor eigh);
    # the recoloured style must go back to the run's device for the VGG pass.
    device = _accelerator()
    assert device is not None
    style, content = _noise((3, 16, 16), 3).to(device), _noise((3, 16, 16), 4).to(device)
    out = colour.match_histogram(style, content)
    assert out.device.type == device.type and out.dtype == style.dtype
