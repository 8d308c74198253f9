"""Shared test setup: headless Qt, and every app folder (settings, history, weights cache)
redirected to a temporary directory so tests never touch the user's real files."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Must be set before any QApplication exists (pytest-qt creates it lazily).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_SESSION_HOME = tempfile.mkdtemp(prefix="nst-test-home-")
os.environ.setdefault("XDG_CONFIG_HOME", os.path.join(_SESSION_HOME, "config"))

SHARED_IMAGES = Path(__file__).resolve().parents[1] / ".." / "shared" / "images"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """NST_DESKTOP_HOME overrides every platform folder (see io/paths.py)."""
    home = tmp_path / "nst-home"
    monkeypatch.setenv("NST_DESKTOP_HOME", str(home))
    yield home
