"""Big photos decoded reduced (memory follows the output size), never below the size asked
for; the one 100 MP limit shared by the CLI and the window."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_desktop.engine.spec.errors import ImageError
from nst_desktop.io import images
from nst_desktop.io.decoding import check_complete, reduce_factor
from nst_desktop.io.images import DEFAULT_MAX_PIXELS, load_image


def _gradient(width: int, height: int) -> Image.Image:
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    r = np.broadcast_to(x, (height, width))
    g = np.broadcast_to(y, (height, width))
    b = np.full((height, width), 90.0, np.float32)
    return Image.fromarray(np.dstack([r, g, b]).astype(np.uint8), "RGB")


@pytest.fixture(scope="module")
def big_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "camera.jpg"
    _gradient(1600, 1200).save(path, quality=92)
    return path


def test_a_big_jpeg_decodes_reduced_but_not_below_the_target(big_jpeg: Path) -> None:
    full = load_image(big_jpeg)
    small = load_image(big_jpeg, target_long_side=100)
    assert full.shape == (1200, 1600, 3)
    assert 100 <= max(small.shape[:2]) <= 200  # DCT scaling 1/8 (200 px), then box-averaged
    assert abs(small.shape[1] / small.shape[0] - 4 / 3) < 0.05
    # The same picture: the mean colour of a smooth gradient survives the reduction.
    assert np.allclose(small.mean(axis=(0, 1)), full.mean(axis=(0, 1)), atol=2 / 255)


@pytest.mark.parametrize("target", [1, 99, 150, 401, 799, 800, 1599, 1600, 5000])
def test_never_decoded_below_the_target(big_jpeg: Path, target: int) -> None:
    decoded = load_image(big_jpeg, target_long_side=target)
    assert max(decoded.shape[:2]) >= min(target, 1600)


def test_other_formats_are_box_averaged(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    _gradient(1000, 800).save(path)
    full = load_image(path)
    small = load_image(path, target_long_side=200)
    assert small.shape == (160, 200, 3)  # factor 5
    assert np.allclose(small.mean(axis=(0, 1)), full.mean(axis=(0, 1)), atol=1 / 255)


def test_reduced_decoding_keeps_the_exif_rotation(tmp_path: Path) -> None:
    path = tmp_path / "portrait.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    _gradient(1600, 1200).save(path, exif=exif.tobytes())
    small = load_image(path, target_long_side=100)
    assert small.shape[0] > small.shape[1] and max(small.shape[:2]) >= 100


def test_reduce_factor() -> None:
    assert reduce_factor((8000, 6000), None) == 1
    assert reduce_factor((8000, 6000), 128) == 62  # 8000 / 62 = 129 >= 128
    assert reduce_factor((100, 80), 128) == 1


def _header_only_jpeg(path: Path, width: int, height: int) -> None:
    """A JPEG whose header claims ``width`` x ``height`` but holds 16x16 pixels of data: the
    pixel limit is checked from the header, so this tests it without decoding 48 MP."""
    small = path.with_suffix(".small.jpg")
    Image.new("RGB", (16, 16), "gray").save(small)
    data = bytearray(small.read_bytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    path.write_bytes(bytes(data))


def test_one_limit_of_100_megapixels(tmp_path: Path) -> None:
    assert DEFAULT_MAX_PIXELS == 100_000_000
    camera = tmp_path / "camera_48mp.jpg"
    _header_only_jpeg(camera, 8000, 6000)
    assert images.image_size(camera) == (8000, 6000)  # 48 MP: under the limit
    huge = tmp_path / "huge.jpg"
    _header_only_jpeg(huge, 12000, 9000)  # 108 MP
    with pytest.raises(ImageError, match="too large"):
        load_image(huge)
    with pytest.raises(ImageError, match="too large"):
        images.image_size(huge)


# --- pipes, devices and truncated files (issue 16.12) --------------------------------------------


def _refusal_within(seconds: float, read: Callable[[], object]) -> str:
    """The ImageError text ``read`` raises, failing (not hanging) if it blocks: opening a named
    pipe waits for a writer forever."""
    outcome: list[BaseException | object] = []
    worker = threading.Thread(target=lambda: outcome.append(_capture(read)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert outcome, f"still blocked after {seconds} s"
    assert isinstance(outcome[0], ImageError), outcome[0]
    return outcome[0].user_text()


def _capture(read: Callable[[], object]) -> BaseException | object:
    try:
        return read()
    except BaseException as exc:
        return exc


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this platform")
    path = tmp_path / "photo.jpg"
    os.mkfifo(path)
    return path


def test_a_named_pipe_is_refused_at_once(fifo: Path) -> None:
    for read in (lambda: load_image(fifo), lambda: images.image_size(fifo),
                 lambda: check_complete(fifo, DEFAULT_MAX_PIXELS)):
        text = _refusal_within(5, read)
        assert text.startswith(f"{fifo}: not a regular file (a named pipe)") and "\n" not in text


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/random", "/dev/null"])
def test_a_device_is_refused_at_once(device: str) -> None:
    if not Path(device).exists():
        pytest.skip(f"no {device} here")
    for read in (lambda: load_image(device), lambda: images.image_size(device)):
        assert _refusal_within(5, read).startswith(f"{device}: not a regular file (a device)")


def _jpeg_bytes(progressive: bool = False) -> bytes:
    buffer = io.BytesIO()
    pixels = (np.random.default_rng(1).random((300, 400, 3)) * 255).astype(np.uint8)
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90, progressive=progressive)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["baseline", "progressive", "png"])
def test_a_truncated_file_is_found_without_decoding_it_whole(tmp_path: Path, kind: str) -> None:
    if kind == "png":
        buffer = io.BytesIO()
        Image.fromarray(np.zeros((300, 400, 3), np.uint8) + 90).save(buffer, "PNG")
        data, path = buffer.getvalue(), tmp_path / "cut.png"
    else:
        data, path = _jpeg_bytes(kind == "progressive"), tmp_path / "cut.jpg"
    path.write_bytes(data)
    check_complete(path, DEFAULT_MAX_PIXELS)  # whole: fine
    path.write_bytes(data[: len(data) * 2 // 3])
    assert images.image_size(path) == (400, 300)  # the header alone does not tell
    with pytest.raises(ImageError) as caught:
        check_complete(path, DEFAULT_MAX_PIXELS)
    assert caught.value.user_text() == f"{path}: the file is truncated (an incomplete download or copy?)."


def test_a_complete_jpeg_with_data_after_its_end_is_read_through_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "motion.jpg"
    path.write_bytes(_jpeg_bytes() + b"\0\0ftypmp42 a motion photo's video")
    check_complete(path, DEFAULT_MAX_PIXELS)  # no end marker at the end, but nothing is missing
