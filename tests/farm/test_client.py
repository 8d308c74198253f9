"""The app's side of the farm without a farm: addresses, uploads, and a farm that is down."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest

from nst_desktop.engine.spec.errors import ImageError
from nst_desktop.farm import client as client_module
from nst_desktop.farm.client import FarmClient, request_for
from nst_desktop.farm.protocol import FarmError, FarmUnreachableError, InputFile
from nst_desktop.farm.runner import FarmCancelledError, paint_on_farm
from tests.farm.conftest import free_port, tiny_recipe


def test_an_address_must_be_http_or_https() -> None:
    for url in ("render-pc:8765", "ftp://render-pc", "http://"):
        with pytest.raises(FarmError, match="address"):
            FarmClient(url, "t" * 20)
    assert FarmClient(" https://farm.example/nst/ ", "t" * 20).url == "https://farm.example/nst"


def test_a_farm_that_is_down_is_unreachable_not_a_traceback() -> None:
    client = FarmClient(f"http://127.0.0.1:{free_port()}", "t" * 20, timeout_s=2)
    with pytest.raises(FarmUnreachableError, match="cannot be reached"):
        client.status()


def test_an_upload_over_the_limit_is_refused_before_sending(
        pictures: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    recipe = tiny_recipe(pictures)
    request = request_for(recipe, "full", "k1")
    assert request.photo.data == Path(recipe.photo).read_bytes() and request.record["inputs"]["content"]
    monkeypatch.setattr(client_module, "MAX_IMAGE_BYTES", 100)
    with pytest.raises(ImageError, match="photo.png.*limit"):
        request_for(recipe, "full")


def test_a_job_waits_while_the_farm_is_unreachable_and_says_since_when(pictures: tuple[Path, Path]) -> None:
    client = FarmClient(f"http://127.0.0.1:{free_port()}", "t" * 20, timeout_s=2)
    waiting: list[str] = []
    stop = threading.Event()
    threading.Timer(1.0, stop.set).start()
    started = time.monotonic()
    with pytest.raises(FarmCancelledError):
        paint_on_farm(client, request_for(tiny_recipe(pictures), "full"), on_waiting=waiting.append,
                      stop_requested=stop.is_set, retry_s=0.1)
    assert time.monotonic() - started >= 1.0  # it waited for the farm until told to stop
    assert len(waiting) == 1 and re.fullmatch(r"farm unreachable since \d\d:\d\d", waiting[0]), waiting


def test_a_request_can_read_other_copies_of_the_files_under_the_recipes_names(
        pictures: tuple[Path, Path], tmp_path: Path) -> None:
    from dataclasses import replace

    recipe = tiny_recipe(pictures)
    (tmp_path / "kept-photo").write_bytes(b"kept photo bytes")
    (tmp_path / "kept-style").write_bytes(b"kept style bytes")
    kept = replace(recipe, photo=str(tmp_path / "kept-photo")).with_styles([tmp_path / "kept-style"], [1.0])
    request = request_for(recipe, "full", "k", files=kept)
    assert request.photo == InputFile(recipe.photo, b"kept photo bytes")
    assert request.styles == (InputFile(recipe.style_paths[0], b"kept style bytes"),)
    assert request.record["inputs"]["content"] == recipe.photo


def test_lanes_are_what_the_farm_paints_at_once() -> None:
    from nst_desktop.farm.client import FarmStatus

    def status(cpus: float, gpus: float, cpus_per_job: int = 1) -> FarmStatus:
        return FarmStatus("0.1.0", "2.60.0", (), cpus, gpus, {}, cpus_per_job)

    assert status(64, 4).lanes == 4  # 4 GPU machines: a whole GPU per job
    assert status(2, 4).lanes == 2  # each GPU job takes a CPU too
    assert status(8, 0, 2).lanes == 4  # CPUs only: --cpus-per-job each
    assert status(1, 0, 2).lanes == 1  # at least one
