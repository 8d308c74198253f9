"""Library.update_metadata: an entry's record rewritten in place (the after-touches)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nst_desktop.io.images import load_image, read_metadata
from nst_desktop.io.library import ENTRY_NAME, Library

META = {"params": {"size": 48, "steps": 3}, "inputs": {"content": "a.jpg"}}


def test_update_metadata_rewrites_the_record(tmp_path: Path) -> None:
    lib = Library(tmp_path / "library")
    painting = np.random.default_rng(0).random((300, 400, 3), dtype=np.float32)  # more than a thumbnail
    entry = lib.add(painting, META)
    updated = lib.update_metadata(entry.id, {**META, "touches": {"fade": 0.5}})
    assert updated.id == entry.id and updated.metadata["touches"] == {"fade": 0.5}
    assert lib.get(entry.id).metadata["touches"] == {"fade": 0.5}  # read back from disk
    record = json.loads((entry.folder / ENTRY_NAME).read_text(encoding="utf-8"))
    assert record["id"] == entry.id and record["created"]  # the rest of the record is kept
    assert read_metadata(entry.image_path) == META  # the painted file itself is left as it was
    assert np.abs(load_image(updated.image_path) - painting).max() <= 1 / 255 + 1e-6  # at full size
    assert [p.name for p in entry.folder.iterdir() if p.name.startswith(".")] == []  # no temp files


def test_update_metadata_of_an_unknown_entry(tmp_path: Path) -> None:
    lib = Library(tmp_path / "library")
    with pytest.raises(KeyError):
        lib.update_metadata("20240101-000000-000000-abcdef", META)
    with pytest.raises(KeyError):
        lib.update_metadata("../escape", META)


def test_update_metadata_remakes_the_thumbnail_from_how_the_picture_looks(tmp_path: Path) -> None:
    lib = Library(tmp_path / "library")
    entry = lib.add(np.zeros((300, 400, 3), np.float32), META)
    touched = np.full((300, 400, 3), 0.8, np.float32)  # e.g. faded toward a light photo
    updated = lib.update_metadata(entry.id, {**META, "touches": {"fade": 0.8}}, looks=touched)
    thumb = load_image(updated.thumb_path)
    assert thumb.shape == (192, 256, 3) and np.abs(thumb - 0.8).max() <= 1 / 255 + 1e-6
    assert np.abs(load_image(updated.image_path)).max() == 0  # the painting itself stays untouched
