"""The image files NST Desktop opens: one list for the CLI, the file dialogs and drag-and-drop.

Pillow-free on purpose: the GUI builds its file-dialog filters from this list at start-up,
before any picture is opened, and must not pay Pillow's import for it. HEIC/HEIF (the
iPhone's camera format) is read through the ``pillow-heif`` plugin, registered with
Pillow the first time such a file is opened.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

log = logging.getLogger(__name__)

READABLE_SUFFIXES: tuple[str, ...] = (
    ".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp", ".heic", ".heif",
)
"""Extensions of the image files a user can open, lower case."""

HEIF_SUFFIXES = frozenset({".heic", ".heif"})
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")


def dialog_filter(all_files: bool = True) -> str:
    """A Qt file-dialog filter for every readable image type, e.g. ``Images (*.png *.jpg ...)``."""
    patterns = " ".join(f"*{suffix}" for suffix in READABLE_SUFFIXES)
    return f"Images ({patterns})" + (";;All files (*)" if all_files else "")


def looks_like_heif(name: str, head: bytes = b"") -> bool:
    """A HEIC/HEIF file by its extension, or by its header (``ftyp`` box with a HEIF brand)."""
    if Path(name).suffix.lower() in HEIF_SUFFIXES:
        return True
    return head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS


@functools.lru_cache(maxsize=1)
def enable_heif() -> bool:
    """Register pillow-heif's opener with Pillow (once); False if the plugin is not installed.

    Lazy, because the plugin loads libheif and its codecs (tens of MB) that most runs never need.
    """
    try:
        import pillow_heif
    except ImportError as exc:
        log.info("HEIC/HEIF support is not available: %s", exc)
        return False
    pillow_heif.register_heif_opener()
    return True
