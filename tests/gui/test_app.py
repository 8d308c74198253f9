"""app.main: self-test exit code passthrough; the window opens without importing torch."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from nst_desktop.gui import app


def test_self_test_exit_code_is_passed_through(monkeypatch: pytest.MonkeyPatch) -> None:
    import nst_desktop.selftest as selftest

    monkeypatch.setattr(selftest, "run_self_test", lambda *a, **k: 3)
    assert app.main(["--self-test"]) == 3


def test_window_opens_without_importing_torch(tmp_path: object) -> None:
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from nst_desktop.gui.main_window import MainWindow\n"
        "from nst_desktop.gui.settings import Settings\n"
        f"w = MainWindow(Settings({str(tmp_path)!r} + '/s.ini'))\n"
        "w.show(); app.processEvents()\n"
        "print('torch' in sys.modules)\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NST_DESKTOP_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_theme_palettes_follow_light_and_dark() -> None:
    from nst_desktop.gui.theme import palette_for

    dark, light = palette_for(True), palette_for(False)
    role = dark.ColorRole
    assert dark.color(role.Window).lightness() < 80 < light.color(role.Window).lightness()
    assert dark.color(role.Text).lightness() > 160 > light.color(role.Text).lightness()
