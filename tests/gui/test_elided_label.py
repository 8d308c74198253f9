"""The status and estimate lines cut a long text with "…" and keep it whole in the tooltip."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from nst_desktop.gui.elided_label import ElidedLabel

LONG = "These settings: about 2 min on the CPU (first guess), 1.2 GB of memory; a quick look 8 s"


def test_a_long_text_is_cut_with_an_ellipsis_and_kept_in_the_tooltip(qtbot: QtBot) -> None:
    label = ElidedLabel()
    qtbot.addWidget(label)
    label.set_hint("Worked out from a speed model.")
    label.show()
    qtbot.waitExposed(label)
    label.resize(120, 20)
    label.setText(LONG)
    assert label.text() == LONG  # callers read the whole text
    assert label.is_elided() and "…" in label.property("text")  # what is painted
    assert LONG in label.toolTip() and "speed model" in label.toolTip()
    label.resize(2000, 20)  # room enough: shown whole, the tooltip only explains
    assert not label.is_elided()
    assert label.toolTip() == "Worked out from a speed model."
