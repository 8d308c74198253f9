"""A queued job as the store reads it: its status, its output and what it paints."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from nst_desktop.recipe.recipe import Recipe


class Status(StrEnum):
    WAITING = "waiting"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Place(StrEnum):
    """Where a job is painted (issue 19): on this computer or on the render farm. Stored with the
    job, so the choice survives a restart; each of the window's two painters claims only its own."""

    LOCAL = "local"
    FARM = "farm"


INTERRUPTED = "interrupted; goes on from its last finished scale"
FINISHED = (Status.DONE, Status.CANCELLED)  # what "clear finished" removes


@dataclass(frozen=True)
class Output:
    """Where a job's picture goes: a folder and a file name (its extension is the format)."""

    folder: str
    name: str

    @property
    def path(self) -> Path:
        return Path(self.folder) / self.name

    @property
    def format(self) -> str:
        return Path(self.name).suffix.lower().lstrip(".")


@dataclass(frozen=True)
class QueuedJob:
    """One row of the queue. ``inputs``: the kept copies (``photo``, ``styles``, ``init``) once
    added; ``output_path``: the file actually written (another file of the same name is never
    replaced); ``entry_id``: its history entry."""

    id: int
    uid: str
    recipe: Recipe
    output: Output
    status: Status
    reason: str = ""
    batch: str = ""
    recipe_key: str = ""
    inputs: dict[str, Any] | None = None
    photo_hw: tuple[int, int] = (0, 0)
    attempts: int = 0
    output_path: str | None = None
    entry_id: str | None = None
    created: float = 0.0
    started: float | None = None
    finished: float | None = None
    owner: str | None = None
    problem: str = ""  # why the stored recipe cannot be read back (a weight set removed since): it fails
    place: Place = Place.LOCAL

    @property
    def name(self) -> str:
        return self.output.name
