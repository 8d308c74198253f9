"""The Mask dock in the window: the run gets the painted mask, the history keeps it, Restore
brings it back, export writes it beside the picture; a closed dock or no paint is a normal run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pytestqt.qtbot import QtBot

from nst_desktop.engine.spec.events import RunResult
from nst_desktop.engine.spec.region_masks import RegionMask
from nst_desktop.gui.inputs_panel import InputsPanel
from nst_desktop.gui.main_window import MainWindow
from nst_desktop.gui.mask_dock import MaskDock
from nst_desktop.io.masks import load_mask, mask_path_for
from nst_desktop.resources import resource_path
from tests.gui.conftest import WindowFactory
from tests.gui.fakes import FakeStylize

PHOTO = resource_path("samples", "tubingen.jpg")
STARRY = resource_path("styles", "starry_night.jpg")
SCREAM = resource_path("styles", "the_scream.jpg")


class MaskFake(FakeStylize):
    """The fake engine, taking a mask as the real one does."""

    masks: list[RegionMask | None]

    def __call__(self, *args: Any, mask: RegionMask | None = None, **kwargs: Any) -> RunResult:
        self.masks = [*getattr(self, "masks", []), mask]
        return super().__call__(*args, **kwargs)


def _ready(window: MainWindow) -> None:
    assert window.inputs.load_content_file(PHOTO)
    window.inputs.clear_styles()
    assert window.inputs.add_style_files([STARRY, SCREAM]) == 2
    window.params_panel.update_fields(size=48, steps=4, min_size=48, coarse_steps=0)


def _paint(qtbot: QtBot, window: MainWindow, entries: int) -> None:
    with qtbot.waitSignal(window.runner.worker.done, timeout=30_000):
        assert window.runs.start()
    qtbot.waitUntil(lambda: not window.runner.running, timeout=2000)
    qtbot.waitUntil(lambda: window.session.history.list.count() >= entries, timeout=10_000)


def _paint_sky(dock: MaskDock, inputs: InputsPanel) -> np.ndarray:
    layer = dock.layer
    labels = layer.labels()
    assert labels is not None and labels.shape == inputs.content().image.shape[:2]  # type: ignore[union-attr]
    layer.set_active_region(1)
    layer.begin_stroke(10, 10)
    layer.stroke_to(labels.shape[1] - 10, 10)
    layer.end_stroke()
    painted = layer.labels()
    assert painted is not None and painted.any()
    return painted.copy()


def test_mask_goes_to_the_run_the_history_and_back_on_restore(qtbot: QtBot, make_window: WindowFactory,
                                                              tmp_path: Path) -> None:
    fake = MaskFake()
    window = make_window(stylize_fn=fake)
    _ready(window)
    dock = window.mask_dock
    assert dock.dock.objectName() == "maskDock" and dock.dock.isHidden()  # hidden by default
    assert dock.dock.toggleViewAction() in window.menu_actions.view_menu.actions()
    assert len(dock.panel._styles) == 2  # the style names reach the panel
    labels = _paint_sky(window.mask_dock, window.inputs)
    _paint(qtbot, window, 1)
    assert fake.masks[-1] is None  # the dock is closed: a normal run, the paint kept
    dock.dock.show()
    _paint(qtbot, window, 2)
    sent = fake.masks[-1]
    assert sent is not None and np.array_equal(sent.labels, labels)
    entry = window.session.history.entries()[0]
    assert entry.metadata["mask"]["file"] == "image.mask.png"
    assert np.array_equal(load_mask(mask_path_for(entry.image_path)).labels, labels)
    # Another photo wipes the layer; Restore brings the photo and the mask back.
    dock.layer.clear()
    dock.dock.hide()
    window.session.history.select_ids(entry.id)
    window.session.history.restore_button.click()
    restored = dock.layer.labels()
    assert restored is not None and np.array_equal(restored, labels) and not dock.dock.isHidden()
    assert dock.layer.settings().regions[0].styles == sent.settings.regions[0].styles
    # Export writes the mask PNG beside the picture, named in its record.
    out = tmp_path / "export.png"
    shown_mask = window.session.mask  # the restored entry's, read from its PNG
    assert shown_mask is not None and np.array_equal(shown_mask.labels, sent.labels)
    window.commands.save_dialog = lambda *args: (str(out), args[-1])
    path = window.commands.export_image()
    assert path == out
    qtbot.waitUntil(lambda: out.is_file(), timeout=10_000)
    assert np.array_equal(load_mask(mask_path_for(out)).labels, labels)
    from nst_desktop.io.images import read_metadata

    assert read_metadata(out)["mask"]["file"] == "export.mask.png"  # type: ignore[index]


def test_a_new_photo_gives_a_blank_layer_of_its_size(qtbot: QtBot, tmp_path: Path) -> None:
    """No window: the dock needs only a main window to dock in, the canvas and the inputs panel."""
    from PySide6.QtWidgets import QMainWindow

    from nst_desktop.gui.canvas import Canvas
    from nst_desktop.io.images import save_image

    host, canvas, inputs = QMainWindow(), Canvas(), InputsPanel()
    for widget in (host, canvas, inputs):
        qtbot.addWidget(widget)
    dock = MaskDock(host, canvas, inputs)
    assert inputs.load_content_file(PHOTO) and inputs.add_style_files([STARRY, SCREAM]) == 2
    _paint_sky(dock, inputs)
    host.show()
    dock.dock.show()
    assert dock.request_mask() is not None  # open and painted: the next run is masked
    other = tmp_path / "other.png"
    save_image(np.random.default_rng(1).random((30, 40, 3), dtype=np.float32), other, None)
    assert inputs.load_content_file(other)
    labels = dock.layer.labels()
    assert labels is not None and labels.shape == (30, 40) and not labels.any()
    assert dock.request_mask() is None  # nothing painted on the new photo: a normal run

def test_repainting_during_a_run_is_sent_as_a_live_edit(qtbot: QtBot, make_window: WindowFactory) -> None:
    from nst_desktop.engine.spec.live import MASK

    fake = MaskFake(step_s=0.05)
    window = make_window(stylize_fn=fake)
    _ready(window)
    window.params_panel.update_fields(steps=40)
    window.mask_dock.dock.show()
    _paint_sky(window.mask_dock, window.inputs)
    with qtbot.waitSignal(window.runner.worker.done, timeout=30_000):
        assert window.runs.start()
        layer = window.mask_dock.layer
        layer.begin_stroke(10, 200)  # a second stroke, lower down, while it paints
        layer.stroke_to(300, 200)
        layer.end_stroke()
    repainted = [e for e in fake.applied if MASK in e.changes]
    assert repainted and np.array_equal(repainted[-1].changes[MASK].labels, layer.labels())
    qtbot.waitUntil(lambda: window.session.history.list.count() >= 1, timeout=10_000)
    record = window.session.history.entries()[0].metadata
    assert isinstance(record["edits"][0]["changes"][MASK]["png"], str)  # the repaint's pixels, for a replay
    assert isinstance(record["mask"]["start"]["png"], str)  # and the mask the run started with
    beside = load_mask(mask_path_for(window.session.history.entries()[0].image_path)).labels
    assert np.array_equal(beside, layer.labels())  # the record keeps the final mask


def test_promote_records_the_mask_the_smaller_picture_was_painted_with(qtbot: QtBot,
                                                                        make_window: WindowFactory) -> None:
    """Repainting between a small picture and "Render full size" must not change how --params
    replays that small picture: its record carries its own mask's pixels."""
    from nst_desktop.io.masks import MASK_KEY, START_KEY, embedded_labels

    fake = MaskFake()
    window = make_window(stylize_fn=fake)
    _ready(window)
    window.mask_dock.dock.show()
    first = _paint_sky(window.mask_dock, window.inputs)
    _paint(qtbot, window, 1)
    layer = window.mask_dock.layer
    layer.set_active_region(2)  # a repaint after the small picture was made
    layer.begin_stroke(10, 30)
    layer.stroke_to(60, 30)
    layer.end_stroke()
    assert not np.array_equal(layer.labels(), first)
    window.params_panel.update_fields(size=64)
    sent: list[Any] = []
    start = window.runner.start
    window.runner.start = lambda request: (sent.append(request), start(request))[1]  # type: ignore[method-assign]
    with qtbot.waitSignal(window.runner.worker.done, timeout=30_000):
        assert window.tweaks.promote()
    source = sent[-1].job().continued_from  # the Job job_for makes for the promote
    assert np.array_equal(embedded_labels(source[MASK_KEY][START_KEY]).labels, first)
    assert fake.masks[-1] is not None and not np.array_equal(fake.masks[-1].labels, first)
