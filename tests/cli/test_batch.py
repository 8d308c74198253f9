"""``nst-desktop batch``: photos x styles through the queue, the summary and exit status, a
rerun that skips what is painted and goes on with the rest, bad input, Ctrl-C."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from nst_desktop.cli import build_parser, main
from nst_desktop.cli.batch import cmd_batch
from nst_desktop.io.images import read_metadata
from nst_desktop.io.library import Library
from nst_desktop.queue.store import Place, QueueStore, Status
from tests.queue.conftest import Killed, ScaleFake, draw

SMALL = ["--size", "64", "--min-size", "32", "--scale-ratio", "2", "--steps", "3", "--coarse-steps", "2",
         "--device", "cpu"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Two photos in a folder, two styles beside it."""
    photos = tmp_path / "photos"
    photos.mkdir()
    draw(photos / "river.png", 1)
    draw(photos / "tower.png", 4)
    draw(tmp_path / "wave.png", 2)
    draw(tmp_path / "dots.png", 3)
    return tmp_path


def batch(folder: Path, fake: Any, *more: str) -> int:
    argv = ["batch", str(folder / "photos"), "--styles", str(folder / "wave.png"), str(folder / "dots.png"),
            "-o", str(folder / "out"), "-q", *SMALL, *more]
    return cmd_batch(build_parser().parse_args(argv), stylize_fn=fake)


def pictures(folder: Path) -> list[str]:
    return sorted(p.name for p in (folder / "out").iterdir() if not p.name.startswith("."))


