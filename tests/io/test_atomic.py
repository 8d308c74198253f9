"""Temporary files left by a killed write are cleaned (ours only, and only stale ones);
a folder that cannot exist because a file stands in its path is named as such."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from nst_desktop.engine.errors import ImageError
from nst_desktop.io import atomic
from nst_desktop.io.atomic import atomic_write, clean_stale_temps, is_our_temp
from nst_desktop.io.images import save_image

HOUR = 3600.0


def _leftover(folder: Path, target_name: str, age_s: float) -> Path:
    """A temporary file exactly as atomic_write makes it, aged ``age_s`` seconds."""
    fd, name = tempfile.mkstemp(dir=folder, prefix=f".{target_name}.", suffix=".tmp")
    os.close(fd)
    then = time.time() - age_s
    os.utime(name, (then, then))
    return Path(name)


@pytest.fixture(autouse=True)
def _forget_cleaned_folders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(atomic, "_cleaned", set())


def test_writing_an_output_removes_stale_temporaries_beside_it(tmp_path: Path) -> None:
    stale = _leftover(tmp_path, "painting.png", 2 * HOUR)
    stale_sidecar = _leftover(tmp_path, "other.jpg.json", 2 * HOUR)
    fresh = _leftover(tmp_path, "painting.png", 60)  # maybe another process writing right now
    strangers = [tmp_path / ".notes.txt.abcdefgh.tmp", tmp_path / ".painting.png.tmp",
                 tmp_path / "painting.png.abcdefgh.tmp", tmp_path / ".painting.png.ABCDEFGH.tmp"]
    for path in strangers:
        path.write_text("not ours")
        os.utime(path, (time.time() - 2 * HOUR,) * 2)
    save_image(np.zeros((4, 4, 3), np.float32), tmp_path / "painting.png")
    assert not stale.exists() and not stale_sidecar.exists()
    assert fresh.exists()
    assert all(p.exists() for p in strangers)
    assert (tmp_path / "painting.png").is_file()


def test_history_folder_is_cleaned_one_level_down(tmp_path: Path) -> None:
    entry = tmp_path / "20240101-000000-abc"
    entry.mkdir()
    deep = _leftover(entry, "entry.json", 2 * HOUR)
    top = _leftover(tmp_path, "image.png", 2 * HOUR)
    assert clean_stale_temps(tmp_path, depth=1) == 2
    assert not deep.exists() and not top.exists()


def test_cleaning_a_missing_folder_is_quiet(tmp_path: Path) -> None:
    assert clean_stale_temps(tmp_path / "nothing here") == 0


@pytest.mark.parametrize(
    ("name", "ours"),
    [(".out.png.a1b2_c3d.tmp", True), (".my photo.JPG.zzzzzzzz.tmp", True), (".e.json.abcdefgh.tmp", True),
     (".out.png.abcdefg.tmp", False), (".out.png.abcdefghi.tmp", False), (".notes.txt.abcdefgh.tmp", False),
     ("out.png.abcdefgh.tmp", False), (".out.png.abcdefgh.temp", False)],
)
def test_only_our_exact_pattern_matches(name: str, ours: bool) -> None:
    assert is_our_temp(name) is ours


def test_a_file_in_the_way_of_the_folder_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "photos"
    blocker.write_text("a file, not a folder")
    with pytest.raises(ImageError, match="photos is a file, not a folder"):
        atomic_write(blocker / "out.png", b"x")
    with pytest.raises(ImageError, match="photos is a file, not a folder"):
        atomic_write(blocker / "sub" / "out.png", b"x")
    with pytest.raises(ImageError, match="does not exist"):
        atomic_write(tmp_path / "missing" / "out.png", b"x")
