"""Live edits during a run, quick look and promote, through the main window (fake engine)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from nst_desktop.engine.spec.events import ProgressEvent
from nst_desktop.engine.spec.live import BLEND
from nst_desktop.engine.spec.presets import QUICK_LOOK_SIZE
from nst_desktop.gui.loaded_image import LoadedImage
from nst_desktop.gui.main_window import MainWindow
from nst_desktop.io.images import save_image
from tests.gui.conftest import WindowFactory
from tests.gui.fakes import FakeStylize
from tests.gui.parts import PARAMS as PARTS_PARAMS
from tests.gui.parts import Parts, stop_and_wait, wait_for_steps


def _slow_window(make_window: WindowFactory, steps: int = 400) -> tuple[MainWindow, FakeStylize]:
    fake = FakeStylize(step_s=0.01)
    window = make_window(stylize_fn=fake)
    window.params_panel.update_fields(size=512, steps=steps, min_size=128, coarse_steps=10)
    return window, fake


def _until_done(qtbot: QtBot, window: MainWindow, start: Callable[[], bool]) -> None:
    """Start a run and wait until the GUI thread has taken its outcome (queued slots ran)."""
    with qtbot.waitSignal(window.runner.worker.done, timeout=20_000):
        assert start()
    qtbot.waitUntil(lambda: not window.runner.running, timeout=5000)


def _stop_and_wait(qtbot: QtBot, window: MainWindow) -> None:
    _until_done(qtbot, window, lambda: window.runs.stop() is None)


def _wait_for_steps(qtbot: QtBot, window: MainWindow, steps: int = 3) -> None:
    seen: list[int] = []
    window.runner.worker.progressed.connect(lambda e: seen.append(e.total_step))
    qtbot.waitUntil(lambda: len(seen) >= steps, timeout=10_000)


def test_a_look_change_during_a_run_reaches_the_engine(qtbot: QtBot, make_window: WindowFactory) -> None:
    window, fake = _slow_window(make_window)
    assert window.runs.start()
    _wait_for_steps(qtbot, window)
    window.params_panel.update_fields(style_weight=5.0)
    qtbot.waitUntil(lambda: bool(window.run_panel.plot.markers()), timeout=10_000)
    _stop_and_wait(qtbot, window)
    assert [e.changes for e in window.session.result.edits] == [{"style_weight": 5.0}]
    assert window.session.metadata["edits"][0]["changes"] == {"style_weight": 5.0}
    assert "Style strength 5" in window.run_panel.plot.markers()[0][1]
    assert len(fake.calls) == 1  # no restart: the same run took the change


def test_a_size_change_during_a_run_waits_for_the_next_run(qtbot: QtBot, make_window: WindowFactory) -> None:
    window, fake = _slow_window(make_window)
    assert window.runs.start()
    _wait_for_steps(qtbot, window)
    window.params_panel.update_fields(size=256)
    assert "next run" in window.statusBar().currentMessage()
    _stop_and_wait(qtbot, window)
    assert window.session.result.edits == ()


def test_a_blend_change_during_a_run_is_a_live_edit(qtbot: QtBot, make_window: WindowFactory) -> None:
    window, fake = _slow_window(make_window)
    first = window.inputs.styles()[0].loaded
    window.inputs.add_style(first, 1.0)
    assert window.runs.start()
    _wait_for_steps(qtbot, window)
    window.inputs.set_style_weight(1, 3.0)
    qtbot.waitUntil(lambda: bool(window.run_panel.plot.markers()), timeout=10_000)
    _stop_and_wait(qtbot, window)
    assert window.session.result.edits[0].changes == {BLEND: [1.0, 3.0]}


def test_quick_look_then_promote_goes_on_from_its_pixels(qtbot: QtBot, make_window: WindowFactory,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from nst_desktop.gui import run_request
    from nst_desktop.recipe.jobs import job_for

    kinds: list[tuple[Any, Any]] = []  # issue 17.1: each run's Job made by job_for, promote from a Picture

    def spy(recipe: Any, kind: Any, from_picture: Any = None, **kw: Any) -> Any:
        kinds.append((kind, from_picture))
        return job_for(recipe, kind, from_picture, **kw)

    monkeypatch.setattr(run_request, "job_for", spy)
    fake = FakeStylize()
    window = make_window(stylize_fn=fake)
    window.params_panel.update_fields(size=512, steps=30)
    assert not window.run_panel.promote_button.isEnabled()
    _until_done(qtbot, window, window.tweaks.start_quick_look)
    quick = fake.calls[-1]["params"]
    assert quick.size == QUICK_LOOK_SIZE and quick.steps <= 40 and quick.min_size == 128
    assert "Quick look finished" in window.run_panel.status_label.text()
    qtbot.waitUntil(window.run_panel.promote_button.isEnabled, timeout=2000)
    preview = window.session.result_image.copy()
    quick_picture = window.document.picture
    _until_done(qtbot, window, window.tweaks.promote)
    assert [kind for kind, _ in kinds] == ["quick", "promote"]
    assert kinds[1][1] is not None and kinds[1][1].image is quick_picture.image
    call = fake.calls[-1]
    assert np.array_equal(call["start_from"], preview)
    assert call["params"].size == 512 and call["params"].steps == 30
    record = window.session.metadata
    assert record["continued_from"]["params"]["size"] == QUICK_LOOK_SIZE


def _other_photo(tmp_path: Path) -> Path:
    path = tmp_path / "portrait.png"
    save_image(np.random.default_rng(3).random((40, 30, 3), dtype=np.float32), path, None)
    return path


def test_a_picture_of_another_photo_is_not_promoted(qtbot: QtBot, make_window: WindowFactory,
                                                    tmp_path: Path) -> None:
    """Quick look on one photo, open another: Render full size must not paint over it."""
    fake = FakeStylize()
    window = make_window(stylize_fn=fake)
    window.params_panel.update_fields(size=512, steps=30)
    first = window.inputs.content()
    assert first is not None and first.path is not None
    _until_done(qtbot, window, window.tweaks.start_quick_look)
    assert window.run_panel.promote_button.isEnabled() and window.menu_actions.promote.isEnabled()
    assert window.inputs.load_content_file(_other_photo(tmp_path))
    action, button = window.menu_actions.promote, window.run_panel.promote_button
    assert not action.isEnabled() and not button.isEnabled()
    assert "another photo" in action.toolTip() and "another photo" in button.toolTip()
    calls = len(fake.calls)
    modifiers = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    QTest.keyClick(window, Qt.Key.Key_F, modifiers)  # the shortcut does nothing either
    assert not window.tweaks.promote() and not window.runner.running
    assert len(fake.calls) == calls  # nothing painted over the second photo
    assert window.inputs.load_content_file(first.path)  # the same file again: its picture goes on
    assert action.isEnabled() and button.isEnabled()
    _until_done(qtbot, window, window.tweaks.promote)
    assert fake.calls[-1]["start_from"] is not None and len(fake.calls) == calls + 1


def test_a_quick_look_of_the_photo_before_promises_no_full_size(qtbot: QtBot, make_window: WindowFactory,
                                                                tmp_path: Path) -> None:
    """A photo opened during a quick look: its end must not say Render full size goes on from it."""
    fake = FakeStylize(step_s=0.05)
    window = make_window(stylize_fn=fake)
    window.params_panel.update_fields(size=512, steps=30)
    with qtbot.waitSignal(window.runner.worker.done, timeout=20_000):
        assert window.tweaks.start_quick_look()
        assert window.inputs.load_content_file(_other_photo(tmp_path))
    qtbot.waitUntil(lambda: not window.runner.running, timeout=5000)
    assert "of the photo before" in window.run_panel.status_label.text()
    assert not window.menu_actions.promote.isEnabled()


def test_a_pasted_photo_is_known_by_its_pixels(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    window.params_panel.update_fields(size=512, steps=30)
    pasted = LoadedImage(np.full((36, 48, 3), 0.5, np.float32), None, "Pasted image")
    window.inputs.set_content(pasted)
    _until_done(qtbot, window, window.tweaks.start_quick_look)
    assert window.tweaks.can_promote()
    window.inputs.set_content(LoadedImage(pasted.image.copy(), None, "Pasted image"))  # another paste
    assert not window.tweaks.can_promote()
    window.inputs.set_content(pasted)  # undo brings the first one back
    assert window.tweaks.can_promote()


def test_a_history_picture_of_the_photo_on_screen_can_be_promoted(qtbot: QtBot, make_window: WindowFactory,
                                                                   tmp_path: Path) -> None:
    window = make_window()
    window.params_panel.update_fields(size=512, steps=30)
    _until_done(qtbot, window, window.tweaks.start_quick_look)
    history = window.session.history
    qtbot.waitUntil(lambda: history.list.count() == 1, timeout=10_000)
    assert window.inputs.load_content_file(_other_photo(tmp_path))
    assert not window.tweaks.can_promote()
    history.entryActivated.emit(history.entries()[0])  # its photo is not the one on screen
    assert not window.run_panel.promote_button.isEnabled()
    window.params_panel.update_fields(size=48, min_size=48, steps=3, coarse_steps=0)
    _until_done(qtbot, window, window.runs.start)  # a picture of this photo, at 32 px (the fake's size)
    qtbot.waitUntil(lambda: history.list.count() == 2, timeout=10_000)
    newer, older = history.entries()
    history.entryActivated.emit(older)
    assert not window.run_panel.promote_button.isEnabled()
    history.entryActivated.emit(newer)
    assert window.run_panel.promote_button.isEnabled()


def test_a_finished_full_size_picture_cannot_be_promoted(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    window.params_panel.update_fields(size=32, min_size=32, steps=3, coarse_steps=0)  # the fake paints 32 px
    _until_done(qtbot, window, window.runs.start)
    assert not window.tweaks.can_promote() and not window.run_panel.promote_button.isEnabled()
    window.params_panel.update_fields(size=64)  # a bigger output: now it can go on
    assert window.tweaks.can_promote() and window.run_panel.promote_button.isEnabled()


def test_a_chosen_variation_sets_the_look_and_can_be_promoted(qtbot: QtBot,
                                                              make_window: WindowFactory) -> None:
    fake = FakeStylize()
    window = make_window(stylize_fn=fake)
    window.params_panel.update_fields(size=512, style_weight=1.0)
    window.tweaks.open_variations("style_weight")
    dialog = window.tweaks.variations_dialog
    assert dialog is not None and not window.run_panel.start_button.isEnabled()
    qtbot.waitUntil(lambda: all(cell.has_picture for cell in dialog.cells) and not dialog.running,
                    timeout=20_000)
    assert all(call["params"].size == 192 for call in fake.calls)  # quick looks at the variation size
    chosen = dialog.cells[3].variation
    dialog.cells[3].clicked.emit()
    qtbot.waitUntil(lambda: window.tweaks.variations_dialog is None, timeout=5000)
    assert window.params_panel.params().style_weight == chosen.params.style_weight != 1.0
    assert window.params_panel.params().size == 512  # the full-size settings, not the quick look's
    assert window.session.result_image is not None and window.run_panel.start_button.isEnabled()
    assert window.tweaks.can_promote()


def test_restore_brings_back_the_look_after_live_edits(qtbot: QtBot, make_window: WindowFactory) -> None:
    window, fake = _slow_window(make_window)
    window.inputs.add_style(window.inputs.styles()[0].loaded, 1.0)
    assert window.runs.start()
    _wait_for_steps(qtbot, window)
    window.params_panel.update_fields(style_weight=7.0)
    window.inputs.set_style_weight(0, 2.0)
    marks = window.run_panel.plot.markers
    qtbot.waitUntil(lambda: any("Blend" in text for _, text in marks())
                    and any("Style strength" in text for _, text in marks()), timeout=10_000)
    _stop_and_wait(qtbot, window)
    qtbot.waitUntil(lambda: window.session.history.list.count() >= 1, timeout=10_000)
    entry = window.session.history.entries()[0]
    from nst_desktop.engine.spec.params import DEFAULTS

    assert entry.metadata["params"]["style_weight"] == DEFAULTS.style_weight  # the start; edits say the rest
    window.params_panel.update_fields(style_weight=0.5)
    window.inputs.set_style_weight(0, 1.0)
    window.session.history.select_ids(entry.id)
    window.session.history.restore_button.click()
    assert window.params_panel.params().style_weight == 7.0
    assert [s.weight for s in window.inputs.styles()] == [2.0, 1.0]


def test_a_quick_look_of_a_panorama_strip_is_just_large_enough_to_paint(qtbot: QtBot,
                                                                         make_window: WindowFactory) -> None:
    """At 256 px a 4000x20 strip is 1 px high, which VGG19 cannot take (issue 16.12): the quick
    look goes up to the smallest size that paints, never beyond the output size."""
    from nst_desktop.engine.spec.schedule import check_shape
    from nst_desktop.gui.loaded_image import LoadedImage

    fake = FakeStylize()
    window = make_window(stylize_fn=fake)
    strip = np.random.default_rng(0).random((20, 4000, 3), dtype=np.float32)
    window.inputs.set_content(LoadedImage(strip, None, "strip"))
    window.params_panel.update_fields(size=2000, steps=30)
    _until_done(qtbot, window, window.tweaks.start_quick_look)
    quick = fake.calls[-1]["params"]
    assert QUICK_LOOK_SIZE < quick.size < 2000 and quick.steps <= 40
    check_shape(quick, (20, 4000))  # the real engine takes it


def _preparing_window(qtbot: QtBot, make_window: WindowFactory) -> tuple[MainWindow, list[ProgressEvent]]:
    """A run in a 2.5 s set-up of the styles (fake engine), and the events the window got."""
    window = make_window(stylize_fn=FakeStylize(step_s=0.01, setup_s=2.5))
    window.params_panel.update_fields(size=512, steps=200, min_size=128, coarse_steps=10)
    events: list[ProgressEvent] = []
    window.runner.worker.progressed.connect(events.append)
    assert window.runs.start()
    qtbot.waitUntil(lambda: "preparing the styles" in window.run_panel.status_label.text(), timeout=5000)
    return window, events


def test_an_edit_during_a_set_up_shows_pending_then_landed(qtbot: QtBot, make_window: WindowFactory) -> None:
    """Issue 16.7: edits made during a long set-up looked applied long before they were."""
    window, events = _preparing_window(qtbot, make_window)
    window.params_panel.update_fields(style_weight=5.0)
    status = window.statusBar().currentMessage
    assert status().startswith("Style strength 5: waits until the styles are prepared")
    # The clock goes on with no event from the engine.
    seen, line = len(events), window.run_panel.status_label.text()
    qtbot.waitUntil(lambda: window.run_panel.status_label.text() != line, timeout=2000)
    assert "preparing the styles" in window.run_panel.status_label.text() and len(events) == seen
    qtbot.waitUntil(lambda: "changed at step" in status(), timeout=10_000)
    landed_at = next(e.total_step for e in events if e.edit)
    assert status() == f"Style strength 5: changed at step {landed_at}."
    assert landed_at == 1 and window.run_panel.plot.markers()[0][0] == landed_at  # one count of steps
    _stop_and_wait(qtbot, window)
    assert [e.changes for e in window.session.result.edits] == [{"style_weight": 5.0}]


def test_an_edit_the_run_ended_before_says_so(qtbot: QtBot, make_window: WindowFactory) -> None:
    window, _ = _preparing_window(qtbot, make_window)
    window.params_panel.update_fields(tv_weight=3.0)
    _stop_and_wait(qtbot, window)  # stopped in the set-up: the edit never landed
    assert window.session.result.edits == ()
    assert "Smoothness 3: the run ended before it could land" in window.statusBar().currentMessage()


def test_a_live_edit_of_the_document_reaches_the_engine(qtbot: QtBot, parts: Parts,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict[str, object]] = []
    assert parts.runs.start()
    wait_for_steps(qtbot, parts)
    monkeypatch.setattr(parts.runner, "edit", sent.append)
    parts.document.set_params(PARTS_PARAMS.with_changes(style_weight=5.0))  # as the settings panel would
    assert sent == [{"style_weight": 5.0}] and "waits" in parts.status.currentMessage()
    running = parts.document.running
    assert running is not None and running.look.style_weight == 5.0
    parts.document.set_params(parts.document.recipe.params.with_changes(size=256))
    assert len(sent) == 1 and "next run" in parts.status.currentMessage()
    stop_and_wait(qtbot, parts)
