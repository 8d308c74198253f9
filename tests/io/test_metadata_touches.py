"""The after-touches in the run metadata: written when they change something, read back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.events import RunResult
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.touches import Touches
from nst_desktop.io.images import save_image
from nst_desktop.io.metadata import (
    inputs_from_metadata,
    load_params_file,
    load_touches_file,
    run_metadata,
    touches_from_metadata,
    with_touches,
)


def _result() -> RunResult:
    return RunResult(image=np.full((8, 8, 3), 0.5, np.float32), params=Params(size=64, steps=3),
                     stopped=False, steps_done=3, elapsed_s=1.0, losses={"total": 1.0}, device="cpu")


def test_touches_round_trip_through_json(tmp_path: Path) -> None:
    touches = Touches(keep_photo_colours=True, fade=0.35)
    meta = run_metadata(_result(), tmp_path / "photo.jpg", [tmp_path / "a.jpg"], touches=touches)
    assert meta["touches"] == {"keep_photo_colours": True, "fade": 0.35}
    assert touches_from_metadata(json.loads(json.dumps(meta))) == touches


def test_identity_touches_are_not_written_and_absent_ones_are_identity(tmp_path: Path) -> None:
    meta = run_metadata(_result(), tmp_path / "photo.jpg", [tmp_path / "a.jpg"], touches=Touches())
    assert "touches" not in meta
    assert "touches" not in run_metadata(_result(), None, [])
    assert touches_from_metadata(meta) == Touches()
    assert touches_from_metadata({"touches": None}) == Touches()


def test_with_touches_replaces_or_removes_the_key() -> None:
    meta = {"params": {"size": 64}, "touches": {"fade": 0.5}}
    assert with_touches(meta, Touches(fade=0.2))["touches"] == {"keep_photo_colours": False, "fade": 0.2}
    assert "touches" not in with_touches(meta, Touches())
    assert meta["touches"] == {"fade": 0.5}  # a copy: the original is left alone


def test_nonsense_touches_are_refused_clearly() -> None:
    with pytest.raises(ParamsError, match="fade"):
        touches_from_metadata({"touches": {"fade": "half"}})
    with pytest.raises(ParamsError):
        touches_from_metadata({"touches": [0.5]})


def test_touches_read_from_a_saved_picture(tmp_path: Path) -> None:
    out = tmp_path / "painting.png"
    touches = Touches(fade=0.5)
    save_image(np.full((8, 8, 3), 0.5, np.float32), out,
               run_metadata(_result(), tmp_path / "photo.jpg", [tmp_path / "a.jpg"], touches=touches))
    assert load_touches_file(out) == touches
    assert load_params_file(out)[0] == Params(size=64, steps=3)  # the params still read the same
    with pytest.raises(ParamsError, match="not found"):
        load_touches_file(tmp_path / "nothing.png")


def test_inputs_survive_broken_params() -> None:
    data = {"params": {"size": "huge"}, "inputs": {"content": "/p.jpg", "styles": ["/a.jpg"],
                                                   "style_weights": [2]}}
    assert inputs_from_metadata(data) == {"content": "/p.jpg", "styles": ["/a.jpg"], "style_weights": [2.0]}
    assert inputs_from_metadata(None) == {"content": None, "styles": [], "style_weights": []}
