"""RunSession's history at start (issue 16.12): a damaged history never stops the window, and
what could not be read is said once."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from nst_desktop.gui.loaded_image import LoadedImage
from nst_desktop.io import paths
from nst_desktop.recipe.jobs import job_for
from tests.gui.conftest import WindowFactory
from tests.gui.parts import Parts
from tests.io.test_library_damaged import CORRUPTIONS, make_damaged_library


def test_a_damaged_history_starts_and_says_how_many_once(qtbot: QtBot, make_window: WindowFactory,
                                                        tmp_path: Path) -> None:
    library, good = make_damaged_library(tmp_path / "damaged", sorted(CORRUPTIONS))
    damaged = len(CORRUPTIONS) + 1
    window = make_window(library=library)
    history = window.session.history
    assert {entry.id for entry in history.entries()} == good
    assert history.damaged_label.isVisible() and history.damaged_label.text() == f"{damaged} unreadable"
    assert str(library.root) in history.damaged_label.toolTip()
    qtbot.waitUntil(lambda: f"{damaged} history entries were not readable"
                    in window.statusBar().currentMessage(), timeout=5000)
    history.list.selectAll()
    history.list.item(0).toolTip()  # the tooltips of the good entries still read
    assert window.last_error == ""  # not an error box per entry, nor one at all


def test_a_clean_history_says_nothing(make_window: WindowFactory) -> None:
    window = make_window()
    assert not window.session.history.damaged_label.isVisible()
    assert "not readable" not in window.statusBar().currentMessage()


def test_a_history_folder_that_is_a_file_is_said(qtbot: QtBot, make_window: WindowFactory,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = paths.library_dir(create=False)
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("a file where the history should be")
    window = make_window(library=None)
    assert window.session.history is None  # the window runs without it
    qtbot.waitUntil(lambda: "is a file, not a folder" in window.last_error, timeout=5000)
    assert str(blocker) in window.last_error and "\n" not in window.last_error
    assert blocker.read_text() == "a file where the history should be"


# --- hostile inputs in the window (issue 16.12) ---------------------------------------------------


def test_a_named_pipe_as_photo_or_style_is_refused_at_once(qtbot: QtBot, make_window: WindowFactory,
                                                          tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo") or not Path("/dev/zero").exists():
        pytest.skip("no named pipes or /dev/zero on this platform")
    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)
    window = make_window()
    photo = window.inputs.content()
    started = time.monotonic()
    window.inputs.open_content_file(fifo)
    qtbot.waitUntil(lambda: "not a regular file" in window.last_error, timeout=5000)
    assert str(fifo) in window.last_error and "\n" not in window.last_error
    window.last_error = ""
    window.inputs.open_style_files([Path("/dev/zero")])
    qtbot.waitUntil(lambda: "/dev/zero: not a regular file (a device)" in window.last_error, timeout=5000)
    qtbot.waitUntil(lambda: not window.inputs.loading(), timeout=5000)
    assert time.monotonic() - started < 10  # not the 65 s a blocked reader took
    assert window.inputs.content() is photo  # the photo on show stays


def test_a_panorama_strip_is_refused_at_start_in_one_line(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    strip = np.random.default_rng(0).random((20, 4000, 3), dtype=np.float32)
    window.inputs.set_content(LoadedImage(strip, Path("/photos/strip.png"), "strip.png"))
    window.params_panel.update_fields(size=512)
    assert window.runs.start() is False
    assert window.last_error.startswith("/photos/strip.png: too narrow to paint at 512 px")
    assert "\n" not in window.last_error and "Unexpected" not in window.last_error
    assert not window.runner.running


def test_a_run_is_painted_from_the_documents_recipe_and_its_held_images(parts: Parts) -> None:
    """No window: the request is the document's recipe, with the images held for it."""
    pasted = LoadedImage(np.full((30, 40, 3), 0.25, np.float32), None, "Pasted image")
    parts.inputs.set_content(pasted)
    parts.inputs.set_style_weight(0, 2.5)
    assert parts.document.recipe.photo.startswith("pasted:") and parts.document.recipe.blend == (2.5,)
    request = parts.session.make_request()
    assert request is not None and request.content is pasted.image and request.job().content_path is None
    assert [s.weight for s in request.styles] == [2.5] and request.params == parts.document.recipe.params


@pytest.mark.parametrize("kind", ["full", "quick"])
def test_a_window_run_is_made_by_job_for_from_the_documents_recipe(parts: Parts, kind: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 17.1: the window's Job comes from recipe.jobs.job_for (the one way), given the
    document's recipe, the kind of run and the images the window holds."""
    from nst_desktop.gui import run_request
    from nst_desktop.recipe.jobs import run_params

    calls: list[tuple[Any, ...]] = []

    def spy(recipe: Any, run_kind: Any, from_picture: Any = None, **kw: Any) -> Any:
        calls.append((recipe, run_kind, from_picture, kw["images"]))
        return job_for(recipe, run_kind, from_picture, **kw)

    monkeypatch.setattr(run_request, "job_for", spy)
    request = parts.session.make_request(kind)  # type: ignore[arg-type]
    assert request is not None
    job = request.run_job()
    (recipe, run_kind, from_picture, images), = calls
    assert run_kind == kind and from_picture is None and images.photo is request.content
    assert recipe.photo == "/photos/cat.png" and recipe.params == parts.document.recipe.params
    assert job.params == run_params(recipe, kind, request.content.shape[:2])  # type: ignore[arg-type]
    assert (job.params.size < recipe.params.size) == (kind == "quick")


def test_start_is_refused_by_the_one_recipe_check(parts: Parts) -> None:
    """Issue 17.1: Start checks the recipe with recipe.validate.check, one line, nothing started."""
    errors: list[str] = []
    parts.session.errorOccurred.connect(errors.append)
    parts.params.update_fields(device="cpu", precision="float16")
    assert parts.session.make_request() is None
    assert len(errors) == 1 and "float16 is not available on the CPU" in errors[0] and "\n" not in errors[0]
    assert not parts.runs.start() and not parts.runner.running


def test_no_request_without_a_style_to_paint_with(parts: Parts) -> None:
    errors: list[str] = []
    parts.session.errorOccurred.connect(errors.append)
    parts.inputs.set_style_weight(0, 0.0)
    assert parts.session.make_request() is None and "blend weight above 0" in errors[0]
