"""A damaged history never hides the good entries (issue 16.12): each single-entry corruption is
set aside, counted, left on disk, and the entries around it still list."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nst_desktop.engine.spec.errors import ImageError
from nst_desktop.io.library import ENTRY_NAME, IMAGE_NAME, Library

GOOD_META: dict[str, Any] = {
    "params": {"size": 48, "steps": 3, "seed": 7},
    "inputs": {"content": "/p/a.jpg", "styles": ["/s/b.jpg"], "style_weights": [1.0]},
    "edits": [{"step": 3, "changes": {"style_weight": 2.0}}],
    "touches": {"fade": 0.2},
}


def _with_metadata(**changes: Any) -> Callable[[dict[str, Any]], bytes]:
    def damage(record: dict[str, Any]) -> bytes:
        return json.dumps({**record, "metadata": {**GOOD_META, **changes}}).encode()
    return damage


def _with_inputs(**changes: Any) -> Callable[[dict[str, Any]], bytes]:
    return _with_metadata(inputs={**GOOD_META["inputs"], **changes})


#: One corruption of entry.json per case (the missing image is handled apart).
CORRUPTIONS: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "nested JSON": lambda record: b"[" * 100_000 + b"]" * 100_000,
    "edits not a list": _with_metadata(edits=5),
    "edits of strings": _with_metadata(edits=["larger", "smaller"]),
    "edit changes a string": _with_metadata(edits=[{"step": 1, "changes": "abc"}]),
    "style_weights of strings": _with_inputs(style_weights=["x", "y"]),
    "style_weights a number": _with_inputs(style_weights=3),
    "params a list": _with_metadata(params=[1, 2]),
    "touches a list": _with_metadata(touches=[1]),
    "inputs a string": _with_metadata(inputs="a.jpg"),
    "styles a string": _with_inputs(styles="b.jpg"),
    "truncated JSON": lambda record: json.dumps(record).encode()[:30],
    "non-dict JSON": lambda record: b"[1, 2, 3]",
    "metadata a list": lambda record: json.dumps({**record, "metadata": [1]}).encode(),
    "binary garbage": lambda record: b"\xff\xfe\x00\x89PNG garbage \x00\x01",
}


def _image(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((40, 60, 3), dtype=np.float32)


def make_damaged_library(root: Path, names: list[str], *,
                         missing_image: bool = True) -> tuple[Library, set[str]]:
    """A library with two good entries around one damaged entry per name (and one without its
    image when ``missing_image``); the ids of the good ones."""
    library = Library(root)
    good = {library.add(_image(0), GOOD_META).id}
    for seed, name in enumerate(names, start=1):
        entry = library.add(_image(seed), GOOD_META)
        record = json.loads((entry.folder / ENTRY_NAME).read_text())
        (entry.folder / ENTRY_NAME).write_bytes(CORRUPTIONS[name](record))
    if missing_image:
        (library.add(_image(99), GOOD_META).folder / IMAGE_NAME).unlink()
    good.add(library.add(_image(100), GOOD_META).id)
    return library, good


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_each_corruption_is_set_aside_and_counted(tmp_path: Path, name: str) -> None:
    library, good = make_damaged_library(tmp_path / "library", [name], missing_image=False)
    listing = library.scan()
    assert {entry.id for entry in listing.entries} == good
    assert len(listing.damaged) == 1
    damaged = listing.damaged[0]
    assert damaged.is_dir() and (damaged / IMAGE_NAME).is_file()  # the user's picture is kept
    assert library.entries() == listing.entries


def test_the_whole_corpus_at_once(tmp_path: Path) -> None:
    library, good = make_damaged_library(tmp_path / "library", sorted(CORRUPTIONS))
    listing = library.scan()
    assert {entry.id for entry in listing.entries} == good
    assert len(listing.damaged) == len(CORRUPTIONS) + 1  # and the one without its image
    assert len(list(library.root.iterdir())) == len(good) + len(listing.damaged)  # nothing deleted


def test_a_damaged_entry_cannot_be_updated_but_is_kept(tmp_path: Path) -> None:
    library, _ = make_damaged_library(tmp_path / "library", ["nested JSON"], missing_image=False)
    damaged = library.scan().damaged[0]
    with pytest.raises(KeyError):
        library.update_metadata(damaged.name, GOOD_META)
    assert (damaged / ENTRY_NAME).read_bytes().startswith(b"[[[[")


def test_a_library_path_that_is_a_file_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "library"
    blocker.write_text("not a folder")
    with pytest.raises(ImageError) as caught:
        Library(blocker)
    text = caught.value.user_text()
    assert "is a file, not a folder" in text and str(blocker) in text and "\n" not in text
    assert blocker.read_text() == "not a folder"
