"""About box: version, licences, credits, versions; and it must not import torch."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from PySide6.QtCore import qVersion

from nst_desktop import __version__
from nst_desktop.gui import about_dialog
from nst_desktop.gui.about_dialog import AboutDialog, package_version


def test_shows_version_licences_and_credits(qtbot: Any) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    text = dialog.text.toPlainText()
    assert f"NST Desktop {__version__}" in text
    assert "MIT" in text
    assert "Simonyan" in text and "CC BY 4.0" in text  # Caffe VGG19 credit and licence
    assert "torchvision" in text
    assert f"Qt {qVersion()}" in text
    assert f"PyTorch {package_version('torch')}" in text
    assert "Gatys" in text


def test_sample_sources_are_included(qtbot: Any) -> None:
    sources = about_dialog.resource_path("SOURCES.md")
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    text = dialog.text.toPlainText()
    if sources.is_file():
        assert "starry_night" in text and "neural-style" in text


def test_missing_sources_file_still_opens(qtbot: Any, monkeypatch: Any, tmp_path: Any) -> None:
    monkeypatch.setattr(about_dialog, "resource_path", lambda *parts: tmp_path.joinpath(*parts))
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    assert "public-domain" in dialog.text.toPlainText()


def test_package_version_of_a_missing_package() -> None:
    assert package_version("surely-not-an-installed-package-xyz") == "not installed"


def test_opening_does_not_import_torch() -> None:
    code = ("import os, sys; os.environ['QT_QPA_PLATFORM']='offscreen'\n"
            "from PySide6.QtWidgets import QApplication; app = QApplication([])\n"
            "from nst_desktop.gui.about_dialog import AboutDialog; AboutDialog()\n"
            "print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_speaks_of_the_apps_own_files_only(qtbot: Any) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    text = dialog.text.toPlainText()
    if about_dialog.resource_path("SOURCES.md").is_file():
        assert "tubingen.jpg" in text and "The Starry Night" in text  # what the app ships
    # nothing about the developers' folders, tools, or works the app does not ship
    for other in ("shared/", "team", "Picasso", "Escher", "scripts/", "make_icon"):
        assert other not in text, other
