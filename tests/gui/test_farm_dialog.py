"""Settings ▸ Render farm: address, token, "Test connection" in the background (issue 19.2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from nst_desktop.farm.client import FarmStatus
from nst_desktop.gui import farm_dialog
from nst_desktop.gui.farm_dialog import FarmDialog
from nst_desktop.gui.settings import Settings
from tests.farm.conftest import free_port


def _dialog(qtbot: QtBot, tmp_path: Path) -> tuple[FarmDialog, Settings]:
    settings = Settings(tmp_path / "settings.ini")
    dialog = FarmDialog(settings)
    qtbot.addWidget(dialog)
    return dialog, settings


def test_test_connection_shows_the_farms_nodes_cpus_gpus_and_version(
        qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[str, str]] = []
    nodes = ({"address": "10.0.0.2", "cpus": 16, "gpus": 1}, {"address": "10.0.0.3", "cpus": 32, "gpus": 2})

    def fake_farm(url: str, token: str) -> FarmStatus:
        asked.append((url, token))
        return FarmStatus("0.1.0", "2.60.0", nodes, 48.0, 3.0, {})

    monkeypatch.setattr(farm_dialog, "ask_farm", fake_farm)
    dialog, _settings = _dialog(qtbot, tmp_path)
    dialog.url.setText(" http://render-pc:8765 ")
    dialog.token.setText("s3cret-token-of-the-farm")
    with qtbot.waitSignal(dialog.tested, timeout=10_000) as shown:
        dialog.test.click()
    assert asked == [("http://render-pc:8765", "s3cret-token-of-the-farm")]
    assert shown.args[0].splitlines() == ["NST Desktop 0.1.0 on Ray 2.60.0: 2 nodes, 48 CPUs, 3 GPUs",
                                          "  10.0.0.2: 16 CPUs, 1 GPUs", "  10.0.0.3: 32 CPUs, 2 GPUs"]
    assert dialog.answer.text() == shown.args[0] and dialog.test.isEnabled()


def test_a_farm_that_is_down_is_one_line_and_ok_keeps_address_and_token(qtbot: QtBot, tmp_path: Path) -> None:
    dialog, settings = _dialog(qtbot, tmp_path)
    url = f"http://127.0.0.1:{free_port()}"
    dialog.url.setText(url)
    dialog.token.setText("t" * 20)
    with qtbot.waitSignal(dialog.tested, timeout=20_000) as shown:
        dialog.test.click()
    assert shown.args[0].startswith(f"The farm at {url} cannot be reached") and "\n" not in shown.args[0]
    dialog.accept()
    assert settings.read("farm/url") == url and settings.read("farm/token") == "t" * 20
    again = FarmDialog(settings)
    qtbot.addWidget(again)
    assert again.url.text() == url and again.token.text() == "t" * 20


def test_edit_render_farm_opens_the_dialog_on_the_windows_settings(
        make_window: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[FarmDialog] = []
    monkeypatch.setattr(FarmDialog, "exec", lambda self: opened.append(self) or 0)
    window = make_window()
    edit_menu = next(m for m in window.menuBar().findChildren(QMenu) if m.title() == "&Edit")
    assert window.menu_actions.render_farm in edit_menu.actions()
    window.settings.write("farm/url", "http://render-pc:8765")
    window.menu_actions.render_farm.trigger()
    assert len(opened) == 1 and opened[0].url.text() == "http://render-pc:8765"
    # Once OK'd, the queue's farm jobs go to the farm set (issue 19): the queue is told.
    told: list[bool] = []
    monkeypatch.setattr(FarmDialog, "exec", lambda self: 1)
    monkeypatch.setattr(type(window.queue), "farm_changed", lambda self: told.append(True))
    window.menu_actions.render_farm.trigger()
    assert told == [True]
    # The window's own background reads (samples, thumbnails) end before it is destroyed.
    assert QThreadPool.globalInstance().waitForDone(10_000)
