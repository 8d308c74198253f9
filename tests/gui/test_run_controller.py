"""The run controller without a window (issue 17.2): runs start in the document and their
pictures end on show there; a blocker holds every start."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from tests.gui.parts import Parts, stop_and_wait, wait_for_steps


def test_a_run_starts_in_the_document_and_its_picture_ends_on_show_there(qtbot: QtBot, parts: Parts) -> None:
    started: list[object] = []
    parts.runs.runStarted.connect(started.append)
    assert parts.runs.start()
    assert started and parts.document.running is not None and parts.document.running.kind == "full"
    assert parts.actions.stop.isEnabled() and not parts.actions.start.isEnabled()
    wait_for_steps(qtbot, parts)
    stop_and_wait(qtbot, parts)
    assert parts.document.running is None
    picture = parts.document.picture
    assert picture is not None and picture.image is parts.session.result_image
    assert picture.painted_from == "/photos/cat.png" and picture.stopped
    assert parts.actions.export.isEnabled() and parts.actions.start.isEnabled()


def test_a_blocker_holds_every_start(parts: Parts) -> None:
    parts.runs.add_blocker(lambda: True)
    assert not parts.runs.start() and not parts.runner.running and parts.document.running is None


