"""A queued job's input files, kept content-addressed in the data folder.

A queue runs for hours after the artist chose the photos: a photo moved, renamed or deleted
meanwhile must still render. So when a job is added, each input file (photo, styles, start
image) is copied once to ``<blobs>/<sha256>/<original name>``: the folder is the content's
hash (two jobs of the same photo share one copy), the name keeps the original's, so a style's
name (its stem) and the decoder's choice (its extension) stay the same. A copy is written to a
temporary name and renamed into place, so a kill never leaves half a file under a hash.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

from nst_desktop.engine.spec.errors import ImageError

_CHUNK = 1 << 20
_GRACE_S = 600.0


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The sha256 of a file's bytes; ImageError (one line, naming the file) when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
    except FileNotFoundError as exc:
        raise ImageError(path, "file not found.") from exc
    except IsADirectoryError as exc:
        raise ImageError(path, "is a folder, not an image.") from exc
    except OSError as exc:
        raise ImageError(path, f"cannot be read ({exc.strerror or exc}).") from exc
    return digest.hexdigest()


class BlobStore:
    """Content-addressed copies of input files under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def keep(self, path: str | os.PathLike[str]) -> Path:
        """A lasting copy of ``path`` (made once per content); its path. ImageError if unreadable."""
        source = Path(path)
        digest = file_sha256(source)
        target = self.root / digest / (source.name or "input")
        if target.is_file():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.{os.getpid()}.part")
        try:
            shutil.copyfile(source, temp)
            os.replace(temp, target)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise ImageError(source, f"cannot be kept for the queue ({exc.strerror or exc}).") from exc
        return target

    def collect(self, in_use: Iterable[str]) -> int:
        """Remove the copies no job refers to any more (``in_use``: blob paths); how many."""
        keep = {Path(p).parent.name for p in in_use}
        # A copy younger than this may belong to a job another process is adding right now.
        old_enough = time.time() - _GRACE_S
        removed = 0
        if not self.root.is_dir():
            return 0
        for folder in self.root.iterdir():
            if folder.is_dir() and folder.name not in keep and folder.stat().st_mtime < old_enough:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed
