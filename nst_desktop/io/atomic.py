"""Atomic file writes: a crash or a full disk never leaves a half-written picture."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from nst_desktop.engine.errors import ImageError


def give_default_mode(fd: int) -> None:
    """Give a ``mkstemp`` file the permissions a plain ``open()`` would have.

    ``mkstemp`` creates files readable by the owner only (0600); a saved picture must be
    as readable as any other file the user makes (0666 minus the umask).
    """
    umask = os.umask(0)
    os.umask(umask)
    with contextlib.suppress(OSError):  # e.g. file systems without POSIX modes
        os.fchmod(fd, 0o666 & ~umask)


def atomic_write(target: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``target``, then rename it over ``target``.

    ``os.replace`` is atomic on one file system, so readers see the old file or the new
    one, never a mix; on any failure the temporary file is removed and the old file stays.
    """
    folder = target.parent
    if not folder.is_dir():
        raise ImageError(target, f"the folder {folder} does not exist.")
    try:
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise ImageError(target, f"cannot write in this folder ({exc.strerror or exc}).") from exc
    try:
        give_default_mode(fd)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())  # the data must be on disk before the rename makes it visible
        os.replace(tmp_name, target)
    except OSError as exc:
        Path(tmp_name).unlink(missing_ok=True)
        raise ImageError(target, f"could not write the file ({exc.strerror or exc}).") from exc
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
