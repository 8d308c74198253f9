"""An output that is one of the inputs is refused before any work (issue 16.12): the photo, a
style, either through a symlink or a hard link, the ``--params`` record, the ``--mask`` file,
and a JPEG's sidecar that is the record. Today they were silently overwritten."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_desktop.io.images import save_image
from nst_desktop.io.overwrite import overwritten_input, written_files
from tests.cli.conftest import run_without_torch


def _inputs(folder: Path) -> dict[str, Path]:
    rng = np.random.default_rng(3)
    files = {name: folder / name for name in ("photo.png", "style.jpg", "mask.png", "painting.png")}
    Image.fromarray(rng.integers(0, 255, (24, 32, 3), dtype=np.uint8)).save(files["photo.png"])
    Image.fromarray(rng.integers(0, 255, (24, 32, 3), dtype=np.uint8)).save(files["style.jpg"])
    labels = np.zeros((24, 32), np.uint8)
    labels[:, :16] = 1
    Image.fromarray(labels).save(files["mask.png"])
    record = {"params": {"size": 32, "min_size": 32, "steps": 1},
              "inputs": {"content": str(files["photo.png"]), "styles": [str(files["style.jpg"])]}}
    save_image(rng.random((24, 32, 3), dtype=np.float32), files["painting.png"], record)  # a picture
    files["painting.jpg.json"] = folder / "painting.jpg.json"  # a JPEG's sidecar, used as the record
    files["painting.jpg.json"].write_text(json.dumps(record), encoding="utf-8")
    (folder / "link-to-photo.png").symlink_to(files["photo.png"])
    (folder / "link-to-style.jpg").symlink_to(files["style.jpg"])
    os.link(files["photo.png"], folder / "hard-photo.png")
    (folder / "sub").mkdir()
    return files


def test_an_output_over_an_input_is_refused_before_torch_and_the_input_survives(tmp_path: Path) -> None:
    files = _inputs(tmp_path)
    before = {name: path.read_bytes() for name, path in files.items()}
    photo, style, sidecar = str(files["photo.png"]), str(files["style.jpg"]), str(files["painting.jpg.json"])
    render = ["render", photo, style, "-q", "--size", "32", "-o"]
    replay = ["render", "--params"]
    # name: (command line, the file the line names, the input it says it is)
    cases = {
        "photo": ([*render, photo], photo, "the photo"),
        "style": ([*render, style], style, "a style image"),
        "photo symlink": ([*render, str(tmp_path / "link-to-photo.png")], "link-to-photo.png", "the photo"),
        "style symlink": ([*render, str(tmp_path / "link-to-style.jpg")], "link-to-style.jpg",
                          "a style image"),
        "photo hard link": ([*render, str(tmp_path / "hard-photo.png")], "hard-photo.png", "the photo"),
        "photo by ..": ([*render, str(tmp_path / "sub" / ".." / "photo.png")], "photo.png", "the photo"),
        "params record": ([*replay, str(files["painting.png"]), "-o", str(files["painting.png"])],
                          "painting.png", "the --params record"),
        "mask file": ([*render, str(files["mask.png"]), "--mask", str(files["mask.png"])], "mask.png",
                      "the --mask file"),
        "sidecar is the record": ([*replay, sidecar, "-o", f"{tmp_path}/painting.jpg"],
                                  "painting.jpg.json", "the --params record"),
    }
    report = run_without_torch({name: argv for name, (argv, _, _) in cases.items()}, tmp_path / "home")
    for name, (_argv, named, role) in cases.items():
        outcome = report[name]
        lines = outcome["err"].strip().splitlines()
        assert outcome["rc"] == 1 and not outcome["torch"], (name, outcome)
        assert len(lines) == 1 and lines[0].startswith("nst-desktop: error:"), (name, outcome["err"])
        assert named in lines[0] and f"is {role} of this render" in lines[0], (name, lines[0])
    assert {name: path.read_bytes() for name, path in files.items()} == before


def test_written_files_name_the_sidecar_and_the_mask(tmp_path: Path) -> None:
    out = tmp_path / "p.jpg"
    assert written_files(out) == (out, tmp_path / "p.jpg.json")
    assert written_files(tmp_path / "p.png", mask=True) == (tmp_path / "p.png", tmp_path / "p.mask.png")


@pytest.mark.parametrize("target", ["other.png", "photo.png.json"])
def test_an_output_beside_the_inputs_is_not_a_clash(tmp_path: Path, target: str) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"x")
    assert overwritten_input(tmp_path / target, [("the photo", photo), ("the start image", None)]) is None
    assert overwritten_input(photo, [("the photo", photo)]) == (photo, "the photo")
