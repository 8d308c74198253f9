"""The history of finished runs: one folder per result, written atomically.

Layout of an entry (``<root>/<id>/``)::

    image.png      the result, with the run's params embedded (io.images.save_image)
    thumb.png      a small preview for the history strip
    entry.json     {"format", "id", "created", "metadata"}
    frames.webp    optional: the run's previews as a compact animated WebP, for a time-lapse

An entry is assembled in a hidden temporary folder and renamed into place in one step,
so a crash or a closed app never leaves half an entry; :meth:`Library.entries` skips any
folder that is not a complete entry instead of failing, so one damaged folder never hides
the rest of the history. A damaged entry (unreadable or malformed ``entry.json``, a missing
image) is left where it is, untouched, and counted in :attr:`Listing.damaged`, so the window
can say once how many could not be read.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nst_desktop.engine.spec.errors import ImageError
from nst_desktop.engine.spec.events import ImageArray
from nst_desktop.engine.spec.region_masks import RegionMask
from nst_desktop.io import images, masks, paths
from nst_desktop.io.atomic import atomic_write
from nst_desktop.io.timelapse import write_timelapse

log = logging.getLogger(__name__)

IMAGE_NAME = "image.png"
THUMB_NAME = "thumb.png"
ENTRY_NAME = "entry.json"
FRAMES_NAME = "frames.webp"
FORMAT_VERSION = 1
THUMB_SIZE = 256
FRAMES_MAX_SIDE = 640  # time-lapses are for screens and social posts; keeps the history small
FRAMES_MAX_COUNT = 96  # 8 s at 12 fps; longer runs are subsampled evenly
# Fastest WebP method: ~2.5x quicker than the default for ~25% more bytes, since adding
# to the history happens right when a run ends and the user is waiting to see it.
FRAMES_QUALITY, FRAMES_METHOD = 75, 0
_TMP_PREFIX = ".tmp-"
_TRASH_PREFIX = ".trash-"
_STALE_TMP_S = 3600.0  # older temporary folders are leftovers of a crash, not a write in progress
_ID_RE = re.compile(r"^\d{8}-\d{6}-\d{6}-[0-9a-f]{6}$")
# The type each known key of a record must have: the GUI reads these without checking (a
# hand-edited or damaged entry with a string for "edits" crashed the history's tooltips).
_METADATA_TYPES: dict[str, type] = {"params": dict, "inputs": dict, "touches": dict, "edits": list}


class DamagedEntryError(ValueError):
    """An entry folder whose record cannot be used; the message says why."""


@dataclass(frozen=True)
class Listing:
    """What a scan of the history found: the good entries, newest first, and the folders of
    the damaged ones (left untouched: they may still hold a picture the user wants)."""

    entries: list[Entry]
    damaged: list[Path]


@dataclass(frozen=True)
class Entry:
    """One finished run in the history."""

    id: str
    folder: Path
    image_path: Path
    thumb_path: Path
    metadata: dict[str, Any]
    created: datetime
    timelapse_path: Path | None = None

    @property
    def title(self) -> str:
        """A short human label: the creation time, local, to the minute."""
        return self.created.astimezone().strftime("%Y-%m-%d %H:%M")


class Library:
    """A folder of history entries (see the module docstring for the layout)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else paths.library_dir(create=False)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:  # a file in the way: say so, not "File exists"
            blocker = next((p for p in (self.root, *self.root.parents) if p.is_file()), self.root)
            reason = ("is a file, not a folder: the history folder cannot be there" if blocker == self.root
                      else f"cannot create the history folder: {blocker} is a file, not a folder")
            raise ImageError(self.root, reason + ".",
                             hint="Move that file away; the history is off until then.") from exc
        except OSError as exc:
            raise ImageError(self.root, f"cannot create the history folder ({exc.strerror or exc})") from exc
        self._clean_leftovers()

    # --- writing ---------------------------------------------------------------------------
    def add(
        self,
        image: ImageArray,
        metadata: dict[str, Any],
        frames: Sequence[npt.NDArray[np.uint8]] | None = None,
        *,
        mask: RegionMask | None = None,
    ) -> Entry:
        """Store a finished image with its metadata (and previews, and its region mask as
        ``image.mask.png``, named in the record); return the new entry.

        Raises :class:`ImageError` naming the folder when the entry cannot be written;
        nothing is left behind in that case.
        """
        created = datetime.now(UTC)
        entry_id = _new_id(created)
        tmp = self.root / f"{_TMP_PREFIX}{entry_id}"
        final = self.root / entry_id
        try:
            tmp.mkdir(parents=True)
            if mask is not None:
                masks.save_beside(mask, tmp / IMAGE_NAME)
                metadata = masks.with_mask_file(metadata, tmp / IMAGE_NAME)
            self._write_files(tmp, entry_id, created, image, metadata, frames)
            os.replace(tmp, final)  # the commit point: before it nothing is visible
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise ImageError(final, f"cannot save to the history ({exc.strerror or exc})") from exc
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        entry = _read_entry(final)
        if entry is None:  # pragma: no cover - we just wrote it; only a racing delete gets here
            raise ImageError(final, "the history entry vanished right after it was written")
        return entry

    def _write_files(
        self,
        folder: Path,
        entry_id: str,
        created: datetime,
        image: ImageArray,
        metadata: dict[str, Any],
        frames: Sequence[npt.NDArray[np.uint8]] | None,
    ) -> None:
        images.save_image(image, folder / IMAGE_NAME, metadata)
        thumb = images.thumbnail(image, THUMB_SIZE)
        images.save_image(thumb, folder / THUMB_NAME, None)
        if frames:
            try:
                write_timelapse(_subsample(list(frames), FRAMES_MAX_COUNT), folder / FRAMES_NAME,
                                max_side=FRAMES_MAX_SIDE, quality=FRAMES_QUALITY, method=FRAMES_METHOD)
            except ImageError as exc:
                # The time-lapse is a bonus: losing it must never lose the finished image.
                log.warning("History entry saved without its time-lapse: %s", exc.user_text())
        record = {"format": FORMAT_VERSION, "id": entry_id, "created": created.isoformat(),
                  "metadata": metadata}
        # entry.json last: its presence marks a complete folder even if the rename is lost.
        (folder / ENTRY_NAME).write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")

    def update_metadata(self, entry_id: str, metadata: dict[str, Any], *,
                        looks: ImageArray | None = None) -> Entry:
        """Replace an entry's metadata (e.g. its after-touches); the updated entry.

        ``entry.json`` is rewritten, atomically: the history reads its metadata from there.
        ``looks``: the picture as it now looks (touched), which the thumbnail is remade from.
        ``image.png`` (the untouched result) and its embedded copy stay as painted.
        Unknown ids raise :class:`KeyError`; a failed write raises :class:`ImageError` and
        leaves the old record in place.
        """
        folder = self._folder(entry_id)
        entry_file = folder / ENTRY_NAME
        try:
            record = json.loads(entry_file.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            raise KeyError(f"No history entry {entry_id!r} in {self.root}") from exc
        if not isinstance(record, dict):
            raise KeyError(f"Damaged history entry {entry_id!r} in {self.root}")
        if looks is not None:
            images.save_image(images.thumbnail(looks, THUMB_SIZE), folder / THUMB_NAME, None)
        record["metadata"] = metadata
        atomic_write(entry_file, json.dumps(record, indent=2, default=str).encode("utf-8"))
        entry = _read_entry(folder)
        if entry is None:  # pragma: no cover - only a racing delete gets here
            raise KeyError(f"No history entry {entry_id!r} in {self.root}")
        return entry

    def delete(self, entry_id: str) -> None:
        """Remove an entry. Unknown ids raise :class:`KeyError`."""
        folder = self._folder(entry_id)
        if not folder.is_dir():
            raise KeyError(f"No history entry {entry_id!r} in {self.root}")
        trash = self.root / f"{_TRASH_PREFIX}{entry_id}-{secrets.token_hex(3)}"
        # Rename first so the entry disappears at once even if removing its files fails midway.
        os.replace(folder, trash)
        shutil.rmtree(trash, ignore_errors=True)

    # --- reading ---------------------------------------------------------------------------
    def entries(self) -> list[Entry]:
        """Every complete entry, newest first; damaged folders are skipped (and logged)."""
        return self.scan().entries

    def scan(self) -> Listing:
        """Every complete entry, newest first, and the folders of the damaged ones (logged,
        left as they are)."""
        found: list[Entry] = []
        damaged: list[Path] = []
        try:
            children = list(self.root.iterdir())
        except OSError as exc:
            log.warning("Cannot list the history folder %s: %s", self.root, exc)
            return Listing([], [])
        for child in children:
            if not _ID_RE.match(child.name) or not child.is_dir():
                continue
            try:
                found.append(_load_entry(child))
            except DamagedEntryError as exc:
                log.warning("Skipping damaged history entry %s: %s", child, exc)
                damaged.append(child)
        found.sort(key=lambda e: (e.created, e.id), reverse=True)
        return Listing(found, sorted(damaged))

    def get(self, entry_id: str) -> Entry:
        """The entry with this id; :class:`KeyError` when it does not exist or is damaged."""
        entry = _read_entry(self._folder(entry_id))
        if entry is None:
            raise KeyError(f"No history entry {entry_id!r} in {self.root}")
        return entry

    def __len__(self) -> int:
        return len(self.entries())

    # --- helpers ---------------------------------------------------------------------------
    def _folder(self, entry_id: str) -> Path:
        # Ids come from our own folder names; refusing anything else keeps a bad id from
        # ever pointing outside the library (e.g. "../..").
        if not _ID_RE.match(entry_id):
            raise KeyError(f"Not a history entry id: {entry_id!r}")
        return self.root / entry_id

    def _clean_leftovers(self) -> None:
        now = time.time()
        for child in self.root.iterdir():
            try:
                if child.name.startswith(_TRASH_PREFIX) or (
                    child.name.startswith(_TMP_PREFIX) and now - child.stat().st_mtime > _STALE_TMP_S
                ):
                    shutil.rmtree(child, ignore_errors=True)
            except OSError:  # another instance removed it first
                continue


def _new_id(created: datetime) -> str:
    # Sortable by time; the random suffix keeps two adds in the same microsecond apart.
    return created.strftime("%Y%m%d-%H%M%S-%f") + "-" + secrets.token_hex(3)


def _read_entry(folder: Path) -> Entry | None:
    """The entry in ``folder``, or None (logged) when it is damaged."""
    try:
        return _load_entry(folder)
    except DamagedEntryError as exc:
        log.warning("Skipping damaged history entry %s: %s", folder, exc)
        return None


def _load_entry(folder: Path) -> Entry:
    """The entry in ``folder``; :class:`DamagedEntryError` saying why it cannot be used."""
    image_path = folder / IMAGE_NAME
    thumb_path = folder / THUMB_NAME
    try:
        # RecursionError: deeply nested JSON ("[[[[..."), which the parser cannot follow.
        record = json.loads((folder / ENTRY_NAME).read_text(encoding="utf-8"))
        if not isinstance(record, dict):
            raise DamagedEntryError(f"{ENTRY_NAME} is not an object")
        created = datetime.fromisoformat(str(record["created"]))
    except (OSError, ValueError, KeyError, RecursionError) as exc:
        raise DamagedEntryError(str(exc) or type(exc).__name__) from exc
    metadata = record.get("metadata") or {}
    _check_metadata(metadata)
    if not image_path.is_file():
        raise DamagedEntryError(f"{IMAGE_NAME} is missing")
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    frames = folder / FRAMES_NAME
    return Entry(
        id=folder.name,
        folder=folder,
        image_path=image_path,
        thumb_path=thumb_path if thumb_path.is_file() else image_path,
        metadata=metadata,
        created=created,
        timelapse_path=frames if frames.is_file() else None,
    )


def _check_metadata(metadata: Any) -> None:
    """A record the GUI can read without checking each value: the known keys of the right type."""
    if not isinstance(metadata, dict):
        raise DamagedEntryError("metadata is not an object")
    for key, kind in _METADATA_TYPES.items():
        if key in metadata and not isinstance(metadata[key], kind):
            raise DamagedEntryError(f"{key!r} is a {type(metadata[key]).__name__}, not a {kind.__name__}")
    edits = metadata.get("edits", [])
    if not all(isinstance(edit, dict) and isinstance(edit.get("changes", {}), dict) for edit in edits):
        raise DamagedEntryError("'edits' holds something other than edits")
    inputs = metadata.get("inputs", {})
    weights = inputs.get("style_weights", [])
    if not isinstance(weights, list) or not all(_is_number(w) for w in weights):
        raise DamagedEntryError("'style_weights' is not a list of numbers")
    content = inputs.get("content")
    if not isinstance(inputs.get("styles", []), list) or not (content is None or isinstance(content, str)):
        raise DamagedEntryError("'inputs' does not name a photo and a list of styles")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _subsample(frames: list[npt.NDArray[np.uint8]], limit: int) -> list[npt.NDArray[np.uint8]]:
    if len(frames) <= limit:
        return frames
    # Evenly spaced, always keeping the first and the last frame.
    picks = np.linspace(0, len(frames) - 1, limit).round().astype(int)
    return [frames[i] for i in picks]