def test_a_batch_paints_photos_times_styles(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake = ScaleFake()
    assert batch(folder, fake) == 0
    assert pictures(folder) == ["river_dots_2.png", "river_wave_1.png", "tower_dots_4.png",
                                "tower_wave_3.png"]
    table = capsys.readouterr().out
    assert table.splitlines()[0].split() == ["file", "status", "why"]
    assert table.splitlines()[-1] == "4 done" and table.count("  done") == 4
    assert len(Library().entries()) == 4  # the window's history shows them too
    record = read_metadata(folder / "out" / "tower_dots_4.png")
    assert record is not None and record["inputs"]["styles"] == [str(folder / "dots.png")]


def test_a_rerun_skips_what_is_painted(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert batch(folder, ScaleFake()) == 0
    capsys.readouterr()
    again = ScaleFake()
    assert batch(folder, again) == 0
    assert again.calls == [] and "4 skipped" in capsys.readouterr().out
    changed = ScaleFake()  # another setting is another recipe: painted, beside the first pictures
    assert batch(folder, changed, "--style-weight", "20") == 0
    assert len(changed.calls) == 4 and len(pictures(folder)) == 8


def test_a_killed_batch_goes_on_where_it_was(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    killer = ScaleFake(kill_after_scale=0)
    with pytest.raises(Killed):  # SIGKILL during the first job's second scale
        batch(folder, killer)
    fake = ScaleFake()
    assert batch(folder, fake) == 0
    assert fake.calls[0]["start_from"] is not None and fake.calls[0]["start_from"].shape == (24, 32, 3)
    assert len(fake.calls) == 4 and len(pictures(folder)) == 4
    assert len(Library().entries()) == 4


def test_bad_input_fails_its_jobs_and_the_batch_goes_on(folder: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "photos" / "broken.jpg").write_bytes(b"\xff\xd8\xff not really")
    argv = ["batch", str(folder / "photos"), "--styles", str(folder / "wave.png"), str(folder / "gone.png"),
            "-o", str(folder / "out"), "-q", *SMALL]
    fake = ScaleFake()
    assert cmd_batch(build_parser().parse_args(argv), stylize_fn=fake) == 1
    out = capsys.readouterr().out
    assert "2 done" in out and "4 failed" in out
    failed = [line for line in out.splitlines() if " failed " in line]
    assert all("broken.jpg" in line or "gone.png" in line for line in failed)
    assert pictures(folder) == ["river_wave_3.png", "tower_wave_5.png"]  # broken.jpg sorts first


def test_ctrl_c_stops_after_the_step_keeping_the_picture(folder: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    class Interrupting(ScaleFake):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            callback = kwargs["callback"]

            def ctrl_c(event: Any) -> None:
                callback(event)
                if event.step == 1 and event.scale_index == 1:
                    os.kill(os.getpid(), signal.SIGINT)

            return super().__call__(*args, **{**kwargs, "callback": ctrl_c})

    assert batch(folder, Interrupting()) == 130
    captured = capsys.readouterr()
    assert "stopped" in captured.out and "run the same command again" in captured.err
    assert pictures(folder) == []
    fake = ScaleFake()
    assert batch(folder, fake) == 0
    assert fake.calls[0]["start_from"] is not None and len(pictures(folder)) == 4


def test_a_second_ctrl_c_aborts_at_once(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    class Interrupting(ScaleFake):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            callback = kwargs["callback"]

            def ctrl_c_twice(event: Any) -> None:
                callback(event)
                if event.step == 1 and event.scale_index == 1:  # scale 1's picture is the checkpoint
                    os.kill(os.getpid(), signal.SIGINT)
                    os.kill(os.getpid(), signal.SIGINT)

            return super().__call__(*args, **{**kwargs, "callback": ctrl_c_twice})

    assert batch(folder, Interrupting()) == 130
    assert "aborted" in capsys.readouterr().err and pictures(folder) == []
    fake = ScaleFake()
    assert batch(folder, fake) == 0
    assert fake.calls[0]["start_from"].shape == (24, 32, 3)  # from the last finished scale
    assert len(pictures(folder)) == 4 and len(Library().entries()) == 4


def test_sweep_and_names(folder: Path) -> None:
    argv = ["batch", str(folder / "photos" / "river.png"), "--styles", str(folder / "wave.png"),
            "--sweep", "style-weight=4,16", "--name", "{photo}-{setting}-{value}.jpg",
            "-o", str(folder / "out"), "-q", *SMALL]
    fake = ScaleFake()
    assert cmd_batch(build_parser().parse_args(argv), stylize_fn=fake) == 0
    assert [c["params"].style_weight for c in fake.calls] == [4.0, 16.0]
    assert pictures(folder) == ["river-style-weight-16.jpg", "river-style-weight-16.jpg.json",
                                "river-style-weight-4.jpg", "river-style-weight-4.jpg.json"]


@pytest.mark.parametrize(("more", "says"), [
    (["--name", "same.png"], "names jobs 1 and 2 both 'same.png'"),
    (["--name", "{colour}.png"], "unknown field {colour}"),
    (["--sweep", "nothing=1,2"], "--sweep 'nothing=1,2'"),
    (["--sweep", "style-weight=-3"], "--sweep"),
])
def test_bad_options_are_one_line(folder: Path, capsys: pytest.CaptureFixture[str], more: list[str],
                                  says: str) -> None:
    argv = ["batch", str(folder / "photos"), "--styles", str(folder / "wave.png"), "-o", str(folder / "out"),
            *more]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1
    assert QueueStore().jobs() == []  # refused before anything was queued


def test_queue_commands_share_the_queue(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from nst_desktop.cli.queue_cmd import cmd_run

    argv = ["queue", "add", str(folder / "photos"), "--styles", str(folder / "wave.png"), "-o",
            str(folder / "out"), *SMALL]
    assert main(argv) == 0
    assert main(["queue", "cancel", "1"]) == 0
    assert main(["queue", "list"]) == 0
    listing = capsys.readouterr().out
    assert "cancelled" in listing and "waiting" in listing
    assert main(["queue", "retry", "--all"]) == 0  # only failed ones: the cancelled stays
    assert main(["queue", "retry", "1"]) == 0
    fake = ScaleFake()
    assert cmd_run(build_parser().parse_args(["queue", "run", "-q"]), stylize_fn=fake) == 0
    assert len(fake.calls) == 2 and [j.status for j in QueueStore().jobs()] == [Status.DONE, Status.DONE]
    assert main(["queue", "clear"]) == 0 and QueueStore().jobs() == []
    assert main(["queue", "cancel", "7"]) == 2  # no such job: a usage error, one line


def test_queue_run_paints_this_computers_jobs_and_leaves_the_farms(folder: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from nst_desktop.cli.queue_cmd import cmd_run

    argv = ["queue", "add", str(folder / "photos"), "--styles", str(folder / "wave.png"), "-o",
            str(folder / "out"), *SMALL]
    assert main(argv) == 0
    store = QueueStore()
    first, second = store.jobs()
    store.set_place([second.id], Place.FARM)  # as the window's "Run on the farm"
    capsys.readouterr()
    assert main(["queue", "list"]) == 0
    assert [line.endswith("on the farm") for line in capsys.readouterr().out.splitlines()] == [False, True]
    fake = ScaleFake()
    assert cmd_run(build_parser().parse_args(["queue", "run", "-q"]), stylize_fn=fake) == 0
    assert len(fake.calls) == 1
    assert [(j.status, j.place) for j in store.jobs()] == [(Status.DONE, Place.LOCAL),
                                                           (Status.WAITING, Place.FARM)]


@pytest.mark.slow
def test_a_real_batch_paints_and_a_rerun_skips(small_inputs: tuple[Path, Path], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The real engine, tiny: two looks of one photo (the model loaded once), then a rerun."""
    photo, style = small_inputs
    argv = ["batch", str(photo), "--styles", str(style), "--sweep", "style-weight=4,16", "--name",
            "{photo}_{value}.png", "-o", str(tmp_path / "out"), "--size", "48", "--min-size", "48",
            "--steps", "3", "--device", "cpu", "-q"]
    assert main(argv) == 0
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["photo_16.png", "photo_4.png"]
    first = (tmp_path / "out" / "photo_4.png").read_bytes()
    assert first != (tmp_path / "out" / "photo_16.png").read_bytes()
    capsys.readouterr()
    assert main(argv) == 0
    assert "2 skipped" in capsys.readouterr().out
    assert (tmp_path / "out" / "photo_4.png").read_bytes() == first


def test_params_of_an_earlier_picture(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert batch(folder, ScaleFake(), "--style-weight", "20", "--seed", "7") == 0
    earlier = folder / "out" / "river_wave_1.png"
    argv = ["batch", str(folder / "photos" / "tower.png"), "--styles", str(folder / "dots.png"), "--params",
            str(earlier), "--seed", "9", "-o", str(folder / "again"), "-q"]
    fake = ScaleFake()
    assert cmd_batch(build_parser().parse_args(argv), stylize_fn=fake) == 0
    params = fake.calls[0]["params"]
    assert (params.style_weight, params.seed, params.size) == (20.0, 9, 64)  # the record's, an option over it


def test_farm_jobs_ending_out_of_order_keep_their_numbers_lines_and_table_order(
        folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from nst_desktop.cli.batch import outcome_rows, run_jobs
    from nst_desktop.engine.spec.params import DEFAULTS
    from nst_desktop.farm.batch import FarmRender
    from nst_desktop.queue.store import Output
    from nst_desktop.recipe.recipe import Recipe, StyleRef
    from tests.gui.farm_fakes import FakeFarm

    monkeypatch.setenv("NST_DESKTOP_HOME", str(folder / "home"))
    store = QueueStore()
    look = (StyleRef(str(folder / "wave.png")),)
    params = DEFAULTS.with_changes(size=64, min_size=32, scale_ratio=2.0, coarse_steps=2, device="cpu")
    photo = str(folder / "photos" / "river.png")
    out = str(folder / "out")
    slow, quick = (store.add(Recipe(photo, look, params.with_changes(steps=steps)), Output(out, name),
                             place=Place.FARM) for steps, name in ((12, "slow.png"), (3, "quick.png")))
    farm = FakeFarm(ScaleFake(step_s=0.05))  # paints 2 at once
    stream = io.StringIO()
    summary, aborted = run_jobs(store, [slow.id, quick.id], False, stream, render_fn=FarmRender(farm))
    assert farm.most_at_once == 2 and not aborted
    assert farm.spans[quick.uid][1] < farm.spans[slow.uid][1]  # the second job ended first
    assert [row[:2] for row in outcome_rows(summary, [])] == [("slow.png", "done"), ("quick.png", "done")]
    lines = stream.getvalue().splitlines()
    # Each job its own line and number, however their lines interleave: n is the batch's 2.
    assert any(line.startswith("job 1 of 2 slow.png") for line in lines)
    assert any(line.startswith("job 2 of 2 quick.png") for line in lines)
    assert all(line.startswith(("job 1 of 2 slow.png", "job 2 of 2 quick.png")) for line in lines if line)
