"""Mask PNGs: indexed and grey files become region labels; saved masks round-trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_desktop.engine.spec.errors import ImageError
from nst_desktop.io.masks import encode_mask, load_mask, mask_path_for, save_mask


def _labels() -> np.ndarray:
    labels = np.zeros((30, 40), np.uint8)
    labels[:10, :] = 1
    labels[20:, 20:] = 3
    labels[12:18, 5:10] = 4
    return labels


def test_round_trip_indexed_with_overlay_palette(tmp_path: Path) -> None:
    target = save_mask(_labels(), tmp_path / "m.png", {1: "#102030"})
    with Image.open(target) as im:
        assert im.mode == "P"
        assert im.getpalette()[3:6] == [0x10, 0x20, 0x30]  # region 1 in its overlay colour
    loaded = load_mask(target, (30, 40))
    np.testing.assert_array_equal(loaded.labels, _labels())
    assert loaded.labels.dtype == np.uint8 and loaded.note is None
    assert not list(tmp_path.glob("*.tmp"))  # written atomically


def test_grey_values_are_regions_when_small(tmp_path: Path) -> None:
    Image.fromarray(_labels(), mode="L").save(tmp_path / "g.png")
    np.testing.assert_array_equal(load_mask(tmp_path / "g.png").labels, _labels())


def test_grey_levels_map_darkest_first(tmp_path: Path) -> None:
    values = np.zeros((4, 6), np.uint8)
    values[:, 2:4], values[:, 4:] = 128, 255
    Image.fromarray(values, mode="L").save(tmp_path / "bw.png")
    expected = np.zeros((4, 6), np.uint8)
    expected[:, 2:4], expected[:, 4:] = 1, 2
    np.testing.assert_array_equal(load_mask(tmp_path / "bw.png").labels, expected)
    # an all-grey RGB file is read the same; 16-bit too
    Image.fromarray(np.repeat(values[..., None], 3, axis=2)).save(tmp_path / "rgb.png")
    np.testing.assert_array_equal(load_mask(tmp_path / "rgb.png").labels, expected)
    Image.fromarray(values.astype(np.uint16) * 257).save(tmp_path / "g16.png")
    np.testing.assert_array_equal(load_mask(tmp_path / "g16.png").labels, expected)


def _indexed(path: Path, values: list[int]) -> None:
    image = Image.frombytes("P", (len(values), 1), bytes(values))
    image.putpalette([0, 0, 0] * 256)  # a full palette: Pillow then keeps the indices as they are
    image.save(path)


def test_transparent_pixels_are_unpainted(tmp_path: Path) -> None:
    rgba = np.ones((4, 4, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[:, :2, 3] = 0
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "a.png")
    np.testing.assert_array_equal(load_mask(tmp_path / "a.png").labels[:, :2], 0)
    assert (load_mask(tmp_path / "a.png").labels[:, 2:] == 1).all()


def test_wrong_size_is_stretched_with_a_note(tmp_path: Path) -> None:
    save_mask(_labels(), tmp_path / "small.png")
    loaded = load_mask(tmp_path / "small.png", (60, 80))
    assert loaded.labels.shape == (60, 80)
    assert set(np.unique(loaded.labels)) == {0, 1, 3, 4}  # nearest: no new labels at borders
    assert loaded.note is not None and "small.png is 40x30 but the photo is 80x60" in loaded.note


@pytest.mark.parametrize(("make", "words"), [
    (lambda p: None, "file not found"),
    (lambda p: p.write_bytes(b"not a png"), "bad.png"),
    (lambda p: Image.fromarray(np.random.default_rng(0).integers(0, 255, (8, 8, 3), np.uint8)).save(p),
     "colour image"),
    (lambda p: Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8) * 4).save(p), "64 grey levels"),
    (lambda p: _indexed(p, [0, 20]), "at most 8 regions"),
])
def test_bad_files_raise_image_error_naming_the_file(tmp_path: Path, make, words: str) -> None:
    path = tmp_path / "bad.png"
    make(path)
    with pytest.raises(ImageError, match=words) as info:
        load_mask(path)
    assert "bad.png" in str(info.value) and "\n" not in info.value.user_text()


def test_mask_path_beside_output() -> None:
    assert mask_path_for(Path("/out/painting.png")) == Path("/out/painting.mask.png")
    assert mask_path_for("x.tif").name == "x.mask.png"
    assert encode_mask(_labels()).startswith(b"\x89PNG")


def test_a_pipe_as_mask_is_refused_without_opening_it(tmp_path: Path) -> None:
    """Opening a named pipe blocks until a writer comes (issue 16.12): refused from its kind."""
    import os

    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this platform")
    fifo = tmp_path / "regions.png"
    os.mkfifo(fifo)
    with pytest.raises(ImageError) as caught:
        load_mask(fifo)
    assert caught.value.user_text().startswith(f"{fifo}: not a regular file (a named pipe)")
