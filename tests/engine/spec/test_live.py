"""Live edits during a run, their replay, and continuing from a picture (promote)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nst_desktop.engine.losses import colour
from nst_desktop.engine.run import stylize as stylize_module
from nst_desktop.engine.run.stylize import resize, stylize, to_array
from nst_desktop.engine.spec.control import RunControl
from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.events import ProgressEvent, StyleInput
from nst_desktop.engine.spec.live import Edit, EditQueue, check_changes, edits_from_list, replay
from nst_desktop.engine.spec.params import Params
from tests.engine.conftest import keep_steps

TINY = Params(size=48, min_size=32, steps=6, coarse_steps=3, device="cpu")


def _edit_at(step: int, changes: dict[str, object], control: RunControl, events: list[ProgressEvent]):
    """A callback that records events and submits ``changes`` after step ``step``."""
    def callback(event: ProgressEvent) -> None:
        if not event.is_step:
            return
        events.append(event)
        if event.total_step == step:
            control.edit(changes)
    return callback


def test_losses_change_after_the_edit_step_and_not_before(photo, painting) -> None:
    baseline: list[ProgressEvent] = []
    stylize(photo, [StyleInput(painting)], TINY, callback=keep_steps(baseline))
    control, events = RunControl(), []
    tenfold = 10.0 * TINY.style_weight
    result = stylize(photo, [StyleInput(painting)], TINY, control=control,
                     callback=_edit_at(4, {"style_weight": tenfold}, control, events))
    for before, after in zip(baseline[:4], events[:4], strict=True):
        assert before.losses == after.losses and after.edit is None
    assert events[4].edit == {"style_weight": tenfold}
    # The style term is weighted 10x from step 5 on: far above the unedited run's.
    assert events[4].losses["style"] > 5 * baseline[4].losses["style"]
    assert result.edits == (Edit(4, {"style_weight": tenfold}),)
    assert result.params == TINY  # the recorded params are the start; the edits say the rest


def test_recorded_edits_replay_to_the_same_picture(photo, painting, scream) -> None:
    styles = [StyleInput(painting, 1.0), StyleInput(scream, 1.0)]
    control, events = RunControl(), []
    changes = {"style_scale": 0.6, "style_blend": [1.0, 3.0], "tv_weight": 3.0}
    live = stylize(photo, styles, TINY, control=control, callback=_edit_at(5, changes, control, events))
    again = stylize(photo, styles, TINY, edits=live.edits)
    plain = stylize(photo, styles, TINY)
    assert again.edits == live.edits
    assert np.array_equal(again.image, live.image)
    assert not np.array_equal(plain.image, live.image)


@pytest.mark.parametrize("changes", [{"style_scale": 2.0}, {"style_blend": [0.0, 1.0]}])
def test_retargeting_edits_change_the_style_term(photo, painting, scream, changes) -> None:
    styles = [StyleInput(painting, 1.0), StyleInput(scream, 0.0001)]
    baseline: list[ProgressEvent] = []
    stylize(photo, styles, TINY, callback=keep_steps(baseline))
    control, events = RunControl(), []
    stylize(photo, styles, TINY, control=control, callback=_edit_at(4, changes, control, events))
    ratio = events[4].losses["style"] / baseline[4].losses["style"]
    assert abs(ratio - 1.0) > 0.1  # other Gram targets: the style error jumps (without: exactly 1)


def _counting_target_builds(monkeypatch: pytest.MonkeyPatch, during_build=None) -> list[int]:  # noqa: ANN001
    """Records the steps done at each build of the targets; ``during_build(n)`` runs inside the n-th."""
    builds: list[int] = []
    build = stylize_module._Painter._targets

    def counting(self):  # noqa: ANN001, ANN202
        builds.append(self.state.total_step)
        if during_build is not None:
            during_build(len(builds))
        return build(self)

    monkeypatch.setattr(stylize_module._Painter, "_targets", counting)
    return builds


def test_a_style_scale_edit_says_it_prepares_the_styles_first(photo, painting, monkeypatch) -> None:
    """Issue 16.7: re-targeting mid-scale is as slow as a set-up, and is announced the same way."""
    builds = _counting_target_builds(monkeypatch)
    control, events = RunControl(), []

    def callback(event: ProgressEvent) -> None:
        events.append(event)
        if event.is_step and event.total_step == 5:
            control.edit({"style_scale": 2.0})

    result = stylize(photo, [StyleInput(painting)], TINY, control=control, callback=callback)
    assert builds == [0, 3, 5]  # each scale once, and once for the edit
    preparing = [(e.scale_index, e.step, e.total_step) for e in events if not e.is_step]
    assert preparing == [(0, 0, 0), (1, 0, 3), (1, 2, 5)]
    after = events.index(next(e for e in events if e.edit))
    assert not events[after - 1].is_step and events[after].total_step == 6
    assert result.edits == (Edit(5, {"style_scale": 2.0}),)


def test_an_edit_sent_at_a_scales_end_builds_the_next_targets_once(photo, painting, monkeypatch) -> None:
    """Issue 16.7: the edit lands before the next scale's targets are built, with them: taken
    only at that scale's first step, the minute-long set-up was paid twice."""
    builds = _counting_target_builds(monkeypatch)
    control, events = RunControl(), []
    changes = {"style_scale": 1.5}
    result = stylize(photo, [StyleInput(painting)], TINY, control=control,
                     callback=_edit_at(3, changes, control, events))  # 3: the first scale's last step
    assert builds == [0, 3]
    assert events[3].edit == changes and events[3].step == 1 and events[3].scale_index == 1
    assert result.edits == (Edit(3, changes),)
    replayed = stylize(photo, [StyleInput(painting)], TINY, edits=result.edits)
    assert np.array_equal(replayed.image, result.image)


