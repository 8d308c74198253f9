"""Loading every image mode, refusing bad files clearly, and saving with metadata."""

from __future__ import annotations

import errno
import io
import json
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageFile, ImageOps, TiffImagePlugin

from nst_desktop.engine.spec.errors import ImageError
from nst_desktop.engine.spec.events import to_uint8
from nst_desktop.io import images
from nst_desktop.io.images import load_image, read_metadata, save_image

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "images"
META = {"app": "NST Desktop", "params": {"seed": 7, "size": 64}, "note": "grüße"}


def _rng_image(h: int = 24, w: int = 32, seed: int = 0) -> np.ndarray[Any, Any]:
    return np.random.default_rng(seed).random((h, w, 3)).astype(np.float32)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png16(samples: np.ndarray[Any, Any], width: int | None = None, height: int | None = None) -> bytes:
    """A 16-bit RGB/RGBA PNG written by hand (Pillow cannot), rows with the Sub filter so that
    the decoder's bytes-per-pixel must be right for the values to come out right."""
    h, w, c = samples.shape
    raw = samples.astype(">u2").reshape(h, w * c).view(np.uint8).reshape(h, w * c * 2)
    bpp = c * 2
    sub = raw.copy()
    sub[:, bpp:] = raw[:, bpp:] - raw[:, :-bpp]  # uint8 arithmetic wraps modulo 256, as PNG wants
    data = b"".join(b"\x01" + row.tobytes() for row in sub)
    colour_type = 2 if c == 3 else 6
    header = struct.pack(">IIBBBBB", width or w, height or h, 16, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(data))
            + _chunk(b"IEND", b""))


# --- loading: modes --------------------------------------------------------------------------------


def test_grayscale_l(tmp_path: Path) -> None:
    path = tmp_path / "gray.png"
    Image.new("L", (5, 4), 100).save(path)
    image = load_image(path)
    assert image.shape == (4, 5, 3) and image.dtype == np.float32
    assert np.allclose(image, 100 / 255)


def test_bilevel_mode_1(tmp_path: Path) -> None:
    path = tmp_path / "bw.bmp"
    im = Image.new("1", (4, 4), 0)
    im.putpixel((1, 1), 1)
    im.save(path)
    image = load_image(path)
    assert image[1, 1].tolist() == [1.0, 1.0, 1.0] and image[0, 0].tolist() == [0.0, 0.0, 0.0]


def test_gray_16_bit_keeps_precision(tmp_path: Path) -> None:
    path = tmp_path / "gray16.png"
    values = np.array([[0, 1000, 40000, 65535]], dtype=np.uint16)
    Image.fromarray(values).save(path)
    assert Image.open(path).mode.startswith("I")
    image = load_image(path)
    # 1000/65535 lies between two 8-bit levels: an 8-bit detour would miss by ~4e-4.
    assert np.allclose(image[0, :, 0], values[0] / 65535, atol=1e-6)


def test_mode_i_and_f(tmp_path: Path) -> None:
    im_i = Image.fromarray(np.array([[0, 32768, 65535]], dtype=np.int32))
    assert np.allclose(images.image_from_pil(im_i)[0, :, 1], [0.0, 32768 / 65535, 1.0], atol=1e-6)
    path = tmp_path / "float.tif"
    Image.fromarray(np.array([[0.25, 0.5, 2.0]], dtype=np.float32)).save(path)
    assert np.allclose(load_image(path)[0, :, 2], [0.25, 0.5, 1.0])  # clipped to 0..1


def test_palette_with_transparency_goes_on_white(tmp_path: Path) -> None:
    path = tmp_path / "pal.png"
    im = Image.new("P", (4, 2), 0)
    im.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    im.putpixel((3, 1), 1)
    im.info["transparency"] = 0
    im.save(path, transparency=0)
    image = load_image(path)
    assert image[0, 0].tolist() == [1.0, 1.0, 1.0]  # transparent black shows the white paper
    assert image[1, 3].tolist() == [1.0, 0.0, 0.0]


def test_palette_without_transparency(tmp_path: Path) -> None:
    path = tmp_path / "pal.gif"
    Image.new("RGB", (4, 4), (0, 0, 255)).convert("P").save(path)
    assert np.allclose(load_image(path), [0.0, 0.0, 1.0])


