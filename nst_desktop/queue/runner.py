"""Runs the queue's jobs one after another through the one render path.

Stable API (the window runs it on its own thread; the CLI on the main one; add, never rename):

- :class:`Runner` ``(store, library=None, *, only=None, stylize_fn=None, on_progress=None,
  on_ended=None, preview_every=0)``; :meth:`Runner.run` claims and paints waiting jobs (of
  ``only``: job ids, if given) until none is left, the queue is paused or :meth:`Runner.stop`
  was called, and returns a :class:`RunSummary`. Call :meth:`stop` / :meth:`pause` /
  :meth:`resume` from any thread: a stop ends the current job after its step and gives it back
  to the queue; it goes on next time from its last finished scale (from the stopped picture
  itself when that was at full size).
- ``on_progress(QueueProgress)``: after each engine event: the job, "job ``index`` of ``count``",
  the engine's event (steps, scale, its own time left) and the time left for the whole queue
  (``queue.timing``). ``on_ended(JobOutcome)``: when a job ends (done, failed, cancelled, or
  given back).
- ``render_fn`` (a :class:`RenderFn`): paints each claimed job somewhere else than in this
  process (the render farm: ``farm.batch.FarmRender``); claiming, leases, stop and delivery stay
  the queue's. ``place``: claim only the jobs to be painted there (the window runs one runner
  per place); :meth:`recheck` looks at once whether the current job is still this runner's (the
  window cancelled or moved it) instead of at the next lease renewal.
- ``tally`` (``queue.timing.Tally``): shared by runners painting side by side (``queue.pool``:
  the farm's lanes) for "job i of n" and the time left; :meth:`retire` ends the run after the
  current job (a lane no longer needed).

Per job: the recipe is checked again (``recipe.validate.check``), built into the service Job from
the kept copies of its inputs (``recipe.jobs.job_for``), and painted by ``service.render.render``.
At the end of every scale but the last the picture is kept, atomically, as the job's checkpoint
(``store.checkpoint_path``); a job interrupted (killed, stopped) goes on from it with
``start_from``, as promote does. A job that goes on from an earlier picture (a recipe with
``continued_from``: the window's "Render at print size" queued) has that picture painted again
first, as ``render --params`` does, unless a checkpoint is further on (on the farm, the farm
does it: ``farm.inputs.render_request``). Finishing is exactly once
(``queue.delivery``). Bad input fails that job with its reason and the queue goes on; a full disk
(ENOSPC) pauses the queue with a message and gives the job back. The model and the weights are
loaded once per process (``engine.model.vgg.cached_model``, ``load_caffe_weights``'s cache): a
batch pays for them once.
"""

from __future__ import annotations

import errno
import logging
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from nst_desktop.engine.spec.control import RunControl
from nst_desktop.engine.spec.errors import NSTError
from nst_desktop.engine.spec.events import ImageArray, PreviewArray, ProgressEvent
from nst_desktop.io.library import Library
from nst_desktop.queue.delivery import Delivery
from nst_desktop.queue.store import (
    Place,
    QueuedJob,
    QueueStore,
    Status,
    checkpoint_path,
    new_owner,
    register_owner,
)
from nst_desktop.queue.timing import Tally, job_work
from nst_desktop.recipe.recipe import Recipe, StyleRef
from nst_desktop.service.job import Job
from nst_desktop.service.render import Rendered, StylizeFn, render

log = logging.getLogger(__name__)

RENEW_S = 5.0  # how often a running job's lease is renewed (store.LEASE_S is what it lasts)
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
STOPPED = "stopped; goes on from its last finished scale"


@dataclass(frozen=True)
class QueueProgress:
    """One progress report: job ``index`` of ``count`` (1-based), its engine event, the queue's time left."""

    job: QueuedJob
    index: int
    count: int
    event: ProgressEvent | None
    queue_left_s: float


@dataclass(frozen=True)
class JobOutcome:
    """How a job ended in this run: ``status`` done, failed, cancelled, or waiting (given back:
    stopped, or the disk is full); ``reason`` says why; ``path`` is the file written."""

    job: QueuedJob
    status: Status
    reason: str = ""
    path: Path | None = None
    seconds: float = 0.0


@dataclass
class RunSummary:
    outcomes: list[JobOutcome] = field(default_factory=list)
    stopped: bool = False  # Runner.stop() ended the run
    paused: str = ""  # the message the queue was paused with (a full disk), "" if not

    @property
    def failed(self) -> list[JobOutcome]:
        return [o for o in self.outcomes if o.status == Status.FAILED]


