"""Where the bundled resources (sample images, ready styles, icon) live.

From a source checkout they are in the top-level ``resources/`` folder; in a PyInstaller
bundle they are unpacked beside the executable (``sys._MEIPASS``).
"""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
