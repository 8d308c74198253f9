"""Whether saving a picture would write over one of the files it was made from.

``render photo.jpg style.jpg -o photo.jpg`` (or ``--params painting.png -o painting.png``, or
an output reached through a symlink to the photo) silently replaced the photo with the
painting: the one file the artist cannot make again. The CLI refuses such an output before any
work, and the window's Export asks first; both ask this module, which knows every file a save
writes (the picture, its ``.json`` sidecar for JPEG/WebP/TIFF, its mask PNG).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from nst_desktop.io.images import FORMATS, sidecar_path
from nst_desktop.io.masks import mask_path_for

Input = tuple[str, "str | os.PathLike[str] | None"]
"""(what it is, for the message: "the photo", "a style"...; its path, None when there is none)."""


def written_files(out: str | os.PathLike[str], *, mask: bool = False) -> tuple[Path, ...]:
    """Every file saving to ``out`` writes (``io.images.save_image``, ``io.masks.save_beside``)."""
    target = Path(out)
    files = [target]
    if FORMATS.get(target.suffix.lower(), "PNG") != "PNG":  # the record goes in a sidecar
        files.append(sidecar_path(target))
    if mask:
        files.append(mask_path_for(target))
    return tuple(files)


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """True when ``a`` and ``b`` are one file: the same path once symlinks and ``..`` are
    resolved, or (both existing) the same inode, as a hard link is."""
    try:
        if os.path.samefile(a, b):
            return True
    except OSError:  # one of them does not exist yet: compare where they lead
        pass
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def overwritten_input(out: str | os.PathLike[str], inputs: Iterable[Input], *,
                      mask: bool = False) -> tuple[Path, str] | None:
    """(the written file, what input it is) for the first file saving to ``out`` would
    write over an input; None when the output touches no input."""
    given = [(role, path) for role, path in inputs if path is not None and str(path)]
    for written in written_files(out, mask=mask):
        for role, path in given:
            if same_file(written, path):
                return written, role
    return None