@pytest.mark.parametrize("mode", ["RGBA", "LA", "PA"])
def test_alpha_composited_on_white(mode: str) -> None:
    rgba = Image.new("RGBA", (2, 1), (0, 0, 0, 0))
    rgba.putpixel((1, 0), (0, 0, 0, 128))
    im = rgba if mode == "RGBA" else rgba.convert(mode)
    image = images.image_from_pil(im)
    assert image[0, 0].tolist() == [1.0, 1.0, 1.0]
    assert np.allclose(image[0, 1], 1 - 128 / 255, atol=1 / 255)


def test_rgba_png_file(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    Image.new("RGBA", (3, 3), (255, 0, 0, 255)).save(path)
    assert np.allclose(load_image(path), [1.0, 0.0, 0.0])


@pytest.mark.parametrize("channels", [3, 4])
def test_png_16_bit_rgb_keeps_full_precision(tmp_path: Path, channels: int) -> None:
    rng = np.random.default_rng(3)
    samples = rng.integers(0, 65536, (5, 7, channels)).astype(np.uint16)
    if channels == 4:
        samples[..., 3] = 65535  # opaque, so the colours come through untouched
    path = tmp_path / "rgb16.png"
    path.write_bytes(_png16(samples))
    image = load_image(path)
    assert np.allclose(image, samples[..., :3] / 65535, atol=1e-6)
    eight_bit = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255
    assert np.abs(eight_bit - samples[..., :3] / 65535).max() > 1e-3  # what Pillow alone would give


@pytest.mark.parametrize("fmt", ["JPEG", "TIFF"])
def test_cmyk(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"cmyk.{fmt.lower()}"
    Image.new("CMYK", (8, 8), (0, 255, 255, 0)).save(path, fmt)  # full magenta + yellow = red
    assert Image.open(path).mode == "CMYK"
    assert np.allclose(load_image(path), [1.0, 0.0, 0.0], atol=0.05)


@pytest.mark.parametrize("fmt,ext", [("BMP", "bmp"), ("WEBP", "webp"), ("TIFF", "tif"), ("JPEG", "jpg")])
def test_common_formats(tmp_path: Path, fmt: str, ext: str) -> None:
    path = tmp_path / f"x.{ext}"
    gradient = np.linspace(0, 255, 9 * 3).reshape(1, 9, 3)
    pixels = np.repeat(gradient, 6, axis=0).astype(np.uint8)
    options = {"lossless": True} if fmt == "WEBP" else {"quality": 95} if fmt == "JPEG" else {}
    Image.fromarray(pixels).save(path, fmt, **options)
    image = load_image(path)
    assert image.shape == (6, 9, 3)
    tolerance = 0.1 if fmt == "JPEG" else 1e-6
    assert np.abs(image - pixels / 255).max() <= tolerance


def _asymmetric_image() -> Image.Image:
    return Image.fromarray((np.arange(4 * 6 * 3).reshape(4, 6, 3) * 3).astype(np.uint8))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_exif_transpose(tmp_path: Path, orientation: int) -> None:
    path = tmp_path / f"o{orientation}.png"
    exif = Image.Exif()
    exif[0x0112] = orientation
    _asymmetric_image().save(path, exif=exif)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"), dtype=np.float32) / 255
    image = load_image(path)
    assert image.shape == expected.shape
    assert np.array_equal(image, expected)


def test_exif_rotated_jpeg(tmp_path: Path) -> None:
    path = tmp_path / "rot.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # camera held upright: stored landscape, shown portrait
    Image.new("RGB", (16, 8), (200, 10, 10)).save(path, exif=exif)
    assert load_image(path).shape == (16, 8, 3)
    assert images.image_size(path) == (8, 16)


def test_real_grayscale_jpeg() -> None:
    path = SHARED / "style" / "escher_sphere.jpg"
    if not path.is_file():
        pytest.skip("shared test images not available")
    assert Image.open(path).mode == "L"
    image = load_image(path)
    assert image.shape == (1475, 960, 3) and image.dtype == np.float32
    assert np.array_equal(image[..., 0], image[..., 2])
    assert 0.0 <= image.min() < 0.2 and 0.8 < image.max() <= 1.0


def test_from_bytes_and_pil() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 2), (0, 255, 0)).save(buffer, "PNG")
    assert np.allclose(images.load_image_from_bytes(buffer.getvalue()), [0.0, 1.0, 0.0])
    assert images.image_from_pil(Image.new("RGB", (3, 2), (0, 0, 255))).shape == (2, 3, 3)


