"""The durable render queue: one SQLite file in the data folder, shared by the window and the CLI.

Stable API (the window's Queue panel is built on it; add, never rename):

- :class:`QueueStore` ``(path=None)``: opens (creates) ``<data folder>/queue/queue.sqlite3``
  in WAL mode; any number of stores, in any number of processes, may share the file. Opening
  one puts back to ``waiting`` every ``running`` job whose process died (:meth:`recover`).
- Adding: :meth:`add` ``(recipe, output, batch="", key="") -> QueuedJob``: the recipe is checked
  (``recipe.validate.check``, the one validation) and its input files are copied
  content-addressed (``queue.blobs``), so a photo moved or deleted afterwards still renders.
  Bad input does not raise: the job is stored ``failed`` with the one-line reason, so a batch
  goes on and its summary says why.
- Reading: :meth:`jobs` (in queue order; filter by ``statuses``/``ids``), :meth:`get`,
  :meth:`find` (a job of the same recipe key and output: a rerun of a batch), :meth:`paused`,
  :meth:`data_version` (changes when another store commits: poll it, re-read on a change).
- Steering (any process, any time): :meth:`move` (reorder), :meth:`set_place` (here or the
  farm), :meth:`pause`/:meth:`resume` the whole queue (with a message, e.g. a full disk),
  :meth:`cancel`/:meth:`cancel_all`, :meth:`retry`/:meth:`retry_failed`, :meth:`clear_finished`.
- Running (``queue.runner`` does this): :meth:`claim` takes the next waiting job in one
  ``BEGIN IMMEDIATE`` transaction, so two processes never take the same job; :meth:`renew` keeps
  its lease (False once the job was cancelled or taken back); :meth:`reserve_output`,
  :meth:`set_entry`, :meth:`mark_done`, :meth:`mark_failed`, :meth:`release` record its steps.

A job: a :class:`~nst_desktop.recipe.recipe.Recipe` (stored as ``recipe.to_record`` JSON, read back
with ``from_record``), an :class:`Output` (folder, file name; its format is the name's extension)
and a :class:`Status` with the reason of a failure. No Qt, no torch.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

from nst_desktop.engine.spec.errors import ImageError, NSTError
from nst_desktop.io import paths
from nst_desktop.queue.blobs import BlobStore
from nst_desktop.queue.job import FINISHED, INTERRUPTED, Output, Place, QueuedJob, Status
from nst_desktop.queue.owners import LEASE_S, STALE_LEASE_S, new_owner, owner_gone, register_owner
from nst_desktop.recipe.recipe import Recipe, StyleRef, from_record, to_record

# The job types and the owners' helpers are part of this module's API (queue.job, queue.owners).
__all__ = ["DB_NAME", "FINISHED", "INTERRUPTED", "LEASE_S", "STALE_LEASE_S", "Output", "Place", "QueueStore",
           "QueuedJob", "Status", "checkpoint_path", "default_path", "new_owner", "register_owner"]

DB_NAME = "queue.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT NOT NULL UNIQUE,
    position REAL NOT NULL,
    batch TEXT NOT NULL DEFAULT '',
    recipe TEXT NOT NULL,
    recipe_key TEXT NOT NULL DEFAULT '',
    inputs TEXT NOT NULL DEFAULT '{}',
    photo_w INTEGER NOT NULL DEFAULT 0,
    photo_h INTEGER NOT NULL DEFAULT 0,
    out_folder TEXT NOT NULL,
    out_name TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    owner TEXT,
    lease_until REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    output_path TEXT,
    entry_id TEXT,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    place TEXT NOT NULL DEFAULT 'local'
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status, position);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def default_path() -> Path:
    return paths.data_dir() / "queue" / DB_NAME


class QueueStore:
    """The queue's SQLite file (see the module docstring). Thread-safe: one lock per store."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        """Open (create) the queue; ImageError naming the file when it cannot be (a damaged file,
        a folder that cannot be written): one line, never a traceback."""
        self.path = Path(path) if path is not None else default_path()
        self.blobs = BlobStore(self.path.parent / "blobs")
        self.checkpoints = self.path.parent / "checkpoints"
        self._lock = threading.RLock()
        # A job's recipe never changes once stored: read back (checked, ~4 ms) once per job.
        self._recipes: dict[str, tuple[Recipe, str]] = {}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._open()
            self.recover()
        except (sqlite3.Error, OSError) as exc:
            raise ImageError(self.path, f"cannot open the render queue ({exc}).",
                             hint="Move the file away to start an empty queue.") from exc

    def _open(self) -> None:
        # Autocommit; writes take BEGIN IMMEDIATE themselves. A writer waits up to 30 s for another.
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a power cut may lose the last commits, never the file's consistency.
        db.execute("PRAGMA synchronous=NORMAL")
        self._db = db
        with self._write() as tx:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                tx.execute(statement)
            # A queue file from before the farm (issue 19): its jobs are painted here. In the
            # write transaction, so two processes opening it at once add the column once.
            if "place" not in {str(r["name"]) for r in tx.execute("PRAGMA table_info(jobs)")}:
                tx.execute("ALTER TABLE jobs ADD COLUMN place TEXT NOT NULL DEFAULT 'local'")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE): no other process writes
        between our read and our write, so a claim is atomic across processes."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # --- adding ------------------------------------------------------------------------------
    def add(self, recipe: Recipe, output: Output, *, batch: str = "", key: str = "",
            place: Place = Place.LOCAL) -> QueuedJob:
        """Queue ``recipe`` (checked, its inputs kept) to be painted at ``place``; a bad input
        makes it a ``failed`` job."""
        from nst_desktop.recipe.validate import check

        status, reason, inputs, hw = Status.WAITING, "", None, (0, 0)
        try:
            sizes = check(recipe)
            hw = sizes.photo_hw if sizes is not None else (0, 0)
            inputs = self._keep_inputs(recipe)
        except NSTError as exc:
            status, reason = Status.FAILED, exc.user_text()
        record = json.dumps(to_record(recipe), ensure_ascii=False)
        with self._write() as db:
            last = db.execute("SELECT MAX(position) FROM jobs").fetchone()[0]
            cursor = db.execute(
                "INSERT INTO jobs (uid, position, batch, recipe, recipe_key, inputs, photo_w, photo_h,"
                " out_folder, out_name, status, reason, created, place) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (os.urandom(8).hex(), (last or 0) + 1, batch, record, key, json.dumps(inputs or {}),
                 hw[1], hw[0], str(output.folder), output.name, status.value, reason, time.time(),
                 Place(place).value))
            job_id = int(cursor.lastrowid or 0)
        return self.get(job_id)

    def _keep_inputs(self, recipe: Recipe) -> dict[str, Any]:
        params = recipe.params
        init = params.init_image if params.init == "image" and params.init_image else None
        return {"photo": str(self.blobs.keep(recipe.photo)),
                "styles": [str(self.blobs.keep(p)) for p in recipe.style_paths],
                "init": str(self.blobs.keep(init)) if init else None}

    def keep_inputs_again(self, job: QueuedJob) -> QueuedJob:
        """A retried job that failed when added (or whose copies were cleared): copy its inputs
        now; NSTError naming the file if one still cannot be read."""
        inputs = self._keep_inputs(job.recipe)
        with self._write() as db:
            db.execute("UPDATE jobs SET inputs = ? WHERE id = ?", (json.dumps(inputs), job.id))
        return self.get(job.id)

    # --- reading -----------------------------------------------------------------------------
    def jobs(self, *, statuses: Collection[Status] | None = None,
             ids: Collection[int] | None = None) -> list[QueuedJob]:
        """The jobs in queue order, optionally only those of ``statuses`` / ``ids``."""
        where, args = _filters(statuses, ids)
        with self._lock:
            rows = self._db.execute(f"SELECT * FROM jobs {where} ORDER BY position, id", args).fetchall()
        return [self._job(row) for row in rows]

    def get(self, job_id: int) -> QueuedJob:
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise KeyError(f"No queued job {job_id}")
        return self._job(row)

    def find(self, key: str, output: Output) -> QueuedJob | None:
        """The latest job (not cancelled) of recipe key ``key`` writing to ``output``: a rerun's."""
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM jobs WHERE recipe_key = ? AND out_folder = ? AND out_name = ? AND status != ?"
                " ORDER BY id DESC LIMIT 1", (key, str(output.folder), output.name, Status.CANCELLED.value),
            ).fetchone()
        return self._job(row) if row is not None else None

    def data_version(self) -> int:
        """A number that changes when another store (another process, or another store object)
        commits a change: a view polls it (cheap) and re-reads the jobs only then."""
        with self._lock:
            return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def paused(self) -> tuple[bool, str]:
        """Whether the whole queue is paused, and the message it was paused with."""
        with self._lock:
            row = self._db.execute("SELECT value FROM state WHERE key = 'paused'").fetchone()
        return (row is not None, str(row[0]) if row is not None else "")

    def _job(self, row: sqlite3.Row) -> QueuedJob:
        uid = str(row["uid"])
        if uid not in self._recipes:
            self._recipes[uid] = _recipe(row["recipe"])
        return _job(row, *self._recipes[uid])

    # --- steering ----------------------------------------------------------------------------
    def pause(self, message: str = "") -> None:
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO state (key, value) VALUES ('paused', ?)", (message,))

    def resume(self) -> None:
        with self._write() as db:
            db.execute("DELETE FROM state WHERE key = 'paused'")

    def move(self, job_id: int, index: int) -> None:
        """Put ``job_id`` at ``index`` (0-based) of the queue's order."""
        with self._write() as db:
            order = [int(r[0]) for r in db.execute("SELECT id FROM jobs ORDER BY position, id")]
            if job_id not in order:
                raise KeyError(f"No queued job {job_id}")
            order.remove(job_id)
            order.insert(max(0, min(index, len(order))), job_id)
            db.executemany("UPDATE jobs SET position = ? WHERE id = ?",
                           [(i + 1, jid) for i, jid in enumerate(order)])

    def set_place(self, ids: Collection[int], place: Place) -> int:
        """Paint the jobs of ``ids`` (not done) at ``place``; how many moved. A running one is given
        back, waiting: its runner stops it at its next lease renewal (``Runner.recheck``: at once)."""
        marks = ",".join("?" * len(ids)) or "NULL"
        with self._write() as db:
            return db.execute(
                f"UPDATE jobs SET place = ?, owner = NULL, reason = '', status = CASE WHEN status = ? THEN ?"
                f" ELSE status END WHERE id IN ({marks}) AND place != ? AND status != ?",
                (place.value, Status.RUNNING.value, Status.WAITING.value, *[int(i) for i in ids],
                 place.value, Status.DONE.value)).rowcount

    def cancel(self, job_id: int) -> bool:
        """Cancel a waiting or running job (its runner stops it at its next lease renewal)."""
        return self._set_status([job_id], (Status.WAITING, Status.RUNNING), Status.CANCELLED) > 0

    def cancel_all(self) -> int:
        with self._write() as db:
            return db.execute(
                "UPDATE jobs SET status = ?, owner = NULL WHERE status IN (?, ?)",
                (Status.CANCELLED.value, Status.WAITING.value, Status.RUNNING.value)).rowcount

    def retry(self, job_id: int) -> bool:
        """A failed or cancelled job waits again (its reason cleared)."""
        return self._set_status([job_id], (Status.FAILED, Status.CANCELLED), Status.WAITING) > 0

    def retry_failed(self) -> int:
        ids = [job.id for job in self.jobs(statuses=[Status.FAILED])]
        return self._set_status(ids, (Status.FAILED,), Status.WAITING)

    def clear_finished(self) -> int:
        """Remove the done and cancelled jobs, and the kept inputs and checkpoints no job needs."""
        with self._write() as db:
            gone = [str(r[0]) for r in db.execute(
                "SELECT uid FROM jobs WHERE status IN (?, ?)", tuple(s.value for s in FINISHED))]
            removed = db.execute("DELETE FROM jobs WHERE status IN (?, ?)",
                                 tuple(s.value for s in FINISHED)).rowcount
        for uid in gone:
            checkpoint_path(self, uid).unlink(missing_ok=True)
        in_use = [p for job in self.jobs() for p in _blob_paths(job.inputs)]
        self.blobs.collect(in_use)
        return removed

    def _set_status(self, ids: list[int], allowed: tuple[Status, ...], status: Status) -> int:
        if not ids:
            return 0
        marks = ",".join("?" * len(ids))
        states = ",".join("?" * len(allowed))
        with self._write() as db:
            return db.execute(
                f"UPDATE jobs SET status = ?, reason = '', owner = NULL WHERE id IN ({marks})"
                f" AND status IN ({states})", (status.value, *ids, *(s.value for s in allowed))).rowcount

    # --- running -----------------------------------------------------------------------------
    def claim(self, owner: str, only: Collection[int] | None = None,
              place: Place | None = None) -> QueuedJob | None:
        """Take the next waiting job (of ``only`` and to be painted at ``place``, if given) for
        ``owner``; None when there is none or the queue is paused. Atomic across processes."""
        where, args = _filters([Status.WAITING], only)
        if place is not None:
            where, args = f"{where} AND place = ?", [*args, place.value]
        with self._write() as db:
            if db.execute("SELECT 1 FROM state WHERE key = 'paused'").fetchone() is not None:
                return None
            row = db.execute(f"SELECT id FROM jobs {where} ORDER BY position, id LIMIT 1", args).fetchone()
            if row is None:
                return None
            now = time.time()
            db.execute("UPDATE jobs SET status = ?, owner = ?, lease_until = ?, attempts = attempts + 1,"
                       " started = ?, reason = '' WHERE id = ?",
                       (Status.RUNNING.value, owner, now + LEASE_S, now, row[0]))
        return self.get(int(row[0]))

    def renew(self, job_id: int, owner: str) -> bool:
        """Extend ``owner``'s lease on a running job; False once it is no longer its to run."""
        return self._owned_update(job_id, owner, "lease_until = ?", (time.time() + LEASE_S,)) > 0

    def reserve_output(self, job_id: int, owner: str, wanted: Path, is_free: Callable[[Path], bool]) -> Path:
        """Choose and record, in one transaction, the file the job writes: ``wanted``, else
        ``stem-2``, ``stem-3``... The first that no other job has chosen and ``is_free`` accepts
        (queue.delivery: no file there, or this job's own)."""
        with self._write() as db:
            taken = {str(r[0]) for r in db.execute(
                "SELECT output_path FROM jobs WHERE output_path IS NOT NULL AND id != ?", (job_id,))}
            candidate, n = wanted, 1
            while str(candidate) in taken or not is_free(candidate):
                n += 1
                candidate = wanted.with_name(f"{wanted.stem}-{n}{wanted.suffix}")
            db.execute("UPDATE jobs SET output_path = ? WHERE id = ? AND owner = ?",
                       (str(candidate), job_id, owner))
        return candidate

    def set_entry(self, job_id: int, owner: str, entry_id: str) -> bool:
        return self._owned_update(job_id, owner, "entry_id = ?", (entry_id,)) > 0

    def mark_done(self, job_id: int, owner: str) -> bool:
        return self._owned_update(job_id, owner, "status = ?, owner = NULL, finished = ?",
                                  (Status.DONE.value, time.time())) > 0

    def mark_failed(self, job_id: int, owner: str, reason: str) -> bool:
        return self._owned_update(job_id, owner, "status = ?, owner = NULL, reason = ?, finished = ?",
                                  (Status.FAILED.value, reason, time.time())) > 0

    def release(self, job_id: int, owner: str, reason: str = "") -> bool:
        """Give a running job back to the queue (stopped, paused for a full disk): it waits again
        in its place, and goes on from its checkpoint."""
        return self._owned_update(job_id, owner, "status = ?, owner = NULL, reason = ?",
                                  (Status.WAITING.value, reason)) > 0

    def _owned_update(self, job_id: int, owner: str, assignments: str, args: tuple[Any, ...]) -> int:
        with self._write() as db:
            return db.execute(f"UPDATE jobs SET {assignments} WHERE id = ? AND owner = ? AND status = ?",
                              (*args, job_id, owner, Status.RUNNING.value)).rowcount

    def recover(self) -> list[int]:
        """Put back to waiting every running job whose runner is gone (its process died on this
        computer, or its lease ran out); their ids. A job goes on from its checkpoint."""
        with self._write() as db:
            rows = db.execute("SELECT id, owner, lease_until FROM jobs WHERE status = ?",
                              (Status.RUNNING.value,)).fetchall()
            lost = [int(r["id"]) for r in rows if owner_gone(r["owner"], r["lease_until"])]
            db.executemany("UPDATE jobs SET status = ?, owner = NULL, reason = ? WHERE id = ?",
                           [(Status.WAITING.value, INTERRUPTED, i) for i in lost])
        return lost


