"""HEIC/HEIF photos open (through pillow-heif, registered lazily); one list of image types."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nst_desktop.engine.spec.errors import ImageError
from nst_desktop.io import decoding, formats
from nst_desktop.io.images import image_size, load_image, load_image_from_bytes


def _heic(path: Path, width: int = 60, height: int = 40) -> np.ndarray:
    """Write a red|blue HEIC with pillow-heif's own API (not through Pillow's registry, so the
    test also shows that load_image registers the opener itself); skip if it cannot encode."""
    pillow_heif = pytest.importorskip("pillow_heif", reason="pillow-heif is not installed")
    if not pillow_heif.libheif_info().get("encoders", {}).get("x265"):
        reason = "this pillow-heif build has no HEVC (x265) encoder, so no test HEIC can be made"
        print(reason)
        pytest.skip(reason)
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[:, : width // 2] = (255, 0, 0)
    pixels[:, width // 2 :] = (0, 0, 255)
    pillow_heif.from_bytes(mode="RGB", size=(width, height), data=pixels.tobytes()).save(path, quality=95)
    return pixels


@pytest.mark.parametrize("suffix", [".heic", ".heif", ".HEIC"])
def test_heic_photo_opens(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"iphone{suffix}"
    _heic(path)
    image = load_image(path)
    assert image.shape == (40, 60, 3) and image.dtype == np.float32
    assert image[20, 5, 0] > 0.9 and image[20, 5, 2] < 0.1  # red left half
    assert image[20, 55, 2] > 0.9 and image[20, 55, 0] < 0.1  # blue right half
    assert image_size(path) == (60, 40)


def test_heic_from_bytes_is_recognised_by_its_header(tmp_path: Path) -> None:
    path = tmp_path / "photo.heic"
    _heic(path)
    image = load_image_from_bytes(path.read_bytes(), name="pasted")
    assert image.shape == (40, 60, 3)


def test_a_big_heic_decodes_reduced(tmp_path: Path) -> None:
    path = tmp_path / "big.heic"
    _heic(path, 640, 480)
    assert max(load_image(path, target_long_side=100).shape[:2]) in range(100, 320)


def test_without_pillow_heif_a_heic_is_refused_in_one_line(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "photo.heic"
    path.write_bytes(b"\0\0\0\x18ftypheic" + b"\0" * 64)
    monkeypatch.setattr(decoding, "enable_heif", lambda: False)
    with pytest.raises(ImageError, match="pillow-heif") as info:
        load_image(path)
    assert "photo.heic" in str(info.value)


def test_the_heif_plugin_is_not_loaded_until_a_heic_is_opened() -> None:
    code = ("import sys; import nst_desktop.io.images, nst_desktop.io.formats; "
            "sys.exit(1 if 'pillow_heif' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_one_list_of_image_types_feeds_the_dialogs() -> None:
    assert {".heic", ".heif", ".jpg", ".png", ".webp", ".tif", ".bmp"} <= set(formats.READABLE_SUFFIXES)
    filt = formats.dialog_filter()
    assert "*.heic" in filt and "*.heif" in filt and filt.endswith(";;All files (*)")
    assert formats.looks_like_heif("x.bin", b"\0\0\0\x18ftypheic") and not formats.looks_like_heif("x.png")
