"""The recipe on screen is written as it changes, debounced and synced (issue 16.13), and a
write while the launch is still reopening the inputs keeps the inputs last written."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from nst_desktop.gui.main_window import MainWindow
from nst_desktop.gui.settings import Settings
from nst_desktop.io.library import Library
from tests.gui.conftest import WindowFactory
from tests.gui.fakes import FakeStylize


def test_a_change_is_written_after_the_delay_without_a_close(qtbot: QtBot, make_window: WindowFactory,
                                                           tmp_path: Path) -> None:
    window = make_window()
    qtbot.waitUntil(lambda: not window.recipe_keeper.pending(), timeout=3000)  # the samples' write
    window.params_panel.update_fields(steps=123)
    window.inputs.set_style_weight(0, 0.25)
    stored = Settings(tmp_path / "settings.ini")
    assert stored.read("params/steps") != 123  # debounced: a dragged slider is not a write per tick
    with qtbot.waitSignal(window.recipe_keeper.saved, timeout=3000):
        pass
    assert stored.read("params/steps") == 123
    content, styles = window.inputs.state()
    assert content and stored.read("inputs/content") == content
    assert stored.read("inputs/styles") == styles and styles[0][1] == 0.25


def test_the_first_launch_samples_are_written_without_a_close(qtbot: QtBot, make_window: WindowFactory,
                                                            tmp_path: Path) -> None:
    window = make_window()
    with qtbot.waitSignal(window.recipe_keeper.saved, timeout=3000):
        pass
    stored = Settings(tmp_path / "settings.ini")
    assert stored.read("inputs/content") == str(window.inputs.content().path)  # type: ignore[union-attr]
    assert len(stored.read("inputs/styles")) == 1


def test_a_write_while_the_launch_reopens_the_inputs_keeps_them(qtbot: QtBot, make_window: WindowFactory,
                                                               tmp_path: Path) -> None:
    first = make_window()
    first.recipe_keeper.save_now()
    saved = first.inputs.state()
    first.close()
    settings = Settings(tmp_path / "settings.ini")
    second = MainWindow(settings, library=Library(tmp_path / "library"), stylize_fn=FakeStylize(),
                        confirm=lambda *args: True)
    qtbot.addWidget(second)
    qtbot.waitUntil(second.inputs.loading, timeout=3000)  # the saved photo and style being read
    second.params_panel.update_fields(steps=77)
    second.recipe_keeper.save_now()
    stored = Settings(tmp_path / "settings.ini")
    assert (stored.read("inputs/content"), stored.read("inputs/styles")) == saved
    assert stored.read("params/steps") == 77
    qtbot.waitUntil(lambda: not second.inputs.loading(), timeout=5000)
    second.runner.shutdown(5000)
    second.estimator.wait(5000)


def test_the_keeper_writes_the_documents_recipe_and_only_its_files(qtbot: QtBot, tmp_path: Path) -> None:
    """No window: the settings, the document and the inputs panel (asked only whether it reads)."""
    from nst_desktop.engine.spec.params import DEFAULTS
    from nst_desktop.gui.inputs_panel import InputsPanel
    from nst_desktop.gui.recipe_keeper import RecipeKeeper
    from nst_desktop.recipe.document import Document
    from nst_desktop.recipe.recipe import Recipe, StyleRef

    inputs = InputsPanel()
    qtbot.addWidget(inputs)
    document = Document()
    keeper = RecipeKeeper(Settings(tmp_path / "settings.ini"), document, inputs, delay_ms=10)
    styles = (StyleRef("/s/a.png", 2.0), StyleRef("pasted:Pasted image#1f", 1.0))
    with qtbot.waitSignal(keeper.saved, timeout=3000):
        document.follow(Recipe("/p/cat.jpg", styles, DEFAULTS.with_changes(steps=321)))
    stored = Settings(tmp_path / "settings.ini")
    assert stored.read("inputs/content") == "/p/cat.jpg"
    assert stored.read("inputs/styles") == [["/s/a.png", 2.0]]  # a pasted image has no file to reopen
    assert stored.read("params/steps") == 321
