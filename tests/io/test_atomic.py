"""Temporary files left by a killed write are cleaned (ours only, and only stale ones);
a folder that cannot exist because a file stands in its path is named as such."""

from __future__ import annotations

import errno
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nst_desktop.engine.spec.errors import ImageError
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


# --- short temporary names, pairs written whole (issue 16.12) ----------------------------------


def test_a_legal_255_byte_name_is_written_through_a_short_temporary(tmp_path: Path) -> None:
    target = tmp_path / ("p" * 251 + ".png")  # 255 bytes: the most ext4 allows
    atomic_write(target, b"picture")
    assert target.read_bytes() == b"picture"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary left


def test_our_short_temporaries_are_cleaned_when_stale(tmp_path: Path) -> None:
    fd, name = tempfile.mkstemp(dir=tmp_path, prefix=atomic.TEMP_PREFIX, suffix=atomic.TEMP_SUFFIX)
    os.close(fd)
    os.utime(name, (time.time() - 2 * HOUR,) * 2)
    assert is_our_temp(Path(name).name) and not is_our_temp(".nst-abc.tmp")
    assert clean_stale_temps(tmp_path) == 1 and not Path(name).exists()


def _failing_on_call(real: Callable[..., Any], failing_call: int) -> Callable[..., Any]:
    calls = []

    def wrapper(*args: Any) -> Any:
        calls.append(args)
        if len(calls) == failing_call:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args)
    return wrapper


def test_a_full_disk_on_the_second_file_writes_neither(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    image, record = tmp_path / "out.jpg", tmp_path / "out.jpg.json"
    monkeypatch.setattr(atomic.os, "fsync", _failing_on_call(os.fsync, 2))
    with pytest.raises(ImageError) as caught:
        atomic.atomic_write_all([(image, b"new image"), (record, b"{}")])
    assert "out.jpg.json" in caught.value.user_text() and "No space left" in caught.value.user_text()
    assert list(tmp_path.iterdir()) == []  # neither file, and no temporary


def test_a_failed_second_rename_brings_the_old_pair_back(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    image, record = tmp_path / "out.jpg", tmp_path / "out.jpg.json"
    image.write_bytes(b"old image")
    record.write_bytes(b"old record")
    monkeypatch.setattr(atomic.os, "replace", _failing_on_call(os.replace, 2))
    with pytest.raises(ImageError):
        atomic.atomic_write_all([(image, b"new image"), (record, b"new record")])
    assert (image.read_bytes(), record.read_bytes()) == (b"old image", b"old record")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jpg", "out.jpg.json"]


def test_a_failed_second_rename_of_a_new_pair_leaves_neither(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(atomic.os, "replace", _failing_on_call(os.replace, 2))
    with pytest.raises(ImageError):
        atomic.atomic_write_all([(tmp_path / "out.jpg", b"new image"), (tmp_path / "out.jpg.json", b"{}")])
    assert list(tmp_path.iterdir()) == []
