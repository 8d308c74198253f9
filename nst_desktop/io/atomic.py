"""Atomic file writes: a crash or a full disk never leaves a half-written picture, nor a picture
without its sidecar record (:func:`atomic_write_all`: both files or neither)."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from nst_desktop.engine.spec.errors import ImageError

log = logging.getLogger(__name__)

TEMP_PREFIX, TEMP_SUFFIX = ".nst-", ".tmp"
# A short temporary name, whatever the target's length: ".<target>.XXXXXXXX.tmp" made a legal
# 255-byte output name fail after the whole render. mkstemp puts 8 characters of [a-z0-9_]
# between prefix and suffix. The older long form is still matched, so the leftovers of earlier
# versions are cleaned too; only names of the files we write are, so a stranger's hidden .tmp
# file in the user's folder is never touched.
_TEMP_RE = re.compile(r"\.nst-[a-z0-9_]{8}\.tmp"
                      r"|\.(?P<name>.+\.(?i:png|jpe?g|webp|tiff?|json|gif))\.[a-z0-9_]{8}\.tmp")
STALE_TEMP_AGE_S = 3600.0  # a write takes milliseconds: an hour-old temporary file is a killed one
_cleaned: set[Path] = set()
_cleaned_lock = threading.Lock()


def give_default_mode(fd: int) -> None:
    """Give a ``mkstemp`` file the permissions a plain ``open()`` would have.

    ``mkstemp`` creates files readable by the owner only (0600); a saved picture must be
    as readable as any other file the user makes (0666 minus the umask).
    """
    umask = os.umask(0)
    os.umask(umask)
    with contextlib.suppress(OSError):  # e.g. file systems without POSIX modes
        os.fchmod(fd, 0o666 & ~umask)


def missing_folder_reason(folder: Path) -> str:
    """Why ``folder`` (which is not a directory) cannot hold a file: it is a file, a file
    stands where one of its parents should be, or it does not exist."""
    for place in (folder, *folder.parents):
        if place.exists() and not place.is_dir():
            return f"{place} is a file, not a folder" if place == folder else (
                f"the folder {folder} cannot exist: {place} is a file, not a folder")
        if place.is_dir():
            break
    return f"the folder {folder} does not exist"


def is_our_temp(name: str) -> bool:
    """Whether ``name`` is a temporary file as :func:`atomic_write` makes them."""
    return _TEMP_RE.fullmatch(name) is not None


def clean_stale_temps(folder: Path, max_age_s: float = STALE_TEMP_AGE_S, depth: int = 0) -> int:
    """Delete our temporary files older than ``max_age_s`` that a killed write left in ``folder``
    (and ``depth`` levels of subfolders); returns how many. Never raises: it is housekeeping."""
    removed = 0
    cutoff = time.time() - max_age_s
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError:
        return 0
    for entry in entries:
        try:
            if depth > 0 and entry.is_dir(follow_symlinks=False):
                removed += clean_stale_temps(Path(entry.path), max_age_s, depth - 1)
            elif (is_our_temp(entry.name) and entry.is_file(follow_symlinks=False)
                  and entry.stat(follow_symlinks=False).st_mtime < cutoff):
                os.unlink(entry.path)
                removed += 1
        except OSError:  # gone already, or not ours to delete
            continue
    if removed:
        log.info("Removed %d stale temporary file(s) from %s", removed, folder)
    return removed


def _clean_once(folder: Path) -> None:
    """Clean a folder the first time this process writes there (a listing per write would
    make a long run of time-lapse frames slower and slower)."""
    key = folder.resolve()
    with _cleaned_lock:
        if key in _cleaned:
            return
        _cleaned.add(key)
    clean_stale_temps(key)


def atomic_write(target: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``target``, then rename it over ``target``.

    ``os.replace`` is atomic on one file system, so readers see the old file or the new
    one, never a mix; on any failure the temporary file is removed and the old file stays.
    """
    atomic_write_all([(target, data)])


def atomic_write_all(files: Sequence[tuple[Path, bytes]]) -> None:
    """Write every ``(target, data)`` or none (a picture and its sidecar record).

    Every temporary file is written and synced first, so a full disk stops the write before
    any target changes; then each is renamed over its target. If a rename fails, the targets
    already replaced get their old files back (kept meanwhile as a hard link), or are removed
    when they are new. Raises :class:`ImageError` naming the file that failed.
    """
    temps: list[Path] = []
    try:
        for target, data in files:
            temps.append(_write_temp(target, data))
        _replace_all([target for target, _ in files], temps)
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)


def _write_temp(target: Path, data: bytes) -> Path:
    """A synced temporary file holding ``data`` beside ``target``."""
    folder = target.parent
    if not folder.is_dir():
        raise ImageError(target, missing_folder_reason(folder) + ".")
    _clean_once(folder)
    try:
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)
    except OSError as exc:
        raise ImageError(target, f"cannot write in this folder ({exc.strerror or exc}).") from exc
    try:
        give_default_mode(fd)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())  # the data must be on disk before the rename makes it visible
    except OSError as exc:
        Path(tmp_name).unlink(missing_ok=True)
        raise ImageError(target, f"could not write the file ({exc.strerror or exc}).") from exc
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return Path(tmp_name)


def _replace_all(targets: list[Path], temps: list[Path]) -> None:
    # The old files of all but the last target: if a later rename fails, they come back.
    backups = {target: _backup(target) for target in targets[:-1] if target.is_file()}
    done: list[Path] = []
    try:
        for tmp, target in zip(temps, targets, strict=True):
            os.replace(tmp, target)
            done.append(target)
    except OSError as exc:
        for target in done:
            _roll_back(target, backups.get(target), target in backups)
        raise ImageError(targets[len(done)], f"could not write the file ({exc.strerror or exc}).") from exc
    finally:
        for backup in backups.values():
            if backup is not None:
                backup.unlink(missing_ok=True)


def _roll_back(target: Path, backup: Path | None, existed: bool) -> None:
    with contextlib.suppress(OSError):
        if backup is not None and existed:
            os.replace(backup, target)
        elif not existed:
            target.unlink()  # it is new: neither file is better than half a pair
        else:
            log.warning("%s could not be rolled back (no hard link of its old file)", target)


def _backup(target: Path) -> Path | None:
    """A hard link to ``target``'s file under a temporary name; None on a file system without
    hard links (the rollback then cannot restore it)."""
    backup = Path(tempfile.mktemp(dir=target.parent, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX))
    try:
        os.link(target, backup)  # fails if the name was taken meanwhile: no race
    except OSError:
        return None
    return backup
