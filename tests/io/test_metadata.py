"""Run metadata: written with every result, read back tolerantly, garbage refused clearly."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nst_desktop import __version__
from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.events import RunResult
from nst_desktop.engine.spec.params import DEFAULTS, Params
from nst_desktop.io.images import save_image, sidecar_path
from nst_desktop.io.metadata import load_params_file, params_from_metadata, run_metadata


def _result(params: Params | None = None, **losses: float) -> RunResult:
    return RunResult(
        image=np.full((8, 8, 3), 0.5, np.float32), params=params or Params(size=64, seed=5, steps=3),
        stopped=True, steps_done=2, elapsed_s=1.23456, losses=losses or {"total": 2.5, "style": 1.0},
        device="cpu",
    )


def _meta(tmp_path: Path, params: Params | None = None) -> dict[str, Any]:
    return run_metadata(_result(params), tmp_path / "photo.jpg", [tmp_path / "a.jpg", tmp_path / "b.png"],
                        [0.25, 0.75])


def test_run_metadata_contents(tmp_path: Path) -> None:
    when = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    meta = run_metadata(_result(total=2.5, style=math.nan), "rel/photo.jpg", [tmp_path / "s.jpg"], None,
                        created=when)
    assert meta["version"] == __version__ and meta["app"] == "NST Desktop"
    assert meta["created"] == "2024-05-06T07:08:09Z"
    assert meta["params"] == Params(size=64, seed=5, steps=3).to_dict()
    assert meta["seed"] == 5 and meta["device"] == "cpu" and meta["steps"] == 2 and meta["stopped"] is True
    assert meta["elapsed_s"] == pytest.approx(1.235)
    assert meta["losses"] == {"total": 2.5, "style": None}  # NaN is not JSON
    assert Path(meta["inputs"]["content"]).is_absolute()
    assert meta["inputs"]["styles"] == [str(tmp_path / "s.jpg")]
    assert meta["inputs"]["style_weights"] == [1.0]
    json.dumps(meta, allow_nan=False)  # strictly valid JSON


def test_run_metadata_refuses_mismatched_weights(tmp_path: Path) -> None:
    with pytest.raises(ParamsError, match="one weight per style"):
        run_metadata(_result(), "c.jpg", ["a.jpg", "b.jpg"], [1.0])


def test_roundtrip(tmp_path: Path) -> None:
    params = Params(size=96, colour="luminance", style_layers=("relu1_1", "relu3_1"),
                    style_layer_weights=(0.5, 2.0), init="image", init_image="/x/start.png", optimizer="adam")
    meta = json.loads(json.dumps(_meta(tmp_path, params)))
    back, inputs = params_from_metadata(meta)
    assert back == params
    assert inputs["content"] == str(tmp_path / "photo.jpg")
    assert inputs["styles"] == [str(tmp_path / "a.jpg"), str(tmp_path / "b.png")]
    assert inputs["style_weights"] == [0.25, 0.75]


def test_brush_size_round_trips_and_older_records_paint_at_1x(tmp_path: Path) -> None:
    meta = json.loads(json.dumps(_meta(tmp_path, Params(size=96, brush_size=2.5))))
    assert meta["params"]["brush_size"] == 2.5
    assert params_from_metadata(meta)[0].brush_size == 2.5
    del meta["params"]["brush_size"]  # a record written before issue 20.2
    assert params_from_metadata(meta)[0] == Params(size=96)  # the brush of its day: 1x
    with pytest.raises(ParamsError, match="Brush size must be between 1 and 4"):
        params_from_metadata({"params": {"brush_size": 0.5}})


def test_older_and_newer_files_are_tolerated() -> None:
    old, inputs = params_from_metadata({"params": {"size": 300}})  # from before most fields existed
    assert old == DEFAULTS.with_changes(size=300)
    assert inputs == {"content": None, "styles": [], "style_weights": []}
    new, _ = params_from_metadata({"schema": 9, "params": {"size": 300, "hyper_knob": [1, 2]}, "extra": 1})
    assert new.size == 300
    bare, _ = params_from_metadata({"seed": 3, "steps": 10.0})  # a bare params dict; 10.0 from a JSON writer
    assert bare.seed == 3 and bare.steps == 10 and isinstance(bare.steps, int)


def test_malformed_inputs_are_dropped_not_fatal() -> None:
    _, inputs = params_from_metadata({"params": {}, "inputs": {"content": 5, "styles": ["a.jpg"],
                                                                "style_weights": ["x"]}})
    assert inputs == {"content": None, "styles": ["a.jpg"], "style_weights": [1.0]}


@pytest.mark.parametrize("garbage,needle", [
    ("params", "JSON object"),
    ([1, 2], "JSON object"),
    ({"params": "x"}, "not a JSON object"),
    ({"hello": 1}, "No NST Desktop parameters"),
    ({"params": {"size": "big"}}, "'size'"),
    ({"params": {"size": True}}, "'size'"),
    ({"params": {"colour": 5}}, "'colour'"),
    ({"params": {"style_layers": "relu1_1"}}, "'style_layers'"),
    ({"params": {"size": 5}}, "Output size"),
    ({"params": {"colour": "purple"}}, "Colours"),
    ({"params": {"style_layers": ["relu9_9"], "style_layer_weights": [1.0]}}, "relu9_9"),
])  # fmt: skip
def test_garbage_raises_params_error(garbage: Any, needle: str) -> None:
    with pytest.raises(ParamsError) as info:
        params_from_metadata(garbage)
    assert needle in str(info.value)


def test_load_params_file_from_png_sidecar_and_bare_json(tmp_path: Path) -> None:
    params = Params(size=80, seed=11, steps=4)
    meta = _meta(tmp_path, params)
    png = save_image(np.zeros((4, 4, 3), np.float32), tmp_path / "out.png", meta)
    assert load_params_file(png)[0] == params
    jpg = save_image(np.zeros((4, 4, 3), np.float32), tmp_path / "out.jpg", meta)
    assert load_params_file(jpg)[0] == params  # through the sidecar
    assert load_params_file(sidecar_path(jpg)) == params_from_metadata(meta)  # the sidecar itself
    bare = tmp_path / "look.json"
    bare.write_text(json.dumps(params.to_dict()))
    assert load_params_file(bare)[0] == params


@pytest.mark.parametrize("name,content,needle", [
    ("broken.json", "{not json", "not a valid JSON"),
    ("list.json", "[1, 2]", "JSON object"),
    ("plain.txt", "hello", "no NST Desktop parameters"),
])  # fmt: skip
def test_load_params_file_refusals_name_the_file(
    tmp_path: Path, name: str, content: str, needle: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ParamsError) as info:
        load_params_file(path)
    assert str(path) in str(info.value) and needle in str(info.value)


def test_load_params_file_missing_or_folder(tmp_path: Path) -> None:
    with pytest.raises(ParamsError, match="not found"):
        load_params_file(tmp_path / "gone.png")
    with pytest.raises(ParamsError, match="folder"):
        load_params_file(tmp_path)


def test_image_without_metadata(tmp_path: Path) -> None:
    path = save_image(np.zeros((4, 4, 3), np.float32), tmp_path / "plain.png", None)
    with pytest.raises(ParamsError, match="no NST Desktop parameters"):
        load_params_file(path)


@pytest.mark.parametrize("kind", ["json", "png"])
def test_a_deeply_nested_record_is_one_error_naming_the_file(tmp_path: Path, kind: str) -> None:
    """json's parser recurses once per level: 100,000 brackets raised RecursionError (a traceback)."""
    from PIL import Image, PngImagePlugin

    from nst_desktop.io.images import METADATA_KEY
    from nst_desktop.io.metadata import load_record

    text = '{"params": ' + "[" * 100_000 + "]" * 100_000 + "}"
    file = tmp_path / f"deep.{kind}"
    if kind == "json":
        file.write_text(text, encoding="utf-8")
    else:
        info = PngImagePlugin.PngInfo()
        info.add_itxt(METADATA_KEY, text)
        Image.new("RGB", (4, 4)).save(file, pnginfo=info)
    with pytest.raises(ParamsError, match="nested too deeply") as caught:
        load_record(file)
    assert str(file) in caught.value.message


def test_a_record_file_larger_than_any_record_is_refused_unread(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from nst_desktop.io import metadata

    monkeypatch.setattr(metadata, "MAX_RECORD_BYTES", 100)
    file = tmp_path / "big.json"
    file.write_text(json.dumps({"params": {"size": 64}, "pad": "x" * 200}), encoding="utf-8")
    with pytest.raises(ParamsError, match="too large for a record") as caught:
        metadata.load_record(file)
    assert str(file) in caught.value.message