class RenderFn(Protocol):
    """Paints a claimed job elsewhere (the render farm): the picture and record, as ``render``'s."""

    def __call__(self, job: QueuedJob, service_job: Job, *, callback: Callable[[ProgressEvent], None],
                 control: RunControl) -> Rendered: ...


class Runner:
    """Paints the queue's jobs one after another (see the module docstring)."""

    def __init__(self, store: QueueStore, library: Library | None = None, *,
                 only: Collection[int] | None = None, stylize_fn: StylizeFn | None = None,
                 on_progress: Callable[[QueueProgress], None] | None = None,
                 on_ended: Callable[[JobOutcome], None] | None = None, preview_every: int = 0,
                 render_fn: RenderFn | None = None, place: Place | None = None,
                 tally: Tally | None = None) -> None:
        self.store, self.only, self.place = store, (set(only) if only is not None else None), place
        self._render_fn = render_fn
        self.owner = new_owner()
        self.delivery = Delivery(store, self.owner, library)
        self._stylize_fn, self._preview_every = stylize_fn, preview_every
        self._on_progress, self._on_ended = on_progress, on_ended
        self._control = RunControl()
        self._stop = threading.Event()
        self._retire = threading.Event()  # claim no other job (the current one goes on to its end)
        self._stopped_job = False  # a job ended stopped (Runner.stop): the summary says so
        self._held = False  # pause() until resume(), whichever job is current
        self._lock = threading.Lock()
        self._current: QueuedJob | None = None
        self._taken_away = False  # the current job was cancelled (or recovered) under us
        self._tally = tally or Tally()

    # --- steering, from any thread -------------------------------------------------------------
    def stop(self) -> None:
        """End the current job after its step (it goes on from its checkpoint) and start no other."""
        self._stop.set()
        with self._lock:
            self._control.stop()

    def retire(self) -> None:
        """Claim no other job once the current one has ended (painted to its end, not stopped)."""
        self._retire.set()

    def pause(self) -> None:
        """Hold the current job between two steps (the artist paints): it keeps its memory. A
        job that starts while held waits before its first step."""
        with self._lock:
            self._held = True
            self._control.pause()

    def resume(self) -> None:
        with self._lock:
            self._held = False
            self._control.resume()

    def recheck(self) -> None:
        """Stop the current job now if it is no longer this runner's (cancelled, moved elsewhere)."""
        job = self._current
        if job is not None and not self.store.renew(job.id, self.owner):
            with self._lock:
                if self._current is job:
                    self._taken_away = True
                    self._control.stop()

    @property
    def current(self) -> QueuedJob | None:
        return self._current

    # --- running -------------------------------------------------------------------------------
    def run(self) -> RunSummary:
        """Paint waiting jobs until none is left, the queue is paused or :meth:`stop` is called."""
        summary = RunSummary()
        register_owner(self.owner, True)
        beating = threading.Event()
        beat = threading.Thread(target=self._keep_lease, args=(beating,), name="queue-lease", daemon=True)
        beat.start()
        try:
            while not self._stop.is_set() and not self._retire.is_set():
                self.store.recover()
                job = self._tally.claim(lambda: self.store.claim(self.owner, self.only, self.place))
                if job is None:
                    break
                outcome = self._run_claimed(job)
                summary.outcomes.append(outcome)
                if self._on_ended is not None:
                    self._on_ended(outcome)
        finally:
            beating.set()
            beat.join()
            register_owner(self.owner, False)
        summary.stopped = self._stop.is_set() or self._stopped_job
        paused, message = self.store.paused()
        summary.paused = message if paused else ""
        return summary

    def _run_claimed(self, job: QueuedJob) -> JobOutcome:
        with self._lock:
            self._control = RunControl()
            if self._stop.is_set():  # a stop that came between the claim and this job's control
                self._control.stop()
            if self._held:  # paused between two jobs: the next one waits too (the artist paints)
                self._control.pause()
            self._current, self._taken_away = job, False
        try:
            return self._paint(job)
        except (NSTError, OSError) as exc:  # bad input, an unwritable folder: this job fails, not the queue
            return self._failed(job, exc)
        finally:
            self._current = None

    def _paint(self, job: QueuedJob) -> JobOutcome:
        if job.problem:
            return self._failed(job, None, job.problem)
        job = self._with_inputs(job)
        service_job = self._service_job(job)
        entry = self.delivery.entry_of(job)
        if entry is not None or self.delivery.written(job):  # finished before a kill: not painted again
            path = (self.delivery.finish_from_entry(job, entry, service_job) if entry is not None
                    else Path(str(job.output_path)))
            if entry is None:
                self.store.mark_done(job.id, self.owner)
            return self._ended(job, Status.DONE, path=path)
        checkpoint = checkpoint_path(self.store, job.uid)
        start = _read_checkpoint(checkpoint) if checkpoint.is_file() else None
        if start is not None:
            log.info("Job %s goes on from its checkpoint (%d x %d)", job.name, start.shape[1], start.shape[0])
            service_job = replace(service_job, start_from=start)
        elif job.recipe.continued_from is not None and self._render_fn is None:
            service_job = self._service_job(job, self._paint_earlier)  # the picture it goes on from
        on_event = self._progress_for(job)
        if self._render_fn is not None:
            rendered = self._render_fn(job, service_job, callback=on_event, control=self._control)
        else:
            rendered = render(service_job, callback=on_event, control=self._control,
                              preview_every=self._preview_every, stylize_fn=self._stylize_fn)
        return self._after_render(job, rendered, service_job)

    def _after_render(self, job: QueuedJob, rendered: Rendered, service_job: Job) -> JobOutcome:
        checkpoint = checkpoint_path(self.store, job.uid)
        if self._taken_away:  # cancelled, or moved to another place (it waits there)
            if self._latest(job).status == Status.WAITING:
                return self._ended(job, Status.WAITING, "moved")
            return self._ended(job, Status.CANCELLED, "cancelled")
        if rendered.result.stopped:  # Runner.stop(): keep the picture, give the job back
            self._stopped_job = True
            # At full size the stopped picture is refined there next time. A coarser one is not
            # kept: going on from it would skip the rest of its scale; the last scale's end is.
            if max(rendered.image.shape[:2]) >= job.recipe.params.size:
                _write_checkpoint(checkpoint, rendered.image)
            self.store.release(job.id, self.owner, STOPPED)
            return self._ended(job, Status.WAITING, STOPPED)
        try:
            path = self.delivery.finish(job, rendered, service_job)
        except (NSTError, OSError) as exc:
            if not _disk_full(exc):
                raise
            return self._disk_full(job, exc, rendered.image)
        checkpoint.unlink(missing_ok=True)
        self._tally.finished(job_work(job.recipe.params, job.photo_hw), rendered.result.elapsed_s)
        return self._ended(job, Status.DONE, path=path, seconds=rendered.result.elapsed_s)

    def _with_inputs(self, job: QueuedJob) -> QueuedJob:
        """The job with its kept copies: copied now if they are missing (a job that failed when
        added and was retried, or copies cleared meanwhile)."""
        kept = job.inputs or {}
        paths = [kept.get("photo"), *(kept.get("styles") or [])]
        if kept and all(p and Path(p).is_file() for p in paths):
            return job
        return self.store.keep_inputs_again(job)

    def _service_job(self, job: QueuedJob, paint_earlier: Callable[[Job], ImageArray] | None = None) -> Job:
        """Checked again (the one validation) and built from the kept copies of the inputs;
        ``paint_earlier``: a promoted job's earlier picture painted again (``job_for``)."""
        from nst_desktop.recipe.jobs import job_for
        from nst_desktop.recipe.validate import check

        recipe = kept_recipe(job)
        try:
            check(recipe)
            return job_for(recipe, "full", paint_earlier=paint_earlier)
        except NSTError as exc:  # name the artist's file, not the copy
            raise _renamed(exc, job) from exc

    def _paint_earlier(self, earlier: Job) -> ImageArray:
        """An earlier picture of a promoted job, painted again through the one render path (a
        stop lands there too: the job then stops at its first step, and is given back)."""
        rendered = render(earlier, control=self._control, preview_every=0, stylize_fn=self._stylize_fn)
        return rendered.result.image

    def _progress_for(self, job: QueuedJob) -> Callable[[ProgressEvent], None]:
        checkpoint = checkpoint_path(self.store, job.uid)
        scope: list[QueuedJob] = []

        def waiting_now() -> int:
            scope[:] = [j for j in self.store.jobs(statuses=[Status.WAITING], ids=self.only)
                        if self.place is None or j.place == self.place]
            return len(scope)

        index, count = self._tally.number(job.id), self._tally.count(waiting_now)
        waiting = sum(job_work(j.recipe.params, j.photo_hw) for j in scope if j.id != job.id)
        work = job_work(job.recipe.params, job.photo_hw)

        def on_event(event: ProgressEvent) -> None:
            if event.is_step and event.step == event.scale_steps and event.preview is not None \
                    and event.scale_index < event.scale_count - 1:
                try:  # a scale is done: a restart goes on from here
                    _write_checkpoint(checkpoint, event.preview)
                except (NSTError, OSError) as exc:  # a bonus; a full disk pauses the queue at the end
                    log.warning("No checkpoint for job %s: %s", job.name, exc)
            if self._on_progress is not None:
                self._on_progress(QueueProgress(job, index, count, event,
                                                self._tally.left(event, work, waiting)))

        return on_event

    def _keep_lease(self, ended: threading.Event) -> None:
        """Renew the running job's lease; stop it once it was cancelled or taken away."""
        while not ended.wait(RENEW_S):
            self.recheck()

    # --- endings -------------------------------------------------------------------------------
    def _failed(self, job: QueuedJob, exc: NSTError | OSError | None, reason: str = "") -> JobOutcome:
        if exc is not None and _disk_full(exc):
            return self._disk_full(job, exc, None)
        text = reason or (_reason(exc) if exc is not None else "failed")
        log.warning("Queued job %s failed: %s", job.name, text)
        self.store.mark_failed(job.id, self.owner, text)
        return self._ended(job, Status.FAILED, text)

    def _disk_full(self, job: QueuedJob, exc: BaseException, image: ImageArray | None) -> JobOutcome:
        text = f"The disk is full: {exc}. The queue is paused; free some space and resume it."
        self.store.pause(text)
        if image is not None:
            try:
                _write_checkpoint(checkpoint_path(self.store, job.uid), image)
            except OSError:
                log.warning("No room for job %s's checkpoint either", job.name)
        self.store.release(job.id, self.owner, "the disk is full")
        return self._ended(job, Status.WAITING, text)

    def _ended(self, job: QueuedJob, status: Status, reason: str = "", *, path: Path | None = None,
               seconds: float = 0.0) -> JobOutcome:
        return JobOutcome(self._latest(job), status, reason, path, seconds)

    def _latest(self, job: QueuedJob) -> QueuedJob:
        try:
            return self.store.get(job.id)
        except KeyError:  # cleared meanwhile
            return job