# --- loading: refusals ---------------------------------------------------------------------------


def _refusal(path: Path, **kwargs: Any) -> ImageError:
    with pytest.raises(ImageError) as info:
        load_image(path, **kwargs)
    assert str(path) in str(info.value)  # the message names the file
    return info.value


def test_missing_file(tmp_path: Path) -> None:
    assert "not found" in _refusal(tmp_path / "nope.jpg").reason


def test_directory(tmp_path: Path) -> None:
    assert "folder" in _refusal(tmp_path).reason


def test_text_file_renamed_jpg(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("this is not a picture\n" * 20)
    error = _refusal(path)
    assert "not an image" in error.reason and "PNG" in error.user_text()


def test_truncated_jpeg(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.fromarray((_rng_image(64, 64) * 255).astype(np.uint8)).save(buffer, "JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    assert "truncated" in _refusal(path).reason


def test_corrupt_png_data(tmp_path: Path) -> None:
    path = tmp_path / "bad.png"
    header = struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", b"\xff" * 200)
                     + _chunk(b"IEND", b""))  # a valid header, garbage where the pixels should be
    assert "damaged" in _refusal(path).reason


def test_decompression_bomb_header(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)  # claims 10 gigapixels
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b""))
                     + _chunk(b"IEND", b""))
    assert "too large" in _refusal(path).reason


def test_own_pixel_limit_checked_before_decoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.png"
    Image.new("RGB", (20, 20)).save(path)

    def no_decoding(self: Image.Image) -> None:
        raise AssertionError("decoded an image that is over the limit")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    error = _refusal(path, max_pixels=100)
    assert "too large" in error.reason and "megapixels" in error.reason


def test_pillow_bomb_warning_refused_without_own_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "warn.png"
    Image.new("RGB", (20, 20)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 300)  # 400 px: over the warning threshold only
    assert "too large" in _refusal(path, max_pixels=None).reason
    assert load_image(path).shape == (20, 20, 3)  # our own (larger) limit is the policy


def test_zero_size_and_empty() -> None:
    with pytest.raises(ImageError, match="zero size"):
        images.image_from_pil(Image.new("RGB", (0, 5)))
    with pytest.raises(ImageError, match="empty"):
        images.load_image_from_bytes(b"")


# --- saving ---------------------------------------------------------------------------------------


def _is_srgb(im: Image.Image) -> bool:
    icc = im.info.get("icc_profile")
    if not icc:
        return False
    profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    return "sRGB" in ImageCms.getProfileDescription(profile)


def test_png_roundtrip_with_chunk(tmp_path: Path) -> None:
    image = _rng_image()
    path = save_image(image, tmp_path / "out.png", META)
    back = load_image(path)
    assert np.abs(back - image).max() <= 0.5 / 255 + 1e-6
    with Image.open(path) as im:
        assert json.loads(im.info[images.METADATA_KEY]) == META  # the iTXt chunk itself
        assert _is_srgb(im)
    assert read_metadata(path) == META
    assert not images.sidecar_path(path).exists()


@pytest.mark.parametrize("ext,tolerance", [("jpg", 0.25), ("webp", 0.75)])
def test_lossy_formats_embed_and_sidecar(tmp_path: Path, ext: str, tolerance: float) -> None:
    image = np.tile(np.linspace(0, 1, 32, dtype=np.float32)[None, :, None], (16, 1, 3))
    path = save_image(image, tmp_path / f"out.{ext}", META)
    assert np.abs(load_image(path) - image).max() < tolerance
    assert json.loads(images.sidecar_path(path).read_text()) == META
    with Image.open(path) as im:
        assert _is_srgb(im)
    assert read_metadata(path) == META
    images.sidecar_path(path).unlink()
    assert read_metadata(path) == META  # the copy inside the file (EXIF UserComment)


