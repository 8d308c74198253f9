"""``render --mask``: the mask PNG is written beside the picture, and ``--params`` replays it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_desktop.cli import main
from nst_desktop.io.images import read_metadata
from nst_desktop.io.masks import load_mask, mask_path_for, save_mask

TINY = ["--size", "48", "--min-size", "32", "--steps", "5", "--coarse-steps", "3", "--device", "cpu",
        "--precision", "float32", "--quiet"]


@pytest.fixture
def inputs(small_inputs: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path, Path]:
    paths = list(small_inputs)
    with Image.open(paths[0]) as im:
        size = im.size
    labels = np.zeros((size[1], size[0]), np.uint8)
    labels[: size[1] // 2] = 1  # the top half styled, the bottom kept as the photo
    mask = save_mask(labels, tmp_path / "sky.png")
    return paths[0], paths[1], mask


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def test_mask_is_saved_beside_and_replayed_by_params(inputs: tuple[Path, Path, Path], tmp_path: Path) -> None:
    photo, style, mask = inputs
    out = tmp_path / "masked.png"
    assert main(["render", str(photo), str(style), "-o", str(out), "--mask", str(mask),
                 "--region", "1=0@2", "--feather", "3", *TINY]) == 0
    record = read_metadata(out)
    assert record is not None and record["mask"]["file"] == "masked.mask.png"
    assert record["mask"]["regions"][0]["strength"] == 2.0 and record["mask"]["feather_px"] == 3.0
    beside = load_mask(mask_path_for(out))
    assert np.array_equal(beside.labels, load_mask(mask).labels)
    plain = tmp_path / "plain.png"
    assert main(["render", str(photo), str(style), "-o", str(plain), *TINY]) == 0
    assert not np.array_equal(_pixels(out), _pixels(plain))  # the mask did change the picture
    again = tmp_path / "again.png"
    assert main(["render", "--params", str(out), "-o", str(again), "--quiet"]) == 0
    assert np.array_equal(_pixels(again), _pixels(out))
    assert read_metadata(again)["mask"]["regions"] == record["mask"]["regions"]  # type: ignore[index]


def test_a_params_picture_without_its_mask_png_is_refused(inputs: tuple[Path, Path, Path], tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    photo, style, mask = inputs
    out = tmp_path / "masked.png"
    assert main(["render", str(photo), str(style), "-o", str(out), "--mask", str(mask), *TINY]) == 0
    mask_path_for(out).unlink()
    assert main(["render", "--params", str(out), "-o", str(tmp_path / "x.png"), "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "masked.mask.png" in err[0]


def test_region_without_mask_and_too_many_regions_are_one_line(
        inputs: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    photo, style, mask = inputs
    out = str(tmp_path / "x.png")
    assert main(["render", str(photo), str(style), "-o", out, "--region", "1=0", *TINY]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--region needs --mask FILE" in err[0]
    labels = load_mask(mask).labels.copy()
    labels[-2:] = 2
    two = save_mask(labels, tmp_path / "two.png")
    assert main(["render", str(photo), str(style), "-o", out, "--mask", str(two), *TINY]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "2 regions but only 1 style" in err[0]
