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
