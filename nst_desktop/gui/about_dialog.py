"""About NST Desktop: version, licences, credits for the weights and the sample paintings.

Library versions are read from the installed package metadata, not by importing the
libraries: importing torch just to print its version would cost seconds.
"""

from __future__ import annotations

import platform
from importlib import metadata

import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from nst_desktop import __version__
from nst_desktop.io.weight_sets import WEIGHT_SETS
from nst_desktop.resources import resource_path

APP_NAME = "NST Desktop"
APP_LICENCE = "MIT"
PAPER = ("Leon A. Gatys, Alexander S. Ecker, Matthias Bethge: “A Neural Algorithm of Artistic Style” "
         "(2015) and “Image Style Transfer Using Convolutional Neural Networks” (CVPR 2016).")


def package_version(name: str) -> str:
    """Installed version of a distribution, or "not installed"."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def about_markdown() -> str:
    """The dialog's text, as Markdown (also handy for a --version style dump)."""
    parts = [
        f"# {APP_NAME} {__version__}",
        "Neural style transfer for artists: turn a photo into a painting, watch it form, "
        "export print-quality results.",
        f"Licence: {APP_LICENCE}. Method: {PAPER}",
        "## Network weights",
    ]
    parts += [f"**{info.title}.** {info.licence}" for info in WEIGHT_SETS.values()]
    parts.append("## Sample images")
    parts.append(_sources_text())
    parts.append("## Versions")
    parts.append("\n".join([
        f"- {APP_NAME} {__version__}",
        f"- Python {platform.python_version()} ({platform.system()} {platform.machine()})",
        f"- Qt {qVersion()}, PySide6 {PySide6.__version__}",
        f"- PyTorch {package_version('torch')}",
        f"- NumPy {package_version('numpy')}, Pillow {package_version('Pillow')}",
    ]))
    return "\n\n".join(parts)


SAMPLES_INTRO = ("The sample photo and paintings that come with NST Desktop are from the examples of "
                 "jcjohnson/neural-style (MIT licence); the paintings are in the public domain. Files "
                 "larger than 1024 px were reduced to 1024 px on their long side.")
ICON_CREDIT = "The app's icon was drawn for NST Desktop (MIT licence)."
SAMPLES_FALLBACK = "The sample images that come with the app are public-domain works."


def _sources_text() -> str:
    """The app's own sample files, one table row each, from the table in its SOURCES.md.

    Only the table is taken: the file's prose is written for the developers (where the files
    were collected, works deliberately left out, scripts) and says nothing about the app.
    """
    try:
        text = resource_path("SOURCES.md").read_text(encoding="utf-8")
    except OSError:
        return SAMPLES_FALLBACK
    table = [line for line in text.splitlines() if line.startswith("|")]
    if not table:
        return SAMPLES_FALLBACK
    return "\n\n".join([SAMPLES_INTRO, "\n".join(table), ICON_CREDIT])


class AboutDialog(QDialog):
    """Application name, version, licences and credits, and library versions."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        self.text = QTextBrowser(self)
        self.text.setOpenExternalLinks(True)
        self.text.setMarkdown(about_markdown())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(640, 560)