def kept_recipe(job: QueuedJob) -> Recipe:
    """The job's recipe reading the kept copies of its inputs (queue.blobs)."""
    kept = job.inputs or {}
    recipe = job.recipe
    styles = tuple(StyleRef(path, s.weight) for path, s in zip(kept["styles"], recipe.styles, strict=True))
    params = recipe.params
    if kept.get("init"):
        params = params.with_changes(init_image=kept["init"])
    return replace(recipe, photo=kept["photo"], styles=styles, params=params)


def _renamed(exc: NSTError, job: QueuedJob) -> NSTError:
    """``exc`` naming the artist's files instead of their kept copies."""
    text = exc.user_text()
    kept = job.inputs or {}
    originals = [job.recipe.photo, *job.recipe.style_paths]
    for copy, original in zip([kept.get("photo"), *(kept.get("styles") or [])], originals, strict=False):
        if copy:
            text = text.replace(str(copy), original)
    return NSTError(text)


def _reason(exc: NSTError | OSError) -> str:
    if isinstance(exc, NSTError):
        return exc.user_text()
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc}"


def _disk_full(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in DISK_FULL:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _write_checkpoint(path: Path, image: ImageArray | PreviewArray) -> None:
    from nst_desktop.io.images import save_image

    path.parent.mkdir(parents=True, exist_ok=True)
    save_image(image, path, None)  # atomic (io.atomic): a kill never leaves half a checkpoint


def _read_checkpoint(path: Path) -> ImageArray | None:
    """The checkpoint's picture; None (the job starts afresh) when it cannot be read."""
    from nst_desktop.io.images import load_image

    try:
        return load_image(path)
    except NSTError as exc:
        log.warning("Checkpoint %s unreadable, the job starts afresh: %s", path, exc.user_text())
        return None