def checkpoint_path(store: QueueStore, uid: str) -> Path:
    """Where a job's picture at the end of its last finished scale is kept (queue.runner)."""
    return store.checkpoints / f"{uid}.png"


def _filters(statuses: Collection[Status] | None, ids: Collection[int] | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    if statuses is not None:
        clauses.append(f"status IN ({','.join('?' * len(statuses)) or 'NULL'})")
        args += [s.value for s in statuses]
    if ids is not None:
        clauses.append(f"id IN ({','.join('?' * len(ids)) or 'NULL'})")
        args += [int(i) for i in ids]
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), args


def _blob_paths(inputs: dict[str, Any] | None) -> list[str]:
    if not inputs:
        return []
    found = [inputs.get("photo"), *(inputs.get("styles") or []), inputs.get("init")]
    return [str(p) for p in found if p]


def _recipe(text: str) -> tuple[Recipe, str]:
    """The stored recipe, and "" or why it cannot be painted any more. A listing never fails on
    one such row: it shows the photo and styles the record names, and the runner fails the job."""
    record = json.loads(text)
    try:
        return from_record(record), ""
    except NSTError as exc:
        inputs = record.get("inputs") if isinstance(record, dict) else None
        inputs = inputs if isinstance(inputs, dict) else {}
        styles = tuple(StyleRef(str(p)) for p in inputs.get("styles") or [] if isinstance(p, str))
        return Recipe(str(inputs.get("content") or ""), styles), exc.user_text()


def _job(row: sqlite3.Row, recipe: Recipe, problem: str) -> QueuedJob:
    return QueuedJob(
        id=int(row["id"]), uid=str(row["uid"]), recipe=recipe, problem=problem,
        output=Output(str(row["out_folder"]), str(row["out_name"])), status=Status(row["status"]),
        reason=str(row["reason"]), batch=str(row["batch"]), recipe_key=str(row["recipe_key"]),
        inputs=json.loads(row["inputs"]) or None, photo_hw=(int(row["photo_h"]), int(row["photo_w"])),
        attempts=int(row["attempts"]), output_path=row["output_path"], entry_id=row["entry_id"],
        created=float(row["created"]), started=row["started"], finished=row["finished"], owner=row["owner"],
        place=Place(row["place"]))
