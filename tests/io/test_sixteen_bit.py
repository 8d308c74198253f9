"""The 16-bit TIFF writer and the full-precision 16-bit RGB reader."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image, TiffImagePlugin

from nst_desktop.io.sixteen_bit import decode_rgb16, encode_png16, encode_tiff16


def _samples(h: int, w: int, seed: int = 0) -> np.ndarray[Any, Any]:
    return np.random.default_rng(seed).integers(0, 65536, (h, w, 3)).astype(np.uint16)


@pytest.mark.parametrize("shape", [(1, 1), (7, 300), (200, 500)])  # one strip, one row, many strips
def test_tiff_roundtrip_through_libtiff(shape: tuple[int, int]) -> None:
    samples = _samples(*shape)
    data = encode_tiff16(samples, icc_profile=b"\1" * 33, description='{"k": "v"}')
    im = Image.open(io.BytesIO(data))
    assert isinstance(im, TiffImagePlugin.TiffImageFile)
    assert im.size == (shape[1], shape[0])
    assert im.tag_v2[258] == (16, 16, 16) and im.tag_v2[270] == '{"k": "v"}'
    assert im.info["icc_profile"] == b"\1" * 33
    decoded = decode_rgb16(lambda: Image.open(io.BytesIO(data)), im)
    assert decoded is not None and decoded.dtype == np.uint16
    assert np.array_equal(decoded, samples)


def test_eight_bit_files_are_left_to_the_normal_path() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "PNG")
    im = Image.open(buffer)
    assert decode_rgb16(lambda: Image.open(buffer), im) is None
    assert decode_rgb16(lambda: im, Image.new("RGB", (2, 2))) is None  # not from a file at all


def test_writer_refuses_wrong_arrays() -> None:
    with pytest.raises(ValueError, match="uint16"):
        encode_tiff16(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(ValueError, match="uint16"):
        encode_tiff16(np.zeros((4, 4), np.uint16))


@pytest.mark.parametrize("shape", [(1, 1), (7, 300), (64, 33)])
def test_png16_roundtrip_keeps_every_bit_and_the_record(shape: tuple[int, int]) -> None:
    samples = _samples(*shape, seed=3)
    data = encode_png16(samples, icc_profile=b"\2" * 40, text='{"seed": 3}', key="nst_desktop")
    im = Image.open(io.BytesIO(data))
    assert im.format == "PNG" and im.size == (shape[1], shape[0])
    assert im.info["nst_desktop"] == '{"seed": 3}' and im.info["icc_profile"] == b"\2" * 40
    decoded = decode_rgb16(lambda: Image.open(io.BytesIO(data)), im)
    assert decoded is not None and np.array_equal(decoded, samples)
    with pytest.raises(ValueError, match="uint16"):
        encode_png16(samples.astype(np.float32))
