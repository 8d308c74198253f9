"""History library: add / list / get / delete, atomic writes, damaged folders skipped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from datetime import UTC
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_desktop.engine.spec.errors import ImageError
from nst_desktop.io import images
from nst_desktop.io import library as library_module
from nst_desktop.io.library import Entry, Library
from nst_desktop.io.timelapse import frame_count

META = {"version": "test", "params": {"size": 48, "steps": 3, "seed": 7}, "inputs": {"content": "a.jpg"}}


def _image(seed: int = 0, h: int = 270, w: int = 400) -> np.ndarray:
    """Bigger than the thumbnail: a history keeping only thumbnails must fail these tests."""
    return np.random.default_rng(seed).random((h, w, 3), dtype=np.float32)


def _frames(count: int) -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    return [rng.integers(0, 256, (20 + i, 30 + i, 3), dtype=np.uint8) for i in range(count)]


@pytest.fixture()
def lib(tmp_path: Path) -> Library:
    return Library(tmp_path / "library")


def test_add_writes_a_complete_entry(lib: Library) -> None:
    image = _image()
    entry = lib.add(image, META)
    assert isinstance(entry, Entry)
    assert entry.folder.parent == lib.root and entry.folder.name == entry.id
    assert entry.metadata == META
    assert entry.created.tzinfo is not None and entry.created.utcoffset() == UTC.utcoffset(None)
    assert entry.timelapse_path is None
    with Image.open(entry.image_path) as im:
        assert im.format == "PNG" and im.size == (400, 270)
        pixels = np.asarray(im.convert("RGB"), dtype=np.float32) / 255
    assert np.abs(pixels - image).max() <= 1 / 255 + 1e-6  # lossless
    embedded = images.read_metadata(entry.image_path)
    assert embedded is not None and embedded["params"] == META["params"]
    with Image.open(entry.thumb_path) as thumb:
        assert thumb.size == (library_module.THUMB_SIZE, 173)  # 400x270 scaled to 256 px
    assert json.loads((entry.folder / "entry.json").read_text())["metadata"] == META


def test_entries_newest_first_and_get(lib: Library) -> None:
    added = [lib.add(_image(i), {**META, "n": i}) for i in range(3)]
    listed = lib.entries()
    assert [e.id for e in listed] == [e.id for e in reversed(added)]
    assert listed[0].metadata["n"] == 2
    assert lib.get(added[1].id) == added[1]
    assert len(lib) == 3


def test_frames_are_stored_as_an_animation(lib: Library) -> None:
    entry = lib.add(_image(), META, frames=_frames(5))
    assert entry.timelapse_path is not None and entry.timelapse_path.suffix == ".webp"
    assert frame_count(entry.timelapse_path) == 5


def test_many_frames_are_subsampled(lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(library_module, "FRAMES_MAX_COUNT", 4)
    monkeypatch.setattr(library_module, "FRAMES_MAX_SIDE", 19)
    entry = lib.add(_image(), META, frames=_frames(9))
    assert entry.timelapse_path is not None and frame_count(entry.timelapse_path) == 4
    with Image.open(entry.timelapse_path) as im:
        assert im.size == (19, 14)  # last frame 38x28, long side capped at 19


def test_bad_frames_never_lose_the_image(lib: Library, caplog: pytest.LogCaptureFixture) -> None:
    entry = lib.add(_image(), META, frames=[np.zeros((4, 4), np.uint8)])
    assert entry.timelapse_path is None and lib.get(entry.id).image_path.is_file()
    assert "without its time-lapse" in caplog.text


def test_delete(lib: Library) -> None:
    keep, gone = lib.add(_image(1), META), lib.add(_image(2), META)
    lib.delete(gone.id)
    assert [e.id for e in lib.entries()] == [keep.id]
    assert not gone.folder.exists()
    with pytest.raises(KeyError):
        lib.get(gone.id)
    with pytest.raises(KeyError):
        lib.delete(gone.id)


def test_ids_cannot_escape_the_library(lib: Library, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    for bad in ("../victim", "..", "", "/etc"):
        with pytest.raises(KeyError):
            lib.delete(bad)
    assert victim.is_dir()


def test_failure_mid_add_leaves_nothing(lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    before = lib.add(_image(1), META)

    def broken_thumbnail(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(library_module.images, "thumbnail", broken_thumbnail)
    with pytest.raises(ImageError, match="No space left"):
        lib.add(_image(2), META)
    assert [e.id for e in lib.entries()] == [before.id]
    assert sorted(p.name for p in lib.root.iterdir()) == [before.id]  # temp folder removed
    assert images.read_metadata(before.image_path) is not None  # earlier entry untouched


def test_hard_crash_mid_add_leaves_no_entry(lib: Library) -> None:
    """Kill the process (no cleanup, no finally) after the image is written, before the commit."""
    before = lib.add(_image(1), META)
    script = textwrap.dedent(f"""
        import os, numpy as np
        from nst_desktop.io import library
        real = library.images.save_image
        def save_then_die(image, path, metadata=None, fmt=None):
            real(image, path, metadata)
            os._exit(3)  # like a power cut: nothing after this runs
        library.images.save_image = save_then_die
        library.Library(library.Path({str(lib.root)!r})).add(np.zeros((8, 8, 3), np.float32), {{}})
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    leftovers = [p for p in lib.root.iterdir() if p.name != before.id]
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".tmp-")  # the crash happened mid-add
    assert [e.id for e in Library(lib.root).entries()] == [before.id]


def test_damaged_folders_are_skipped(lib: Library, caplog: pytest.LogCaptureFixture) -> None:
    good = lib.add(_image(), META)
    no_json = lib.add(_image(1), META)
    (no_json.folder / "entry.json").unlink()
    bad_json = lib.add(_image(2), META)
    (bad_json.folder / "entry.json").write_text("{not json")
    no_image = lib.add(_image(3), META)
    no_image.image_path.unlink()
    (lib.root / "some-random-folder").mkdir()
    (lib.root / "notes.txt").write_text("hello")
    assert [e.id for e in lib.entries()] == [good.id]
    assert "Skipping damaged history entry" in caplog.text
    with pytest.raises(KeyError):
        lib.get(bad_json.id)


def test_stale_temp_folders_are_cleaned_up(lib: Library) -> None:
    stale = lib.root / ".tmp-20000101-000000-000000-abcdef"
    fresh = lib.root / ".tmp-20990101-000000-000000-abcdef"
    for folder in (stale, fresh):
        folder.mkdir()
        (folder / "image.png").write_bytes(b"partial")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    Library(lib.root)
    assert not stale.exists()
    assert fresh.exists()  # might be another app instance writing right now


def test_default_root_honours_nst_desktop_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NST_DESKTOP_HOME", str(tmp_path / "home"))
    lib = Library()
    assert lib.root.is_relative_to(tmp_path / "home") and lib.root.is_dir()


def test_unusable_root_is_an_image_error(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(ImageError, match="history folder"):
        Library(a_file / "library")
