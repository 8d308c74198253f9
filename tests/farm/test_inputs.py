"""A farm request is checked as strictly as the command line checks a record (issue 19.4): the
hostile-record corpus of issue 16.12, bad images, and messages that name the client's files."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from nst_desktop.farm.inputs import unpack
from nst_desktop.farm.protocol import FarmError, InputFile, JobRequest
from tests.cli.test_hostile_records import CASES

CLIENT_PHOTO = "/Users/artist/Pictures/holiday photo.png"
CLIENT_STYLE = "/Users/artist/Styles/waves.png"


def _png(hw: tuple[int, int], seed: int = 0) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 255, (*hw, 3), np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def _record(junk: Path, folder: Path) -> dict[str, Any]:
    return {"app": "NST Desktop", "schema": 1, "_junk": str(junk), "_folder": str(folder),
            "params": {"size": 32, "min_size": 32, "steps": 1, "device": "cpu", "precision": "float32"},
            "inputs": {"content": CLIENT_PHOTO, "styles": [CLIENT_STYLE], "style_weights": [1.0]}}


def _request(record: dict[str, Any], photo: bytes | None = None) -> JobRequest:
    record = {k: v for k, v in record.items() if not k.startswith("_")}
    photo_file = InputFile(CLIENT_PHOTO, _png((24, 32)) if photo is None else photo)
    return JobRequest(record, "full", "key", photo_file,
                      (InputFile(CLIENT_STYLE, _png((16, 16), 1)),))


RECORD_CASES = {name: case for name, case in CASES.items() if not isinstance(case[0], str)}


@pytest.mark.parametrize("name", sorted(RECORD_CASES))
def test_every_hostile_record_is_refused_in_one_line(name: str, tmp_path: Path) -> None:
    junk = tmp_path / "junk.pth"
    junk.write_bytes(np.random.default_rng(0).bytes(4096))
    (tmp_path / "afolder.pth").mkdir()
    change, word = RECORD_CASES[name]
    base = _record(junk, tmp_path / "afolder.pth")
    record = change(base) if callable(change) else {**base, **change}  # type: ignore[operator]
    (tmp_path / "job").mkdir()
    with pytest.raises(FarmError) as refused:
        unpack(_request(record), tmp_path / "job")
    text = refused.value.user_text()
    assert "\n" not in text and len(text) < 1000 and word.lower() in text.lower(), text[:500]


def test_a_valid_request_unpacks_to_a_checked_recipe_of_its_files(tmp_path: Path) -> None:
    unpacked = unpack(_request(_record(tmp_path, tmp_path)), tmp_path)
    assert Path(unpacked.recipe.photo).read_bytes() == _request(_record(tmp_path, tmp_path)).photo.data
    assert Path(unpacked.recipe.photo).parent == tmp_path and unpacked.recipe.blend == (1.0,)


@pytest.mark.parametrize(("photo", "word"), [
    (_png((24, 32))[:60], "truncated"),
    (b"not an image at all" * 10, "not"),
    (b"", "not an image"),
])
def test_a_bad_image_is_refused_naming_the_clients_file(photo: bytes, word: str, tmp_path: Path) -> None:
    with pytest.raises(FarmError) as refused:
        unpack(_request(_record(tmp_path, tmp_path), photo), tmp_path)
    text = refused.value.user_text()
    assert CLIENT_PHOTO in text and str(tmp_path) not in text and "\n" not in text, text
    assert word in text.lower(), text


def test_a_decompression_bomb_is_refused_from_its_header(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.new("L", (20000, 20000)).save(buffer, "PNG")  # 400 MP of black: a few hundred kB
    with pytest.raises(FarmError, match="holiday photo.png"):
        unpack(_request(_record(tmp_path, tmp_path), buffer.getvalue()), tmp_path)


def test_a_start_image_must_come_with_a_recipe_that_starts_from_one(tmp_path: Path) -> None:
    record = _record(tmp_path, tmp_path)
    record["params"] = {**record["params"], "init": "image", "init_image": "/Users/artist/start.png"}
    with pytest.raises(FarmError, match="start image"):
        unpack(_request(record), tmp_path)


def test_a_recipe_going_on_from_an_earlier_picture_paints_that_picture_first_on_the_farm(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The window's "Queue at print size" sent to the farm: the farm paints the earlier picture
    again from its record and goes on from it, bit for bit as the app does locally."""
    from dataclasses import replace

    from nst_desktop.farm.client import request_for
    from nst_desktop.farm.inputs import render_request
    from nst_desktop.recipe.jobs import job_for
    from nst_desktop.service.render import render
    from tests.queue.conftest import SMALL, draw, recipe_of

    monkeypatch.setenv("NST_DESKTOP_HOME", str(tmp_path / "home"))
    photo, style = draw(tmp_path / "photo.png", 1), draw(tmp_path / "wave.png", 2)
    small = recipe_of(photo, style, params=SMALL.with_changes(size=32, min_size=32, steps=2, seed=1,
                                                               precision="float32"))
    earlier = render(job_for(small, "full"), preview_every=0)
    # Another seed: painted from scratch, its first scale would not be the earlier picture.
    bigger = small.with_params(small.params.with_changes(size=48, seed=2))
    big = replace(bigger, continued_from=earlier.metadata)

    def paint_earlier(job: Any) -> Any:
        return render(job, preview_every=0).result.image

    here = render(job_for(big, "full", paint_earlier=paint_earlier), preview_every=0).image
    from_scratch = render(job_for(big, "full"), preview_every=0).image
    (tmp_path / "job").mkdir()
    on_farm, record = render_request(request_for(big, "full"), tmp_path / "job")
    assert np.array_equal(on_farm, here)
    assert not np.array_equal(on_farm, from_scratch)  # it went on from the earlier picture
    assert record["continued_from"]["params"]["size"] == 32