def test_tiff_is_really_16_bit(tmp_path: Path) -> None:
    # Values 0..1023 out of 65535: all within four 8-bit levels, so only 16 bits keep them apart.
    image = (np.arange(32 * 32 * 3).reshape(32, 32, 3) % 1024 / 65535).astype(np.float32)
    path = save_image(image, tmp_path / "out.tif", META)
    with Image.open(path) as im:
        assert isinstance(im, TiffImagePlugin.TiffImageFile)
        assert im.tag_v2[258] == (16, 16, 16)
        assert _is_srgb(im)
    back = load_image(path)
    assert np.abs(back - image).max() <= 0.5 / 65535 + 1e-7
    assert len(np.unique(back)) == 1024
    assert _read_our_tiff(path).tolist() == images.to_uint16(image).tolist()
    assert read_metadata(path) == META
    images.sidecar_path(path).unlink()
    assert read_metadata(path) == META  # the copy in ImageDescription


def _read_our_tiff(path: Path) -> np.ndarray[Any, Any]:
    """An independent reader (no Pillow) for the little-endian, Deflate, predictor-2 TIFF we write."""
    data = path.read_bytes()
    assert data[:4] == b"II*\0"
    (ifd,) = struct.unpack_from("<I", data, 4)
    (count,) = struct.unpack_from("<H", data, ifd)
    tags: dict[int, list[int]] = {}
    for i in range(count):
        tag, kind, n, value = struct.unpack_from("<HHII", data, ifd + 2 + 12 * i)
        if kind in (3, 4):
            size = 2 if kind == 3 else 4
            start = ifd + 2 + 12 * i + 8 if size * n <= 4 else value  # inline value or offset
            raw = data[start : start + size * n]
            tags[tag] = list(struct.unpack(f"<{n}{'H' if kind == 3 else 'I'}", raw))
    width, height = tags[256][0], tags[257][0]
    assert tags[258] == [16, 16, 16] and tags[259] == [8] and tags[317] == [2]
    body = b"".join(zlib.decompress(data[o : o + n]) for o, n in zip(tags[273], tags[279], strict=True))
    diff = np.frombuffer(body, dtype="<u2").reshape(height, width, 3)
    return np.cumsum(diff, axis=1, dtype=np.uint16)  # undo the predictor (wrapping sums)


def test_webp_quality_100_is_lossless(tmp_path: Path) -> None:
    image = _rng_image()
    back = load_image(save_image(image, tmp_path / "out.webp", None, quality=100))
    assert np.abs(back - image).max() <= 0.5 / 255 + 1e-6


def test_embedded_srgb_profile_is_identity_and_broken_profile_ignored(tmp_path: Path) -> None:
    pixels = (_rng_image(8, 8) * 255).astype(np.uint8)
    tagged, broken = tmp_path / "tagged.png", tmp_path / "broken.png"
    Image.fromarray(pixels).save(tagged, icc_profile=images.srgb_icc_bytes())
    Image.fromarray(pixels).save(broken, icc_profile=b"definitely not an ICC profile")
    assert np.abs(load_image(tagged) - pixels / 255).max() <= 2 / 255  # sRGB to sRGB: no visible change
    assert np.array_equal(load_image(broken), pixels.astype(np.float32) / 255)


def test_jpeg_of_very_detailed_image_at_top_quality(tmp_path: Path) -> None:
    # Noise at quality 100 compresses to more than 2 bytes per pixel, which overflows the
    # single buffer Pillow guesses when asked to optimise Huffman tables.
    path = save_image(_rng_image(256, 256), tmp_path / "noise.jpg", META, quality=100)
    assert load_image(path).shape == (256, 256, 3)


def test_fmt_overrides_extension(tmp_path: Path) -> None:
    path = save_image(_rng_image(), tmp_path / "out.bin", None, fmt="png")
    assert Image.open(path).format == "PNG"


def test_save_refusals_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="out.xyz"):
        save_image(_rng_image(), tmp_path / "out.xyz")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ImageError, match="afile"):
        save_image(_rng_image(), tmp_path / "afile" / "out.png")
    with pytest.raises(ImageError, match="does not exist"):
        save_image(_rng_image(), tmp_path / "missing" / "out.png")
    with pytest.raises(ImageError, match="shape"):
        save_image(np.zeros((4, 4, 2), np.float32), tmp_path / "o.png")


