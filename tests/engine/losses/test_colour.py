import torch

from nst_desktop.engine.losses import colour


def _image(seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    base = torch.rand(3, 1, 1, generator=g)
    return (base + 0.2 * torch.rand(3, 24, 32, generator=g)).clamp(0, 1)


def test_yiq_round_trip() -> None:
    x = _image(0)
    assert torch.allclose(colour.yiq_to_rgb(colour.rgb_to_yiq(x)), x, atol=1e-5)


def test_luminance_is_grey_with_the_y_channel() -> None:
    x = _image(1)
    lum = colour.luminance(x)
    assert lum.shape == x.shape
    assert torch.allclose(lum[0], lum[1]) and torch.allclose(lum[1], lum[2])
    assert torch.allclose(lum[0], 0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2], atol=1e-6)


def test_match_luminance_matches_mean_and_std() -> None:
    style, content = _image(2), _image(3)
    out = colour.match_luminance(style, content)
    yc = colour.luminance(content)
    assert torch.isclose(out.mean(), yc.mean(), atol=1e-5)
    assert torch.isclose(out.std(), yc.std(), atol=1e-4)


def test_recombine_keeps_result_luminance_and_content_chroma() -> None:
    result, content = _image(4), _image(5)
    out = colour.recombine_luminance(result, content)
    yiq_out, yiq_res, yiq_con = (colour.rgb_to_yiq(t) for t in (out, result, content))
    assert torch.allclose(yiq_out[0], yiq_res[0], atol=1e-5)
    assert torch.allclose(yiq_out[1:], yiq_con[1:], atol=1e-5)


def test_histogram_matching_transfers_mean_and_covariance() -> None:
    style, content = _image(6), _image(7)
    out = colour.match_histogram(style, content)
    mu_o, cov_o = colour._mean_cov(out)
    mu_c, cov_c = colour._mean_cov(content)
    assert torch.allclose(mu_o, mu_c, atol=1e-5)
    assert torch.allclose(cov_o, cov_c, atol=1e-6)
    # and it is not the identity
    assert not torch.allclose(out, style, atol=1e-2)


def test_histogram_matching_survives_a_grey_style() -> None:
    grey = colour.luminance(_image(8))  # rank-1 colour covariance
    out = colour.match_histogram(grey, _image(9))
    assert torch.isfinite(out).all()
