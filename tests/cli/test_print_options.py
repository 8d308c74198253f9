"""``render --print A4|A3 --dpi N`` (cli/print_options.py): the size a print needs, the DPI written,
the line when the pixels are too few, and the tiles said in ``render --help``."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from nst_desktop.cli import build_parser, main
from nst_desktop.cli.recipe_options import recipe_from_options, render_options
from nst_desktop.recipe.recipe import Recipe

TINY = ["--min-size", "48", "--steps", "1", "--device", "cpu", "--precision", "float32", "--seed", "1"]


def _recipe(args: list[str]) -> Recipe:
    ns = build_parser().parse_args(["render", *args])
    return recipe_from_options(ns, render_options(ns))


def test_print_a4_sizes_the_output_for_the_photos_aspect(small_inputs: tuple[Path, Path],
                                                         tmp_path: Path) -> None:
    photo, style = small_inputs
    with Image.open(photo) as im:
        assert im.size == (64, 48)  # 4:3: on A4 the height (210 mm) is the limit
    out = str(tmp_path / "a4.png")
    assert _recipe([str(photo), str(style), "--print", "A4", "-o", out]).params.size == 3307
    assert _recipe([str(photo), str(style), "--print", "A4", "--dpi", "150", "-o", out]).params.size == 1654
    assert _recipe([str(photo), str(style), "--print", "A3", "-o", out]).params.size == 4677
    assert _recipe([str(photo), str(style), "--print", "A4", "--size", "600", "-o", out]).params.size == 600
    assert _recipe([str(photo), str(style), "--dpi", "300", "-o", out]).params.size == 512  # the default


def test_impossible_prints_and_resolutions_are_one_line(small_inputs: tuple[Path, Path], tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    photo, style = small_inputs
    out = str(tmp_path / "x.png")
    assert main(["render", str(photo), str(style), "--print", "A3", "--dpi", "600", "-o", out]) != 0
    err = capsys.readouterr().err.strip()
    assert "--print A3 at 600 dpi needs 9354 px, more than the largest output size (8192 px)" in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert main(["render", str(photo), str(style), "--dpi", "0", "-o", out]) != 0
    err = capsys.readouterr().err.strip()
    assert "--dpi: the resolution must be 10 to 2400 dpi, not 0" in err and len(err.splitlines()) == 1
    assert not Path(out).exists()


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif"])
def test_dpi_is_written_into_the_output(small_inputs: tuple[Path, Path], tmp_path: Path, suffix: str) -> None:
    photo, style = small_inputs
    out = tmp_path / f"out{suffix}"
    assert main(["render", str(photo), str(style), "--size", "48", "--dpi", "200", "-o", str(out), "-q",
                 *TINY]) == 0
    with Image.open(out) as im:
        assert im.size == (48, 36) and im.info["dpi"] == pytest.approx((200, 200), abs=0.02)


def test_a_print_smaller_than_the_paper_says_what_it_needs(small_inputs: tuple[Path, Path], tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    photo, style = small_inputs
    out = tmp_path / "small.tif"
    assert main(["render", str(photo), str(style), "--print", "A4", "--size", "48", "-o", str(out),
                 *TINY]) == 0
    with Image.open(out) as im:  # 48 px across A4's 210 mm / 4:3 width (280 mm): the pixels fill A4
        assert im.size == (48, 36) and im.info["dpi"][0] == pytest.approx(36 / (210 / 25.4), abs=0.01)
    err = capsys.readouterr().err
    assert "48 × 36 px prints at 4 dpi on A4" in err and "300 dpi needs 3307 × 2480 px" in err


def test_render_help_says_big_outputs_are_painted_in_tiles(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "Big outputs are painted in tiles" in text and "21-24 s" in text and "--print {A4,A3}" in text
