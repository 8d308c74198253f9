"""Print sizes beside the Output size control (gui/print_sizes.py)."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from nst_desktop.engine.spec.params import DEFAULTS
from nst_desktop.gui import print_sizes
from nst_desktop.gui.params_panel import ParamsPanel


def test_a4_and_a3_at_300_dpi_have_their_pixel_sizes() -> None:
    sizes = {s.name: (s.long_px, s.short_px) for s in print_sizes.PRINT_SIZES}
    assert sizes == {"A4": (3508, 2480), "A3": (4961, 3508)}
    mm_per_inch = 25.4
    for size, (long_mm, short_mm) in zip(print_sizes.PRINT_SIZES, ((297, 210), (420, 297)), strict=True):
        assert size.long_px == round(long_mm / mm_per_inch * 300)
        assert size.short_px == round(short_mm / mm_per_inch * 300)


def test_auto_max_size_follows_free_memory_and_the_control_range() -> None:
    small = print_sizes.auto_max_size(DEFAULTS, free_bytes=4 * 2**30)
    assert small < print_sizes.auto_max_size(DEFAULTS, free_bytes=16 * 2**30) <= print_sizes.SIZE_LIMIT
    assert print_sizes.auto_max_size(DEFAULTS, free_bytes=10**15) == print_sizes.SIZE_LIMIT
    assert print_sizes.auto_max_size(DEFAULTS, free_bytes=0) >= 32  # never below the control's minimum


def test_menu_sets_the_output_size(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(print_sizes.tile_plan, "free_memory_bytes", lambda: 8 * 2**30)
    panel = ParamsPanel(DEFAULTS)
    qtbot.addWidget(panel)
    button = panel.print_sizes
    assert button.parent() is panel.controls["size"]
    button.refresh()
    actions = {a.text(): a for a in button.menu().actions() if a.text()}
    a3 = next(a for text, a in actions.items() if text.startswith("A3"))
    with qtbot.waitSignal(panel.paramsChanged) as blocker:
        a3.trigger()
    assert blocker.args[0].size == 4961 and panel.controls["size"].spin.value() == 4961
    assert "more than the free memory" in a3.text()  # 8 GB does not hold A3 with 30 L-BFGS pairs
    auto = next(a for a in button.menu().actions() if a.objectName() == "autoMaxSize")
    auto.trigger()
    assert panel.params().size == print_sizes.auto_max_size(DEFAULTS, free_bytes=8 * 2**30)