def test_failed_write_keeps_old_file_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "out.png"
    save_image(_rng_image(seed=1), path, META)
    before = path.read_bytes()

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(ImageError, match="No space left") as info:
        save_image(_rng_image(seed=2), path, META)
    assert str(path) in str(info.value)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["out.png"]


def test_resave_without_metadata_drops_stale_sidecar(tmp_path: Path) -> None:
    path = save_image(_rng_image(), tmp_path / "out.jpg", META)
    assert images.sidecar_path(path).exists()
    save_image(_rng_image(), path, None)
    assert not images.sidecar_path(path).exists()
    assert read_metadata(path) is None


def test_read_metadata_of_plain_image_and_missing(tmp_path: Path) -> None:
    path = tmp_path / "plain.png"
    Image.new("RGB", (2, 2)).save(path)
    assert read_metadata(path) is None
    with pytest.raises(ImageError):
        read_metadata(tmp_path / "gone.png")


# --- helpers -------------------------------------------------------------------------------------


def test_to_uint8() -> None:
    out = to_uint8(np.array([[[0.0, 0.5, 1.2]], [[-1.0, np.nan, 1 / 255]]], dtype=np.float32))
    assert out.dtype == np.uint8
    assert out.tolist() == [[[0, 128, 255]], [[0, 0, 1]]]


def test_thumbnail_keeps_dtype_and_aspect() -> None:
    small = images.thumbnail(_rng_image(40, 80), 20)
    assert small.shape == (10, 20, 3) and small.dtype == np.float32
    assert small.min() >= 0.0 and small.max() <= 1.0
    as_bytes = images.thumbnail(to_uint8(_rng_image(40, 80)), 20)
    assert as_bytes.shape == (10, 20, 3) and as_bytes.dtype == np.uint8
    assert images.thumbnail(_rng_image(8, 8), 20).shape == (8, 8, 3)  # never scaled up


def test_saved_file_has_default_permissions_not_private(tmp_path: Path) -> None:
    """mkstemp makes 0600 files; a saved picture must be readable like any other file."""
    import os

    from nst_desktop.io.images import save_image

    umask = os.umask(0o022)
    try:
        target = tmp_path / "out.png"
        save_image(np.zeros((4, 4, 3), np.float32), target)
        assert target.stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(umask)


# --- names and pairs (issue 16.12) ---------------------------------------------------------------


def test_a_non_utf8_photo_name_goes_into_the_sidecar_and_reads_back(tmp_path: Path) -> None:
    photo = os.fsdecode(b"/photos/caf\xe9.jpg")  # how Linux hands Python a Latin-1 file name
    out = tmp_path / "painting.jpg"
    save_image(_rng_image(), out, {"inputs": {"content": photo}, "note": "café"})
    raw = (tmp_path / "painting.jpg.json").read_bytes()
    assert b"caf\\udce9.jpg" in raw and "café".encode() in raw  # valid UTF-8, readable accents
    record = read_metadata(out)
    assert record is not None and os.fsencode(record["inputs"]["content"]) == b"/photos/caf\xe9.jpg"


@pytest.mark.parametrize(("name", "fits"), [("p" * 251 + ".png", True), ("p" * 251 + ".jpg", False),
                                            ("p" * 246 + ".jpg", True), ("p" * 252 + ".png", False)])
def test_names_too_long_for_the_picture_or_its_record_are_refused_before_encoding(
        tmp_path: Path, name: str, fits: bool) -> None:
    if fits:
        save_image(_rng_image(), tmp_path / name, {"seed": 1})
        assert (tmp_path / name).is_file()
        return
    with pytest.raises(ImageError) as caught:
        save_image(_rng_image(), tmp_path / name, {"seed": 1})
    assert "file name is too long" in caught.value.user_text()
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_writes_neither_the_picture_nor_its_record(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from nst_desktop.io import atomic

    real_fsync, calls = os.fsync, []

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:  # the sidecar, after the picture's temporary file was written
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    for fmt in ("jpg", "webp", "tif"):
        calls.clear()
        with pytest.raises(ImageError, match="No space left"):
            save_image(_rng_image(), tmp_path / f"out.{fmt}", {"seed": 1})
    assert list(tmp_path.iterdir()) == []
