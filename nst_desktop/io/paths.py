"""Where NST Desktop keeps its files: the platform's usual folders, via platformdirs.

Setting the ``NST_DESKTOP_HOME`` environment variable puts *every* folder under that one
directory instead. Tests use it (so they never touch the real user folders) and so can
a portable install on a USB stick.

Every function creates its folder unless ``create=False``: callers want somewhere to
write, and a missing folder on first start is the normal case, not an error.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "NST Desktop"
HOME_ENV = "NST_DESKTOP_HOME"


def home_override() -> Path | None:
    """The ``NST_DESKTOP_HOME`` folder if the variable is set and non-empty."""
    value = os.environ.get(HOME_ENV, "").strip()
    return Path(value).expanduser() if value else None


def _ready(path: Path, create: bool) -> Path:
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir(create: bool = True) -> Path:
    """Per-user application data (the library and imported weights live below it)."""
    home = home_override()
    base = home if home is not None else platformdirs.user_data_path(APP_NAME, appauthor=False)
    return _ready(base, create)


def library_dir(create: bool = True) -> Path:
    """History of finished renders (images, thumbnails, params)."""
    return _ready(data_dir(create=False) / "library", create)


def weights_dir(create: bool = True) -> Path:
    """Downloaded and imported VGG19 weight files.

    Under the data folder, not the cache: the torchvision file is half a gigabyte to
    download again and an imported file may no longer exist anywhere else, so an OS
    cache cleaner must not delete them.
    """
    return _ready(data_dir(create=False) / "weights", create)


def cache_dir(create: bool = True) -> Path:
    """Files that can be rebuilt at any time (safe to delete)."""
    home = home_override()
    base = home / "cache" if home is not None else platformdirs.user_cache_path(APP_NAME, appauthor=False)
    return _ready(base, create)


def settings_dir(create: bool = True) -> Path:
    """Settings files (for code that stores them outside QSettings)."""
    home = home_override()
    base = (
        home / "settings" if home is not None else platformdirs.user_config_path(APP_NAME, appauthor=False)
    )
    return _ready(base, create)
