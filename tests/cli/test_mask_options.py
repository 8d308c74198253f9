"""--mask, --region, --unpainted, --feather: parsed and checked with one clear line."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from nst_desktop.cli.mask_options import (
    MaskOptions,
    add_mask_options,
    mask_settings,
    parse_region,
    parse_unpainted,
    resolve_mask,
)
from nst_desktop.engine.spec.errors import ImageError, ParamsError
from nst_desktop.engine.spec.region_masks import MaskSettings, Region
from nst_desktop.io.masks import mask_record, save_mask


def _ns(*argv: str) -> MaskOptions:
    """The mask options as ``render`` parses them (cli.recipe_options hands them on so)."""
    parser = argparse.ArgumentParser()
    add_mask_options(parser)
    ns = parser.parse_args(list(argv))
    return MaskOptions(ns.mask, tuple(ns.region), ns.unpainted, ns.feather)


def _mask_file(tmp_path: Path, regions: int = 2, hw: tuple[int, int] = (20, 30)) -> Path:
    labels = np.zeros(hw, np.uint8)
    for k in range(1, regions + 1):
        labels[:, k * 5:(k + 1) * 5] = k
    return save_mask(labels, tmp_path / "mask.png")


def test_region_syntax() -> None:
    region = parse_region("1=0,1:3@1.5")
    assert (region.index, region.styles, region.weights, region.strength) == (1, (0, 1), (1.0, 3.0), 1.5)
    assert parse_region(" 2 = 1 ").styles == (1,)
    assert parse_region("3=0:.5,2:2e0").weights == (0.5, 2.0)


@pytest.mark.parametrize(("text", "words"), [
    ("0,1", "no region number"),
    ("1=", "'' is not STYLE"),
    ("1=a", "'a' is not STYLE"),
    ("1=0:x", "'0:x' is not STYLE"),
    ("1=0@strong", "strength 'strong'"),
    ("1=0@20", "between 0 and 10"),
    ("9=0", "numbered 1 to 8"),
    ("1=0:0", "all zero"),
    ("1=0,0", "named twice"),
])
def test_bad_region_is_one_line_naming_it(text: str, words: str) -> None:
    with pytest.raises(ParamsError, match=words) as info:
        parse_region(text)
    assert f"--region {text!r}" in str(info.value) and "\n" not in str(info.value)


def test_unpainted() -> None:
    assert parse_unpainted("keep") == ("keep_photo", 0)
    assert parse_unpainted("style:2") == ("style", 2)
    with pytest.raises(ParamsError, match="keep or style:N"):
        parse_unpainted("style")


def test_settings_from_options_override_a_params_file() -> None:
    base = MaskSettings((Region(1, (0,)), Region(2, (1,), strength=2.0)), feather_px=3.0)
    settings = mask_settings(_ns("--region", "1=1@0.5", "--unpainted", "style:0"), base)
    assert settings.region(1) == Region(1, (1,), strength=0.5)
    assert settings.region(2) == base.region(2) and settings.feather_px == 3.0
    assert (settings.unpainted, settings.unpainted_style) == ("style", 0)
    with pytest.raises(ParamsError, match="--region 1 is given twice"):
        mask_settings(_ns("--region", "1=0", "--region", "1=1"))


def test_resolve_mask_defaults_and_record(tmp_path: Path) -> None:
    file = _mask_file(tmp_path)
    notes: list[str] = []
    mask = resolve_mask(_ns("--mask", str(file), "--region", "2=0,1:3", "--feather", "2"), 2, (20, 30),
                        notes.append)
    assert mask is not None and not notes
    assert [(r.index, r.styles) for r in mask.settings.regions] == [(1, (0,)), (2, (0, 1))]
    assert mask.settings.feather_px == 2.0
    record = mask_record(mask, tmp_path / "out.mask.png")
    assert record["file"].endswith("out.mask.png")
    assert MaskSettings.from_dict(record) == mask.settings
    assert resolve_mask(_ns(), 2, (20, 30), notes.append) is None


def test_wrong_size_is_resized_with_a_note(tmp_path: Path) -> None:
    notes: list[str] = []
    mask = resolve_mask(_ns("--mask", str(_mask_file(tmp_path))), 2, (40, 60), notes.append)
    assert mask is not None and mask.hw == (40, 60)
    assert len(notes) == 1 and "stretched" in notes[0]


def test_refusals_are_one_line(tmp_path: Path) -> None:
    file = _mask_file(tmp_path, regions=3)
    with pytest.raises(ParamsError, match="3 regions but only 2 styles"):
        resolve_mask(_ns("--mask", str(file)), 2, (20, 30), print)
    with pytest.raises(ParamsError, match="asks for style 4"):
        resolve_mask(_ns("--mask", str(file), "--region", "3=4"), 2, (20, 30), print)
    with pytest.raises(ParamsError, match="Region 5 is empty"):
        resolve_mask(_ns("--mask", str(file), "--region", "3=0", "--region", "5=0"), 2, (20, 30), print)
    with pytest.raises(ImageError, match="nope.png: file not found"):
        resolve_mask(_ns("--mask", str(tmp_path / "nope.png")), 2, (20, 30), print)
    with pytest.raises(ParamsError, match="--region, --unpainted need --mask FILE"):
        resolve_mask(_ns("--region", "1=0", "--unpainted", "keep"), 2, (20, 30), print)
