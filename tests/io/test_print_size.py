"""Print sizes (io/print_size.py): paper to pixels, fitting, "is it big enough", and the DPI each
format carries back (PNG pHYs, JPEG JFIF density, TIFF XResolution with 16 bits a sample)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_desktop.io.images import load_image, save_image
from nst_desktop.io.print_size import (
    PAPER_SIZES,
    PrintTarget,
    dpi_problem,
    mm_to_px,
    paper_px,
    plan_print,
)


def test_paper_sizes_in_pixels() -> None:
    assert paper_px("A4") == (3508, 2480) and paper_px("A3") == (4961, 3508)
    assert paper_px("A4", 150) == (1754, 1240)
    assert mm_to_px(25.4, 300) == 300
    assert set(PAPER_SIZES) == {"A4", "A3"}


def test_a_small_landscape_picture_on_a4_says_what_it_lacks() -> None:
    plan = plan_print((1024, 683), PrintTarget("A4", dpi=300))
    width_in, height_in = plan.print_in
    assert width_in == pytest.approx(297 / 25.4)  # landscape: the long side on A4's long side
    assert height_in == pytest.approx(297 / 25.4 * 683 / 1024)
    assert plan.needed_wh == (3508, 2340) and plan.needed_long_side == 3508
    assert not plan.enough
    assert plan.output_wh == (1024, 683)  # kept: never enlarged
    assert plan.dpi == pytest.approx(1024 / (297 / 25.4))  # 87.6: the pixels fill A4
    assert plan.summary().startswith("1024 × 683 px prints at 88 dpi on A4")
    assert "300 dpi needs 3508 × 2340 px" in plan.summary()


def test_portrait_follows_the_picture_and_a_tall_one_fits_the_height() -> None:
    portrait = plan_print((2480, 3508), PrintTarget("A4"))
    assert portrait.needed_wh == (2480, 3508) and portrait.enough
    assert portrait.dpi == pytest.approx(300, abs=0.1)
    strip = plan_print((1000, 4000), PrintTarget("A3"))  # taller than A3's aspect: the height fits
    assert strip.print_in[1] == pytest.approx(420 / 25.4)
    assert strip.needed_wh[1] == 4961


def test_a_width_in_cm_or_inches() -> None:
    cm = plan_print((4000, 3000), PrintTarget(None, width=25.4, unit="cm", dpi=200))
    assert cm.print_in == pytest.approx((10.0, 7.5))
    assert cm.needed_wh == (2000, 1500) and cm.enough
    assert cm.output_wh == (4000, 3000) and cm.dpi == pytest.approx(400)  # pixels kept: printed finer
    inches = plan_print((4000, 3000), PrintTarget(None, width=10, unit="in", dpi=200), resize=True)
    assert inches.output_wh == (2000, 1500) and inches.dpi == pytest.approx(200)  # scaled down when asked
    small = plan_print((1000, 750), PrintTarget(None, width=10, unit="in", dpi=200), resize=True)
    assert small.output_wh == (1000, 750) and small.dpi == pytest.approx(100)  # resize never enlarges


def test_bad_resolutions_and_pictures_are_refused() -> None:
    assert dpi_problem(300) == ""
    assert "10 to 2400 dpi" in dpi_problem(0) and dpi_problem(float("nan"))
    with pytest.raises(ValueError, match="at least one pixel"):
        plan_print((0, 10), PrintTarget())


def _picture() -> np.ndarray:
    y, x = np.mgrid[0:30, 0:40].astype(np.float32)
    return np.stack([x / 39, y / 29, (x * y) / (39 * 29)], axis=2)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif", ".webp"])
def test_the_dpi_written_reads_back(tmp_path: Path, suffix: str) -> None:
    path = save_image(_picture(), tmp_path / f"print{suffix}", {"params": {}}, dpi=87.58)
    with Image.open(path) as im:
        assert im.size == (40, 30)
        if suffix == ".webp":  # WebP has no resolution field: it travels in EXIF
            exif = im.getexif()
            assert float(exif[0x011A]) == pytest.approx(87.58) and exif[0x0128] == 2
            return
        x_dpi, y_dpi = im.info["dpi"]
        # JFIF density is whole dots per inch; PNG's pHYs whole dots per metre; TIFF a rational.
        assert x_dpi == pytest.approx(88 if suffix == ".jpg" else 87.58, abs=0.02) and x_dpi == y_dpi
        if suffix == ".jpg":
            assert im.info["jfif_unit"] == 1 and im.info["jfif_density"] == (88, 88)
        if suffix == ".tif":  # 16 bits a sample, read back as 16 bits
            assert im.tag_v2[258] == (16, 16, 16) and im.tag_v2[296] == 2
    if suffix == ".tif":
        back = load_image(path)
        assert np.abs(back - _picture()).max() < 1 / 65535 + 1e-7  # the 16 bits, not 8


def test_without_a_dpi_each_format_keeps_its_default(tmp_path: Path) -> None:
    with Image.open(save_image(_picture(), tmp_path / "plain.png")) as png:
        assert "dpi" not in png.info
    with Image.open(save_image(_picture(), tmp_path / "plain.tif")) as tif:
        assert tif.info["dpi"] == pytest.approx((72, 72))
