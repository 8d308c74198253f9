"""``render``'s options become a Recipe once (cli.recipe_options, issue 17.1): the precedence of
settings, a --params record through recipe.from_record, and the namespace ending there."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_desktop.cli import build_parser
from nst_desktop.cli.common import UsageError
from nst_desktop.cli.recipe_options import RenderOptions, recipe_from_options, render_options
from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.params import DEFAULTS
from nst_desktop.engine.spec.presets import PRESETS
from nst_desktop.engine.spec.touches import Touches
from nst_desktop.io.masks import save_mask
from nst_desktop.recipe.recipe import Recipe

CLI = Path(__file__).parents[2] / "nst_desktop" / "cli"


def _recipe(*argv: str) -> tuple[Recipe, RenderOptions]:
    ns = build_parser().parse_args(["render", *argv])
    options = render_options(ns)
    return recipe_from_options(ns, options), options


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(4)
    found = {name: tmp_path / f"{name}.png" for name in ("photo", "a", "b")}
    for path in found.values():
        Image.fromarray(rng.integers(0, 255, (30, 40, 3), np.uint8)).save(path)
    record = {"params": {"size": 96, "steps": 7, "style_weight": 3.0, "seed": 11},
              "inputs": {"content": str(found["photo"]), "styles": [str(found["a"]), str(found["b"])],
                         "style_weights": [3.0, 1.0]},
              "touches": {"fade": 0.5}, "edits": [{"step": 2, "changes": {"tv_weight": 2.0}}]}
    found["record"] = tmp_path / "record.json"
    found["record"].write_text(json.dumps(record), encoding="utf-8")
    return found


def test_options_beat_the_preset_which_beats_the_record_which_beats_the_defaults(
        files: dict[str, Path]) -> None:
    preset = next(name for name, p in PRESETS.items() if p.steps != DEFAULTS.steps)
    recipe, options = _recipe("--params", str(files["record"]), "--preset", preset, "--size", "200",
                              "-o", "out.png")
    assert recipe.params.size == 200  # explicit beats the preset's and the record's
    assert recipe.params.steps == PRESETS[preset].steps  # the preset beats the record's 7
    assert recipe.params.seed == 11 != DEFAULTS.seed  # the record's (a preset keeps it) beats the default
    assert recipe.photo == str(files["photo"]) and recipe.blend == (3.0, 1.0)  # the record's inputs
    assert recipe.touches == Touches(fade=0.5) and [e.step for e in recipe.edits] == [2]
    assert options.replaying and options.record["params"]["seed"] == 11


def test_positionals_replace_the_records_inputs_and_its_blend(files: dict[str, Path]) -> None:
    recipe, options = _recipe(str(files["b"]), str(files["a"]), "--params", str(files["record"]),
                              "-o", "x.png")
    assert recipe.photo == str(files["b"]) and recipe.style_paths == (str(files["a"]),)
    assert recipe.blend == (1.0,) and recipe.params.size == 96 and not options.replaying
    again, _ = _recipe(str(files["photo"]), str(files["a"]), str(files["b"]), "--style-weights", "1", "4",
                       "-o", "x.png")
    assert again.blend == (1.0, 4.0) and again.params == DEFAULTS


def test_option_mistakes_name_the_option(files: dict[str, Path]) -> None:
    photo, a = str(files["photo"]), str(files["a"])
    with pytest.raises(ParamsError, match="--style-weights: give one weight per style image"):
        _recipe(photo, a, "--style-weights", "1", "2", "-o", "x.png")
    with pytest.raises(ParamsError, match="--style-weights must be finite"):
        _recipe(photo, a, "--style-weights", "-1", "-o", "x.png")
    with pytest.raises(ParamsError, match="--min-size 128 is larger"):
        _recipe(photo, a, "--size", "64", "--min-size", "128", "-o", "x.png")
    with pytest.raises(UsageError, match="CONTENT image"):
        _recipe(photo, "-o", "x.png")


def test_a_record_refusal_names_the_record(files: dict[str, Path], tmp_path: Path) -> None:
    record = json.loads(files["record"].read_text(encoding="utf-8"))
    record["inputs"]["style_weights"] = [0.0, 0.0]
    bad = tmp_path / "zero.json"
    bad.write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(ParamsError, match=r"zero\.json: The style blend weights must be") as info:
        _recipe("--params", str(bad), "-o", "x.png")
    assert "--style-weights" not in str(info.value)  # no option was given


def test_mask_options_go_on_top_of_the_records_mask(files: dict[str, Path], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    labels = np.zeros((15, 20), np.uint8)  # half the photo's size: stretched, with a note
    labels[:, 10:] = 1
    save_mask(labels, tmp_path / "m.png")
    recipe, _ = _recipe("--params", str(files["record"]), "--mask", str(tmp_path / "m.png"),
                        "--region", "1=1@2", "-o", "x.png")
    assert recipe.mask is not None and recipe.mask.hw == (30, 40)
    region = recipe.mask.settings.region(1)
    assert region is not None and region.styles == (1,) and region.strength == 2.0
    notes = capsys.readouterr().err.splitlines()
    assert len(notes) == 1 and "m.png is 20x15 but the photo is 40x30" in notes[0] and "stretched" in notes[0]


def _functions_taking_the_namespace(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
            and any(ast.unparse(arg.annotation or ast.Constant(None)).endswith("Namespace")
                    for arg in node.args.args)]


def test_the_namespace_ends_at_the_options_module() -> None:
    """Only the commands' entries (``cmd_*``), the parser's module and the options modules
    (``recipe_options``, ``farm_options``) see argparse's namespace; everything below takes the
    Recipe (or the batch's planned recipes) and RenderOptions."""
    taking = {path.name: _functions_taking_the_namespace(path) for path in sorted(CLI.glob("*.py"))}
    below = {name: [f for f in functions if not f.lstrip("_").startswith("cmd_")]
             for name, functions in taking.items()
             if name != "__init__.py" and not name.endswith("_options.py")}  # options modules: where it ends
    assert not any(below.values()), below
    assert taking["render.py"] == ["cmd_render"] and "cmd_batch" in taking["batch.py"]
    assert {"recipe_from_options", "planned_jobs"} <= set(taking["recipe_options.py"])


def test_a_bare_params_file_needs_the_images_on_the_command_line(files: dict[str, Path],
                                                                 tmp_path: Path) -> None:
    bare = tmp_path / "look.json"
    bare.write_text(json.dumps({"params": {"size": 64, "steps": 2}}), encoding="utf-8")
    with pytest.raises(ParamsError, match=r"look\.json: The record does not name its photo and styles"):
        _recipe("--params", str(bare), "-o", "x.png")
    recipe, _ = _recipe(str(files["photo"]), str(files["a"]), "--params", str(bare), "-o", "x.png")
    assert recipe.params.size == 64 and recipe.style_paths == (str(files["a"]),)


def test_brush_size_option_sets_the_field_and_refuses_bad_values(files: dict[str, Path]) -> None:
    photo, a = str(files["photo"]), str(files["a"])
    recipe, _ = _recipe(photo, a, "--brush-size", "2.5", "-o", "x.png")
    assert recipe.params.brush_size == 2.5
    assert _recipe(photo, a, "-o", "x.png")[0].params.brush_size == 1.0  # not given: today's 1x
    record, _ = _recipe("--params", str(files["record"]), "--brush-size", "4", "-o", "x.png")
    assert record.params.brush_size == 4.0 and record.params.steps == 7  # over a record's settings
    with pytest.raises(ParamsError, match=r"^Brush size must be between 1 and 4, not 8\.0\.$"):
        _recipe(photo, a, "--brush-size", "8", "-o", "x.png")
    with pytest.raises(ParamsError, match="Brush size must be a finite number"):
        _recipe(photo, a, "--brush-size", "nan", "-o", "x.png")
