"""Exactly once: a finished job's picture lands once in the history and once in its output folder.

A process can be killed between any two of the steps that finish a job (history entry written,
file written, job marked done). Each step is made idempotent by a marker: the picture's record
carries ``"queue": {"job": <the job's uid>, "recipe": <its recipe key>}``. Before a step is
done again after a restart, what it would write is looked for by that marker:

1. the history entry: recorded in the store (``entry_id``) once written; a job run a second time
   (``attempts > 1``) looks for an entry with its uid first (a kill after the write, before the
   store heard of it);
2. the output file: its path is chosen and stored before it is written (a file of that name
   that is not this job's is never replaced: ``name-2.png`` is taken instead), written
   atomically (``io.atomic``: no half file under the final name), and not written again if the
   file there already carries this job's uid;
3. the job is marked done.

A job whose history entry and file both exist is marked done without being painted again; one
with an entry but no file is written from the entry's picture.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from nst_desktop.engine.spec.errors import ImageError
from nst_desktop.engine.spec.events import RunResult
from nst_desktop.io.library import Entry, Library
from nst_desktop.queue.store import QueuedJob, QueueStore
from nst_desktop.service.job import Job
from nst_desktop.service.render import Rendered, save

log = logging.getLogger(__name__)

MARKER_KEY = "queue"


def marked(metadata: dict[str, Any], job: QueuedJob) -> dict[str, Any]:
    """``metadata`` with the job's marker and its inputs named as the artist chose them (the run
    read the kept copies, queue.blobs)."""
    recipe = job.recipe
    inputs = {**metadata.get("inputs", {}), "content": recipe.photo, "styles": list(recipe.style_paths)}
    params = dict(metadata.get("params", {}))
    if params.get("init_image"):
        params["init_image"] = recipe.params.init_image
    return {**metadata, "inputs": inputs, "params": params,
            MARKER_KEY: {"job": job.uid, "recipe": job.recipe_key}}


def marker_of(path: str | Path) -> dict[str, Any]:
    """The queue marker in a picture's record; {} for a file without one (or unreadable)."""
    from nst_desktop.io.images import read_metadata

    try:
        record = read_metadata(path)
    except (ImageError, OSError):
        return {}
    found = record.get(MARKER_KEY) if isinstance(record, dict) else None
    return found if isinstance(found, dict) else {}


@dataclass
class Delivery:
    """Finishes jobs for one runner (see the module docstring)."""

    store: QueueStore
    owner: str
    library: Library | None

    def entry_of(self, job: QueuedJob) -> Entry | None:
        """The job's history entry, if one was written (by this or an interrupted run)."""
        if self.library is None:
            return None
        if job.entry_id:
            try:
                return self.library.get(job.entry_id)
            except KeyError:
                return None
        if job.attempts <= 1:  # a first run wrote nothing yet: no need to read the whole history
            return None
        for entry in self.library.entries():
            if entry.metadata.get(MARKER_KEY, {}).get("job") == job.uid:
                return entry
        return None

    def written(self, job: QueuedJob) -> bool:
        """Whether the job's output file is there, written by this job."""
        return bool(job.output_path) and marker_of(str(job.output_path)).get("job") == job.uid

    def finish(self, job: QueuedJob, rendered: Rendered, service_job: Job) -> Path:
        """History entry, then output file, then done; each step skipped when already made."""
        rendered = replace(rendered, metadata=marked(rendered.metadata, job))
        if self.library is not None and self.entry_of(job) is None:
            entry = self.library.add(rendered.image, rendered.metadata, mask=rendered.mask)
            self.store.set_entry(job.id, self.owner, entry.id)
        path = self._write(job, rendered, service_job)
        self.store.mark_done(job.id, self.owner)
        return path

    def finish_from_entry(self, job: QueuedJob, entry: Entry, service_job: Job) -> Path:
        """The history holds the job's picture (a kill came after that step): write its file from
        there, without painting again."""
        from nst_desktop.io.images import load_image
        from nst_desktop.io.masks import MASK_KEY, mask_from_record

        image = load_image(entry.image_path)
        mask = (mask_from_record(entry.metadata, entry.folder, image.shape[:2])
                if isinstance(entry.metadata.get(MASK_KEY), dict) else None)
        # Only the picture, its record and its mask are written; the run's other results are gone.
        result = RunResult(image, service_job.params, False, 0, 0.0, {}, "")
        self.store.set_entry(job.id, self.owner, entry.id)
        path = self._write(job, Rendered(result, entry.metadata, mask), service_job)
        self.store.mark_done(job.id, self.owner)
        return path

    def _write(self, job: QueuedJob, rendered: Rendered, service_job: Job) -> Path:
        if self.written(job):
            return Path(str(job.output_path))
        # Chosen and stored before the write, so a restart finds it; a file there that is not this
        # job's (another job's, or the artist's) is never replaced.
        path = Path(job.output_path) if job.output_path else self.store.reserve_output(
            job.id, self.owner, job.output.path,
            lambda p: not p.exists() and not p.is_symlink() or marker_of(p).get("job") == job.uid)
        path.parent.mkdir(parents=True, exist_ok=True)
        return save(rendered, service_job, path)
