"""Time-lapse files: readable, right frame count, one canvas size, last frame held."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_desktop.engine.spec.errors import ImageError
from nst_desktop.io.timelapse import HOLD_LAST_S, frame_count, read_frames, write_timelapse


def _frames(count: int = 7) -> list[np.ndarray]:
    """Distinct random frames that grow like a coarse-to-fine run (small ones first)."""
    rng = np.random.default_rng(1)
    sizes = [(16, 24)] * 3 + [(24, 36)] * 2 + [(32, 48)] * (count - 5)
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for h, w in sizes[:count]]


def _durations(path: Path) -> list[int]:
    out = []
    with Image.open(path) as im:
        for i in range(im.n_frames):
            im.seek(i)
            im.load()
            out.append(int(im.info["duration"]))
    return out


@pytest.mark.parametrize("ext", [".webp", ".gif"])
def test_writes_every_frame_at_the_final_size(tmp_path: Path, ext: str) -> None:
    frames = _frames()
    path = write_timelapse(frames, tmp_path / f"run{ext}", fps=10)
    assert frame_count(path) == len(frames)
    read = read_frames(path)
    assert len(read) == len(frames)
    assert {f.shape for f in read} == {(32, 48, 3)}
    with Image.open(path) as im:
        assert im.format == ext[1:].upper()
    durations = _durations(path)
    assert durations[0] == 100
    assert durations[-1] == round(HOLD_LAST_S * 1000)  # finished image stays on screen


def test_last_frame_content_is_kept(tmp_path: Path) -> None:
    frames = _frames()
    frames[-1] = np.zeros_like(frames[-1])
    frames[-1][:, :24] = 255  # left half white, right half black
    read = read_frames(write_timelapse(frames, tmp_path / "run.webp"))
    last = read[-1].astype(int)
    assert last[:, :20].mean() > 230 and last[:, 28:].mean() < 25


def test_float_frames_and_max_side(tmp_path: Path) -> None:
    frames = [np.full((40, 80, 3), v, dtype=np.float32) for v in (0.0, 0.5, 1.0)]
    path = write_timelapse(frames, tmp_path / "f.gif", max_side=20)
    read = read_frames(path)
    assert read[0].shape == (10, 20, 3)
    assert abs(int(read[1].mean()) - 128) <= 2


def test_unknown_extension_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"out\.mp4.*unsupported"):
        write_timelapse(_frames(), tmp_path / "out.mp4")


def test_no_frames_and_bad_frames(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="no frames"):
        write_timelapse([], tmp_path / "x.webp")
    with pytest.raises(ImageError, match="frame 1 has shape"):
        write_timelapse([np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4), np.uint8)], tmp_path / "x.webp")
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_unwritable_path_raises_image_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    with pytest.raises(ImageError, match=r"x\.gif.*cannot write"):
        write_timelapse(_frames(), not_a_folder / "x.gif")


def test_read_frames_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="not found"):
        read_frames(tmp_path / "missing.webp")