def test_an_edit_sent_during_a_slow_set_up_lands_at_the_next_step(photo, painting, monkeypatch) -> None:
    """Issue 16.7: not at the scale after (the set-up is one of the first steps' costs)."""
    control, events = RunControl(), []
    changes = {"style_weight": 3.0 * TINY.style_weight}
    _counting_target_builds(monkeypatch, lambda n: control.edit(changes) if n == 2 else None)
    result = stylize(photo, [StyleInput(painting)], TINY, control=control, callback=keep_steps(events))
    assert result.edits == (Edit(3, changes),)
    assert [e.total_step for e in events if e.edit] == [4]  # the second scale's first step


def test_colour_edit_to_luminance_gives_the_photos_chroma(photo, painting) -> None:
    control, events = RunControl(), []
    result = stylize(photo, [StyleInput(painting)], TINY, control=control,
                     callback=_edit_at(2, {"colour": "luminance"}, control, events))
    out = torch.from_numpy(result.image).permute(2, 0, 1)[None]
    photo_small = resize(torch.from_numpy(photo).permute(2, 0, 1)[None], out.shape[-2:])
    chroma_out = colour.rgb_to_yiq(out)[:, 1:]
    chroma_photo = colour.rgb_to_yiq(photo_small)[:, 1:]
    assert (chroma_out - chroma_photo).abs().mean() < 0.01


def test_colour_edit_away_from_luminance_keeps_painting(photo, painting) -> None:
    control, events = RunControl(), []
    params = TINY.with_changes(colour="luminance")
    result = stylize(photo, [StyleInput(painting)], params, control=control,
                     callback=_edit_at(4, {"colour": "style"}, control, events))
    assert result.edits[0].changes == {"colour": "style"}
    # The optimiser left the grey luminance image: the result has colour of its own.
    assert result.image.std(axis=2).mean() > 0.01


def test_an_invalid_edit_is_ignored_and_the_run_goes_on(photo, painting) -> None:
    control, events = RunControl(), []
    result = stylize(photo, [StyleInput(painting)], TINY, control=control,
                     callback=_edit_at(2, {"size": 512}, control, events))
    assert not result.stopped and result.steps_done == 9 and result.edits == ()


def test_promote_skips_the_scales_of_the_start_picture(photo, painting) -> None:
    quick = stylize(photo, [StyleInput(painting)], TINY.with_changes(size=32))
    events: list[ProgressEvent] = []
    promoted = stylize(photo, [StyleInput(painting)], TINY, start_from=quick.image,
                       callback=keep_steps(events))
    assert {e.width for e in events} == {48}  # the 32 px scale is not paid again
    assert promoted.steps_done == TINY.steps and promoted.start_size == 32
    assert promoted.image.shape == (36, 48, 3)


def test_promote_starts_from_the_pictures_pixels(photo, painting) -> None:
    start = np.random.default_rng(1).random((24, 32, 3), dtype=np.float32)
    control = RunControl()
    control.stop()  # stop before the first step: the result is the start of the first scale
    result = stylize(photo, [StyleInput(painting)], TINY, start_from=start, control=control)
    expected = to_array(resize(torch.from_numpy(start).permute(2, 0, 1)[None], (36, 48)))
    assert np.allclose(result.image, expected, atol=1e-6)


def test_check_changes_refuses_what_a_run_cannot_change() -> None:
    with pytest.raises(ParamsError, match="cannot change"):
        check_changes(TINY, {"size": 64}, 1)
    with pytest.raises(ParamsError, match="one blend weight per style"):
        check_changes(TINY, {"style_blend": [1.0, 2.0]}, 1)
    with pytest.raises(ParamsError):
        check_changes(TINY, {"style_weight": -1.0}, 1)
    params, blend = check_changes(TINY, {"style_weight": 2.0, "style_blend": [1, 3]}, 2)
    assert params.style_weight == 2.0 and blend == (1.0, 3.0)


def test_replay_gives_the_final_recipe_and_edits_round_trip() -> None:
    edits = (Edit(3, {"style_weight": 2.0}), Edit(7, {"style_blend": [1.0, 0.0], "style_weight": 4.0}))
    params, blend = replay(TINY, (1.0, 1.0), edits)
    assert params.style_weight == 4.0 and blend == (1.0, 0.0)
    assert edits_from_list([e.to_dict() for e in reversed(edits)]) == edits
    with pytest.raises(ParamsError):
        edits_from_list([{"step": -1, "changes": {}}])


def test_edit_queue_merges_changes_between_steps() -> None:
    queue = EditQueue()
    queue.submit({"style_weight": 2.0})
    queue.submit({"style_weight": 3.0, "tv_weight": 0.5})
    assert queue.take() == {"style_weight": 3.0, "tv_weight": 0.5}
    assert queue.take() == {}
