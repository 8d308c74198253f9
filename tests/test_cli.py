"""End-to-end tests of ``nst-desktop``: real renders at tiny sizes with the real weights.

``main(argv)`` runs in-process (seconds, not the torch import of a new process each
time); one test runs the installed console script in a subprocess.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_desktop import __version__
from nst_desktop.cli import ProgressBar, build_parser, main
from nst_desktop.engine.spec.events import ProgressEvent
from nst_desktop.engine.spec.params import param_fields
from nst_desktop.io.images import read_metadata
from nst_desktop.io.metadata import params_from_metadata
from nst_desktop.resources import resource_path
from tests.cli.conftest import run_fresh

CONTENT = resource_path("samples", "tubingen.jpg")
STYLE = resource_path("styles", "starry_night.jpg")
STYLE2 = resource_path("styles", "the_scream.jpg")
# One scale of 48 px and a few steps: a real run through VGG19 in well under a second.
TINY = ["--size", "48", "--min-size", "48", "--steps", "3", "--device", "cpu", "--precision", "float32"]


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the real user folders (weights store, library)."""
    monkeypatch.setenv("NST_DESKTOP_HOME", str(tmp_path / "home"))


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got: {err!r}"
    assert "Traceback" not in err
    return lines[0]


def test_render_writes_image_with_params(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.png"
    assert main(["render", str(CONTENT), str(STYLE), "-o", str(out), *TINY, "--seed", "5", "-q"]) == 0
    assert capsys.readouterr().err == ""  # quiet
    pixels = _pixels(out)
    assert max(pixels.shape[:2]) == 48 and pixels.shape[2] == 3
    meta = read_metadata(out)
    assert meta is not None
    params, _inputs = params_from_metadata(meta)
    assert (params.size, params.steps, params.seed, params.device) == (48, 3, 5, "cpu")


def test_params_round_trip_repeats_the_image_bit_exactly(tmp_path: Path) -> None:
    first, second = tmp_path / "first.png", tmp_path / "second.png"
    assert main(["render", str(CONTENT), str(STYLE), "-o", str(first), *TINY, "--seed", "7",
                 "--init", "noise", "-q"]) == 0
    # No CONTENT/STYLE: taken from the params embedded in first.png.
    assert main(["render", "--params", str(first), "-o", str(second), "-q"]) == 0
    assert np.array_equal(_pixels(first), _pixels(second))
    # Explicit options override the file; the rest is kept.
    third = tmp_path / "third.jpg"
    assert main(["render", "--params", str(first), "-o", str(third), "--steps", "1", "-q"]) == 0
    meta = read_metadata(third)
    assert meta is not None
    params, _inputs = params_from_metadata(meta)
    assert (params.steps, params.seed, params.init, params.size) == (1, 7, "noise", 48)
    assert not np.array_equal(_pixels(first), _pixels(third))


def test_style_blend_and_preset(tmp_path: Path) -> None:
    out = tmp_path / "blend.webp"
    argv = ["render", str(CONTENT), str(STYLE), str(STYLE2), "--style-weights", "3", "1",
            "--preset", "draft", "-o", str(out), *TINY, "-q"]
    assert main(argv) == 0
    assert out.is_file() and max(_pixels(out).shape[:2]) == 48


def test_save_every_writes_frames(tmp_path: Path) -> None:
    out = tmp_path / "run.png"
    argv = ["render", str(CONTENT), str(STYLE), "-o", str(out), *TINY, "--steps", "4", "--save-every", "2",
            "-q"]
    assert main(argv) == 0
    frames = sorted(p.name for p in tmp_path.glob("run_*.png"))
    assert frames == ["run_0002.png", "run_0004.png"]
    assert _pixels(tmp_path / "run_0004.png").shape == _pixels(out).shape


def test_progress_bar_and_ctrl_c_keeps_best_image(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A SIGINT during the run stops it; the best image so far is saved and the user told so."""
    original = ProgressBar.update

    def interrupt_at_step_2(self: ProgressBar, ev: ProgressEvent) -> None:
        original(self, ev)
        if ev.total_step == 2:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(ProgressBar, "update", interrupt_at_step_2)
    out = tmp_path / "stopped.png"
    rc = main(["render", str(CONTENT), str(STYLE), "-o", str(out), *TINY, "--steps", "50"])
    err = capsys.readouterr().err
    assert rc == 130
    assert out.is_file()
    assert "scale 1/1" in err and "/50" in err  # the progress bar was drawn
    assert "saved the best image so far" in err.splitlines()[-1]


@pytest.mark.parametrize(
    ("case", "expect"),
    [
        ("missing_file", "nothere.jpg"),
        ("text_file", "notes.txt"),
        ("bad_value", "Output size"),
        ("bad_choice", "colour"),
        ("unknown_preset", "nosuchpreset"),
        ("no_folder", "missing_dir"),
        ("bad_extension", ".gif"),
        ("weights_mismatch", "style-weights"),
        ("missing_weights", "nofile.pth"),
        ("output_is_folder", "taken.png"),
        pytest.param("read_only_folder", "permission denied", marks=pytest.mark.skipif(
            hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write anywhere")),
    ],
)
def test_bad_input_gives_one_clear_line(case: str, expect: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a picture")
    (tmp_path / "taken.png").mkdir()
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    out = str(tmp_path / "out.png")
    c, s = str(CONTENT), str(STYLE)
    argv = {
        "missing_file": ["render", str(tmp_path / "nothere.jpg"), s, "-o", out],
        "text_file": ["render", c, str(text), "-o", out],
        "bad_value": ["render", c, s, "-o", out, "--size", "5"],
        "bad_choice": ["render", c, s, "-o", out, "--colour", "purple"],
        "unknown_preset": ["render", c, s, "-o", out, "--preset", "nosuchpreset"],
        "no_folder": ["render", c, s, "-o", str(tmp_path / "missing_dir" / "out.png")],
        "bad_extension": ["render", c, s, "-o", str(tmp_path / "out.gif")],
        "weights_mismatch": ["render", c, s, "-o", out, "--style-weights", "1", "2"],
        "missing_weights": ["render", c, s, "-o", out, "--weights", str(tmp_path / "nofile.pth")],
        "output_is_folder": ["render", c, s, "-o", str(tmp_path / "taken.png")],
        "read_only_folder": ["render", c, s, "-o", str(locked / "out.png")],
    }[case]
    # Every case fails before the run; --steps 1 keeps a wrongly accepted one short anyway.
    rc = main([*argv, "--steps", "1", "--coarse-steps", "0", "-q"])
    line = _one_line(capsys.readouterr().err)
    assert rc != 0
    assert line.startswith("nst-desktop: error:")
    assert expect in line
    assert not (tmp_path / "out.png").exists() and not (locked / "out.png").exists()


def test_every_params_field_has_an_option() -> None:
    render = build_parser()._subparsers._group_actions[0].choices["render"]  # type: ignore[union-attr]
    options = {s for action in render._actions for s in action.option_strings}
    for f in param_fields():
        assert "--" + f.name.replace("_", "-") in options


def test_presets_version_and_weights_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets"]) == 0
    listed = capsys.readouterr().out
    assert "pastiche" in listed and "draft" in listed
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out
    assert main(["weights", "list"]) == 0
    listed = capsys.readouterr().out
    assert "caffe" in listed and "ready" in listed and "CC BY 4.0" in listed
    assert "torchvision" in listed and "not installed" in listed


def test_weights_import_of_a_non_weight_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bogus = tmp_path / "vgg19.pth"
    bogus.write_text("this is not a weight file")
    assert main(["weights", "import", str(bogus)]) == 1
    assert "vgg19.pth" in _one_line(capsys.readouterr().err)


def test_console_script_runs_a_render(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("nst-desktop")
    exe = str(script) if script.exists() else shutil.which("nst-desktop")
    assert exe, "the nst-desktop console script is not installed (pip install -e .)"
    out = tmp_path / "sub.png"
    proc = subprocess.run([exe, "render", str(CONTENT), str(STYLE), "-o", str(out), *TINY, "--size", "32",
                           "--min-size", "32"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert out.is_file() and "Saved" in proc.stderr
    bad = subprocess.run([exe, "render", "nothere.jpg", str(STYLE), "-o", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "nothere.jpg" in _one_line(bad.stderr)


# --- refused up front, in one line, before torch is imported (issue 8) ---------------------

REFUSED_BEFORE_TORCH = {
    "--learning-rate nan": ["--learning-rate", "nan"],
    "--style-scale nan": ["--style-scale", "nan"],
    "--scale-ratio nan": ["--scale-ratio", "nan"],
    "--content-weight nan": ["--content-weight", "nan"],
    "--style-weight inf": ["--style-weight", "inf"],
    "--tv-weight nan": ["--tv-weight", "nan"],
    "--style-layer-weights": ["--style-layer-weights", "1", "nan", "1", "1", "1"],
    "--content-layer-weights": ["--content-layer-weights", "nan"],
    "--content-layer-weights -1": ["--content-layer-weights", "-1"],
    "--style-layer-weights 1e30": ["--style-layer-weights", "1", "1e30", "1", "1"],
    "--style-weights nan": ["--style-weights", "nan"],
    "lbfgs with nan rate": ["--optimizer", "lbfgs", "--learning-rate", "nan"],
    "float16 on the cpu": ["--device", "cpu", "--precision", "float16"],
    "min-size above size": ["--size", "64", "--min-size", "128"],
}
EXPECTED_WORDS = {
    "--learning-rate nan": "Learning rate", "--style-scale nan": "Style scale",
    "--scale-ratio nan": "Scale ratio", "--content-weight nan": "Content weight",
    "--style-weight inf": "Style strength", "--tv-weight nan": "Smoothness",
    "--style-layer-weights": "Style layer weights", "--content-layer-weights": "Content layer weights",
    "--content-layer-weights -1": "Content layer weights must be between 0 and 1000",
    "--style-layer-weights 1e30": "Style layer weights must be between 0 and 1000",
    "--style-weights nan": "--style-weights", "lbfgs with nan rate": "Learning rate",
    "float16 on the cpu": "float16", "min-size above size": "--min-size",
}


def test_bad_values_and_files_are_refused_before_torch_is_imported(tmp_path: Path) -> None:
    """One fresh interpreter runs every refusal and reports whether torch got imported: a
    refusal after torch's import costs the user 2-5 s (and NaN weights used to cost a whole run)."""
    blocker = tmp_path / "afile"
    blocker.write_text("a file where a folder should be")
    out = str(tmp_path / "out.png")
    c, s = str(CONTENT), str(STYLE)
    cases = {name: ["render", c, s, "-o", out, *extra] for name, extra in REFUSED_BEFORE_TORCH.items()}
    cases["missing file"] = ["render", str(tmp_path / "nothere.jpg"), s, "-o", out]
    cases["not an image"] = ["render", c, str(blocker), "-o", out]
    cases["missing weights"] = ["render", c, s, "-o", out, "--weights", str(tmp_path / "no.pth")]
    cases["output under a file"] = ["render", c, s, "-o", str(blocker / "out.png")]
    report = run_fresh(cases, tmp_path / "home")
    assert report.pop("torch imported") is False
    words = {**EXPECTED_WORDS, "missing file": "nothere.jpg", "not an image": "afile",
             "missing weights": "no.pth", "output under a file": "afile is a file, not a folder"}
    for name, (rc, err) in report.items():
        assert rc == 1, (name, err)
        line = _one_line(err)
        assert line.startswith("nst-desktop: error:") and words[name] in line, (name, line)
    assert not (tmp_path / "out.png").exists()


def test_float16_is_refused_when_auto_resolves_to_the_cpu(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from nst_desktop.engine.model import devices

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(devices, "_mps_available", lambda: False)
    out = tmp_path / "out.png"
    rc = main(["render", str(CONTENT), str(STYLE), "-o", str(out), "--device", "auto",
               "--precision", "float16", "--size", "48", "--min-size", "48", "--steps", "1", "-q"])
    assert rc == 1 and "float16" in _one_line(capsys.readouterr().err)
    assert not out.exists()


def test_a_camera_sized_photo_is_decoded_only_as_large_as_the_run_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 48 MP photo for a 512 px painting used to be decoded whole (2.1 GB peak for a 64 px
    render); now the content reaches the engine at twice the output size at most (x8 JPEG
    scaling steps aside), never below the output size."""
    import nst_desktop.engine.run.stylize as stylize_module

    photo = tmp_path / "camera.jpg"
    y = np.linspace(0, 255, 1200, dtype=np.float32)[:, None]
    x = np.linspace(0, 255, 1600, dtype=np.float32)[None, :]
    Image.fromarray(np.dstack([np.broadcast_to(x, (1200, 1600)), np.broadcast_to(y, (1200, 1600)),
                               np.full((1200, 1600), 90.0, np.float32)]).astype(np.uint8)).save(photo)
    seen: dict[str, tuple[int, ...]] = {}
    real = stylize_module.stylize

    def spy(content: np.ndarray, styles: list, params: object, **kwargs: object) -> object:
        seen["content"] = content.shape
        seen["style"] = styles[0].image.shape
        return real(content, styles, params, **kwargs)

    monkeypatch.setattr(stylize_module, "stylize", spy)
    assert main(["render", str(photo), str(STYLE), "-o", str(tmp_path / "out.png"), *TINY, "--steps", "1",
                 "-q"]) == 0
    assert 48 <= max(seen["content"][:2]) <= 2 * 48 * 2  # not 1600
    assert max(seen["style"][:2]) < 1024 and min(seen["style"][:2]) >= 48  # the 1024 px style, reduced
    assert max(_pixels(tmp_path / "out.png").shape[:2]) == 48


def _big_photo(path: Path) -> Path:
    """640x480: more than 4x a 48 px render, so the CLI decodes it reduced."""
    with Image.open(CONTENT) as im:
        im.convert("RGB").resize((640, 480)).save(path, quality=95)
    return path


def test_reduced_decoding_still_repeats_renders_bit_exactly(tmp_path: Path) -> None:
    """The engine must get the very pixels the recorded run got: a CLI render records how it
    decoded its inputs; an app render (decoded whole, no such note) is replayed decoded whole."""
    from nst_desktop.engine.run.stylize import stylize
    from nst_desktop.engine.spec.events import StyleInput
    from nst_desktop.engine.spec.params import Params
    from nst_desktop.io.images import load_image, save_image
    from nst_desktop.io.metadata import run_metadata

    photo = _big_photo(tmp_path / "big.jpg")
    first, again = tmp_path / "cli.png", tmp_path / "cli_again.png"
    assert main(["render", str(photo), str(STYLE), "-o", str(first), *TINY, "--seed", "3", "-q"]) == 0
    assert read_metadata(first)["decoded"]["content"] == 96
    assert main(["render", "--params", str(first), "-o", str(again), "-q"]) == 0
    assert np.array_equal(_pixels(first), _pixels(again))
    # As the app does it: whole images into the engine, no "decoded" note in the record.
    params = Params(size=48, min_size=48, steps=3, device="cpu", precision="float32", seed=3)
    result = stylize(load_image(photo), [StyleInput(load_image(STYLE))], params)
    app_made, replayed = tmp_path / "app.png", tmp_path / "app_again.png"
    save_image(result.image, app_made, run_metadata(result, photo, [STYLE]))
    assert main(["render", "--params", str(app_made), "-o", str(replayed), "-q"]) == 0
    assert np.array_equal(_pixels(app_made), _pixels(replayed))
