"""Hostile inputs refused by ``nst-desktop render`` before torch is imported, in one line naming
the file (issue 16.12): pipes and devices (the CLI hung on them), a truncated JPEG (found after
torch, 1.7 s later), a panorama strip (a traceback from VGG's pooling), a name too long for the
output's record, a newline in a name."""

from __future__ import annotations

import io
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_desktop.cli import main
from nst_desktop.io.images import read_metadata
from tests.cli.conftest import run_fresh

TINY = ["--size", "48", "--min-size", "48", "--steps", "2", "--device", "cpu", "--precision", "float32", "-q"]


def _jpeg(path: Path, h: int = 300, w: int = 400) -> Path:
    pixels = (np.random.default_rng(2).random((h, w, 3)) * 255).astype(np.uint8)
    Image.fromarray(pixels).save(path, "JPEG", quality=90)
    return path


def test_hostile_inputs_are_refused_before_torch_in_one_line(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this platform")
    photo, style = _jpeg(tmp_path / "photo.jpg"), _jpeg(tmp_path / "style.jpg", 200, 200)
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    whole = photo.read_bytes()
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(whole[: len(whole) // 2])
    strip = tmp_path / "strip.png"
    Image.fromarray(np.full((20, 4000, 3), 120, np.uint8)).save(strip)
    newline = tmp_path / "two\nlines.jpg"  # does not exist: the error names it
    out = str(tmp_path / "out.png")
    p, s = str(photo), str(style)
    cases = {
        "pipe as photo": (["render", str(fifo), s, "-o", out], f"{fifo}: not a regular file (a named pipe)"),
        "pipe as style": (["render", p, str(fifo), "-o", out], f"{fifo}: not a regular file (a named pipe)"),
        "device as photo": (["render", "/dev/zero", s, "-o", out], "/dev/zero: not a regular file (a device"),
        "device as style": (["render", p, "/dev/random", "-o", out], "/dev/random: not a regular file"),
        "truncated JPEG": (["render", str(truncated), s, "-o", out], f"{truncated}: the file is truncated"),
        "panorama strip": (["render", str(strip), s, "-o", out, "--size", "512"],
                           f"{strip}: too narrow to paint at 512 px"),
        "name too long for its record": (["render", p, s, "-o", str(tmp_path / ("n" * 251 + ".jpg"))],
                                         "the file name is too long (260 bytes with its .json record"),
        "frames too long": (["render", p, s, "-o", str(tmp_path / ("f" * 251 + ".png")), "--save-every", "5"],
                            "the file name is too long (260 bytes; the most is 255)"),
        "newline in a name": (["render", str(newline), s, "-o", out],
                              f"{tmp_path}/two\\nlines.jpg: file not found"),
    }
    started = time.monotonic()
    report = run_fresh({name: argv for name, (argv, _) in cases.items()}, tmp_path / "home")
    assert time.monotonic() - started < 30  # no case waited on a pipe or a device
    assert report.pop("torch imported") is False
    for name, (rc, err) in report.items():
        lines = [line for line in str(err).splitlines() if line.strip()]
        assert rc == 1 and len(lines) == 1 and "Traceback" not in str(err), (name, err)
        assert lines[0].startswith("nst-desktop: error: ") and cases[name][1] in lines[0], (name, lines[0])
    assert not Path(out).exists()


def test_a_strip_wide_enough_for_the_output_renders_to_a_255_byte_name(tmp_path: Path) -> None:
    """The strip paints (its first scales, too thin for VGG19, are skipped), and the longest legal
    name is written (its temporary file used to be longer, failing after the whole render)."""
    strip, style = tmp_path / "strip.png", _jpeg(tmp_path / "style.jpg", 64, 64)
    Image.fromarray(np.full((20, 400, 3), 120, np.uint8)).save(strip)
    out = tmp_path / ("p" * 251 + ".png")
    assert main(["render", str(strip), str(style), "-o", str(out), *TINY[4:], "--size", "400",
                 "--min-size", "64", "--steps", "1", "--coarse-steps", "1"]) == 0
    with Image.open(out) as im:
        assert im.size == (400, 20)


def test_a_non_utf8_photo_name_renders_to_jpeg_with_its_record(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    if sys.platform in ("win32", "darwin"):
        pytest.skip("file names there are always Unicode")
    folder = os.fsencode(tmp_path)
    photo = os.fsdecode(folder + b"/caf\xe9.jpg")  # a Latin-1 name on a UTF-8 system
    _jpeg(Path(photo), 64, 64)
    style = _jpeg(tmp_path / "style.jpg", 64, 64)
    out = tmp_path / "painting.jpg"
    assert main(["render", photo, str(style), "-o", str(out), *TINY]) == 0, capsys.readouterr().err
    record = read_metadata(out)
    assert record is not None and os.fsencode(record["inputs"]["content"]) == folder + b"/caf\xe9.jpg"
    json.loads((tmp_path / "painting.jpg.json").read_bytes().decode("utf-8"))  # valid UTF-8 JSON
    Image.open(io.BytesIO(out.read_bytes())).verify()
