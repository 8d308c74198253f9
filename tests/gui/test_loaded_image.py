"""The window opens what the CLI opens: the same 100 MP limit and the same image types (HEIC too)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from nst_desktop.gui import inputs_panel, loaded_image
from nst_desktop.gui.controls import text
from nst_desktop.io import images
from nst_desktop.io.formats import READABLE_SUFFIXES
from nst_desktop.io.images import DEFAULT_MAX_PIXELS


def test_a_48_megapixel_camera_photo_is_within_the_limit(qtbot: QtBot, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The window passes io's one limit (100 MP; it had its own 40 MP one that refused 48 MP
    phone photos). Checked through the call, so no 48 MP picture is decoded here."""
    calls: list[dict[str, Any]] = []

    def spy(path: Path, **kwargs: Any) -> np.ndarray:
        calls.append(kwargs)
        return np.zeros((6, 8, 3), np.float32)

    monkeypatch.setattr(images, "load_image", spy)
    loaded_image.load_file(tmp_path / "camera.jpg")
    limit = calls[0].get("max_pixels", DEFAULT_MAX_PIXELS)
    assert limit is not None and limit >= 8000 * 6000
    assert limit == DEFAULT_MAX_PIXELS == 100_000_000


def test_file_dialogs_and_folder_listings_use_io_s_one_list() -> None:
    for suffix in READABLE_SUFFIXES:
        assert f"*{suffix}" in loaded_image.IMAGE_FILTER
    assert "*.heic" in loaded_image.IMAGE_FILTER
    assert set(inputs_panel.IMAGE_SUFFIXES) == set(READABLE_SUFFIXES)


def test_the_start_image_chooser_offers_heic(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def fake_dialog(parent: object, title: str, folder: str, filters: str) -> tuple[str, str]:
        seen.append(filters)
        return "", ""

    monkeypatch.setattr(text.QFileDialog, "getOpenFileName", fake_dialog)
    assert text.choose_image_file(None, "") is None  # type: ignore[arg-type]
    assert "*.heic" in seen[0]


# --- issue 16.11: a big photo is held reduced, a run decodes what it needs ---------------------
def _big_jpeg(path: Path, size: tuple[int, int] = (5000, 3000)) -> Path:
    from PIL import Image

    ramp = np.linspace(0, 255, size[0], dtype=np.float32)
    pixels = np.broadcast_to(ramp[None, :, None], (size[1], size[0], 3)).astype(np.uint8)
    Image.fromarray(pixels).save(path, quality=90)
    return path


def test_a_big_photo_is_held_reduced_with_its_real_size(qtbot: QtBot, tmp_path: Path) -> None:
    loaded = loaded_image.load_file(_big_jpeg(tmp_path / "big.jpg"), for_display=True)
    assert loaded.full_hw == (3000, 5000)
    assert loaded.reduced and loaded.image.shape[:2] == (1500, 2500)  # decoded at 1/2 by the JPEG decoder
    assert max(loaded.image.shape[:2]) >= loaded_image.WORKING_LONG_SIDE
    assert loaded.display_image().width() == 2500
    style = loaded_image.load_file(tmp_path / "big.jpg")  # a style is not a photo: read whole
    assert style.image.shape[:2] == (3000, 5000) and not style.reduced


def test_a_run_gets_the_pixels_its_size_needs(qtbot: QtBot, tmp_path: Path) -> None:
    loaded = loaded_image.load_file(_big_jpeg(tmp_path / "big.jpg"), for_display=True)
    small, at = loaded.run_pixels(1024)
    assert small is loaded.image and at == loaded_image.WORKING_LONG_SIDE  # no decode at all
    whole, at = loaded.run_pixels(7000)  # a print: the whole file
    assert whole.shape[:2] == (3000, 5000) and at == 7000
    # the same pixels as io decodes for that target: what a replay of the record gets
    assert np.array_equal(whole, images.load_image(tmp_path / "big.jpg", target_long_side=7000))


def test_a_photo_that_fits_is_held_whole(qtbot: QtBot, tmp_path: Path) -> None:
    loaded = loaded_image.load_file(_big_jpeg(tmp_path / "phone.jpg", (1600, 1200)), for_display=True)
    assert not loaded.reduced and loaded.full_hw == (1200, 1600)
    pixels, at = loaded.run_pixels(8000)
    assert pixels is loaded.image and at == 0  # 0: decoded whole, as records without "decoded" say
