"""The window's render queue: adding jobs, painting them in the background behind the artist,
showing and announcing what they became (issue 18.3).

:class:`QueueController` takes only its collaborators: the durable store (``queue.store``), the
history's library, a recipe provider (the recipe on screen), the output folder, a notifier
(``gui.notify``) and the engine function. It owns the :class:`~nst_desktop.gui.queue_panel.QueuePanel`
and the :class:`~nst_desktop.gui.queue_thread.QueueThread`, and:

- adds jobs in the background (the store copies each input, content-addressed): the recipe on
  screen at full size (:meth:`add_current`), the picture on show going on to a print's size
  (:meth:`add_at_size`), one per variation of the Variations grid
  (:meth:`add_variations`), a Batch dialog's planned jobs (:meth:`add_planned`, through
  ``cli.batch.enqueue``: what is already painted is skipped, as ``nst-desktop batch`` does);
- paints whenever there is work (:meth:`kick`), and at start goes on with what a crash, a kill or
  a quit left (:meth:`resume_at_start`: the store put its running jobs back to waiting; each
  goes on from its last finished scale);
- puts the artist first: :meth:`watch_runs` (the window's run thread) and :meth:`watch_variations`
  hold the queue while the artist paints (see ``gui.queue_thread``), and it resumes
  ``resume_delay_ms`` after their painting ended (a next quick look usually follows within
  seconds; the queue does not grab the cores in between);
- emits ``entryAdded`` with the history entry of each finished job, once (the history strip's
  ``add_entry`` ignores an entry it shows already), and notifies when a job fails and when the
  queue is done;
- with a ``farm`` link (issue 19), paints the jobs marked for the render farm on a second painter
  (``gui.queue_farm.FarmPainter``) side by side with this computer's, and adds new jobs where the
  panel's "Run on" says; a cancel or a move in the panel stops the job's painter at once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QStandardPaths, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QWidget

from nst_desktop.engine.spec.errors import NSTError
from nst_desktop.engine.spec.region_masks import RegionMask
from nst_desktop.engine.spec.touches import Touches
from nst_desktop.engine.spec.variations import Variation
from nst_desktop.gui.background import run_in_background
from nst_desktop.gui.held_inputs import is_file, pasted_name
from nst_desktop.gui.notify import Notifier
from nst_desktop.gui.queue_farm import FarmLink, FarmPainter, PlaceControls
from nst_desktop.gui.queue_panel import USER_PAUSE, QueuePanel
from nst_desktop.gui.queue_thread import QueueThread
from nst_desktop.gui.worker import RunThread
from nst_desktop.io.library import Entry, Library
from nst_desktop.queue.batch import DEFAULT_PATTERN, PlannedJob, file_name, recipe_key
from nst_desktop.queue.runner import JobOutcome, RunSummary
from nst_desktop.queue.store import Output, Place, QueuedJob, QueueStore, Status
from nst_desktop.recipe.picture import Picture
from nst_desktop.recipe.recipe import Recipe
from nst_desktop.service.render import StylizeFn

RecipeProvider = Callable[[], Recipe]
"""The recipe on screen; raises NSTError saying what is missing (no photo file, no style)."""
SINGLE_PATTERN = "{photo}_{style}.png"  # "Add current": a second one of the same name gets "-2"
RESUME_DELAY_MS = 3000
START_DELAY_MS = 4000  # at start: after the window shows and the engine's warm-up began


class QueueController(QObject):
    """See the module docstring."""

    entryAdded = Signal(object)  # Entry: a finished job's history entry
    entryOpened = Signal(object)  # Entry: "Open" on a done job
    jobsAdded = Signal(int)  # how many jobs were queued (the dock shows itself)
    errorOccurred = Signal(str)

    def __init__(self, store: QueueStore, library: Library | None, recipe: RecipeProvider,
                 output_folder: Callable[[], str], notifier: Notifier, *, stylize_fn: StylizeFn | None = None,
                 parent: QObject | None = None, resume_delay_ms: int = RESUME_DELAY_MS,
                 farm: FarmLink | None = None) -> None:
        super().__init__(parent)
        self.store, self.library = store, library
        self._recipe, self._output_folder, self.notifier = recipe, output_folder, notifier
        self.painter = QueueThread(store, library, stylize_fn, self, place=Place.LOCAL)
        self.panel = QueuePanel(store)
        self.farm = FarmPainter(store, library, farm, self.panel.view, self) if farm else None
        self.places = PlaceControls(self.panel, farm, self) if farm else None
        self._busy: set[str] = set()  # who paints: "run", "variations"
        self._entries_sent: set[str] = set()  # history entries of done jobs already emitted
        self._closed = False
        self._crashed = False  # an unforeseen error: not restarted by itself (it would loop)
        self._ended = [0, 0]  # jobs done and failed since the queue was last done
        self._release = QTimer(self)
        self._release.setSingleShot(True)
        self._release.setInterval(resume_delay_ms)
        self._release.timeout.connect(self._on_release)
        self._connect()

    def _connect(self) -> None:
        for painter in self._painters():
            painter.progressed.connect(self.panel.show_progress)
            painter.jobEnded.connect(self._on_job_ended)
            painter.ranOut.connect(self._on_ran_out)
            painter.crashed.connect(self._on_crashed)
        if self.farm is not None and self.places is not None:
            self.farm.painter.waiting.connect(lambda *_: self.panel.refresh())  # the row's note
            self.farm.lineChanged.connect(self.places.show_line)
            self.panel.jobsRead.connect(self.farm.show_line)
        self.panel.changed.connect(self._on_panel_changed)
        self.panel.pauseRequested.connect(self._on_pause_requested)
        self.panel.openRequested.connect(self.open_job)
        self.panel.addRequested.connect(self.add_current)
        self.panel.jobsRead.connect(self._on_jobs_read)

    # --- painting ----------------------------------------------------------------------------------
    def _painters(self) -> list[QueueThread]:
        return [self.painter] + ([self.farm.painter] if self.farm is not None else [])

    def kick(self) -> bool:
        """Paint the waiting jobs in the background, here and on the farm, if there are some;
        False if nothing started."""
        if self._closed:
            return False
        on_farm = self.farm is not None and self.farm.kick()
        if self.painter.running or self.store.paused()[0]:
            return on_farm
        if not any(j.place == Place.LOCAL for j in self.store.jobs(statuses=[Status.WAITING])):
            return on_farm
        self._crashed = False
        return self.painter.start() or on_farm

    def farm_changed(self) -> None:
        """Settings ▸ Render farm changed: the farm's jobs go there now (one that refused is asked again)."""
        if self.farm is not None:
            self.farm.retry()
        self.kick()

    def place(self) -> Place:
        """Where jobs added now are painted: the panel's "Run on" (this computer without a farm link)."""
        return self.places.place if self.places is not None else Place.LOCAL

    def resume_at_start(self, delay_ms: int = START_DELAY_MS) -> None:
        """Go on with the jobs a crash, a kill or a quit left (after the window is up)."""
        if self.store.jobs(statuses=[Status.WAITING, Status.RUNNING]):
            self.jobsAdded.emit(0)  # the dock shows what is left
        QTimer.singleShot(delay_ms, self, self.kick)

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """The window closes: the job being painted stops after its step and goes on at the next start."""
        self._closed = True
        self.panel.stop_refreshing()
        return all([painter.shutdown(timeout_ms) for painter in self._painters()])

    # --- the artist comes first --------------------------------------------------------------------
    def watch_runs(self, runner: RunThread) -> None:
        """Hold the queue while ``runner`` (the window's) paints: from its start to its ``done``.
        Slots of this object: the worker's signals come from its thread, queued to this one."""
        runner.worker.started.connect(self._on_run_started)
        runner.worker.done.connect(self._on_run_done)

    @Slot()
    def _on_run_started(self) -> None:
        self.set_artist_painting("run", True)

    @Slot()
    def _on_run_done(self) -> None:
        self.set_artist_painting("run", False)

    def watch_variations(self, dialog: Any) -> None:
        """The Variations grid: held for the whole grid (not released between two of its
        pictures); its "Queue all" queues each variation at full size."""
        dialog.runningChanged.connect(lambda running: self.set_artist_painting("variations", running))
        dialog.finished.connect(lambda *_: self.set_artist_painting("variations", False))
        dialog.queueAllRequested.connect(self.add_variations)

    def set_artist_painting(self, source: str, painting: bool) -> None:
        if painting:
            self._release.stop()
            self._busy.add(source)
            if not self.painter.gate.held:
                self.painter.gate.hold()
                self.panel.set_held(True)
            return
        self._busy.discard(source)
        if not self._busy and self.painter.gate.held:
            self._release.start()

    @Slot()
    def _on_release(self) -> None:
        if not self._busy:
            self.painter.gate.release()
            self.panel.set_held(False)
            self.kick()

    # --- adding --------------------------------------------------------------------------------------
    def add_current(self) -> None:
        """Queue the recipe on screen at full size."""
        try:
            recipe = self._recipe().fresh()
        except NSTError as exc:
            self.errorOccurred.emit(exc.user_text())
            return
        name = file_name(SINGLE_PATTERN, recipe.photo, recipe.styles, 1)
        self._add_in_background([(recipe, Output(self._output_folder(), name))])

    def add_at_size(self, long_side: int, picture: Picture | None) -> None:
        """Queue ``picture`` (the one on show) going on to ``long_side``, keeping its composition:
        Export's "Queue at print size". The queue paints it again from its record first, then the
        larger scales from it (``queue.runner``), as ``render --params`` would."""
        from nst_desktop.io.masks import with_start_pixels
        from nst_desktop.recipe.jobs import promote_problem

        try:
            base = self._recipe()
        except NSTError as exc:
            self.errorOccurred.emit(exc.user_text())
            return
        recipe = base.with_params(base.params.with_changes(size=long_side))
        problem = promote_problem(recipe, picture)
        if problem or picture is None:
            self.errorOccurred.emit(f"Queue at print size: {problem.lower()}.")
            return
        # The picture's record, with the mask it was painted with, is what the queue paints again.
        recipe = replace(recipe, continued_from=with_start_pixels(dict(picture.record), picture.mask))
        name = file_name(SINGLE_PATTERN, recipe.photo, recipe.styles, 1)
        self._add_in_background([(recipe, Output(self._output_folder(), name))])

    @Slot(object)
    def add_variations(self, variations: Sequence[Variation]) -> None:
        """One full-size job per variation of the grid (its settings and blend)."""
        try:
            base = self._recipe().fresh()
        except NSTError as exc:
            self.errorOccurred.emit(exc.user_text())
            return
        jobs = []
        for n, variation in enumerate(variations, start=1):
            styles = tuple(replace(s, weight=w) for s, w in zip(base.styles, variation.blend, strict=True))
            recipe = replace(base, styles=styles, params=variation.params)
            jobs.append((recipe, Output(self._output_folder(), file_name(DEFAULT_PATTERN, recipe.photo,
                                                                          recipe.styles, n))))
        self._add_in_background(jobs)

    @Slot(object)
    def add_planned(self, planned: Sequence[PlannedJob]) -> None:
        """A Batch dialog's jobs; those already painted with the same recipe are skipped."""
        from nst_desktop.cli.batch import enqueue

        batch, place = os.urandom(4).hex(), self.place()
        run_in_background(lambda: _counts(enqueue(self.store, planned, batch, place)),
                          on_success=self._on_added, on_failure=self._on_add_failed, parent=self.panel)

    def _add_in_background(self, jobs: list[tuple[Recipe, Output]]) -> None:
        batch, place = (os.urandom(4).hex() if len(jobs) > 1 else ""), self.place()
        # The key marks each picture with what it paints, as a batch's (queue.batch.recipe_key).
        run_in_background(lambda: _counts(([self.store.add(r, o, batch=batch, key=recipe_key(r, o),
                                                           place=place) for r, o in jobs], [])),
                          on_success=self._on_added, on_failure=self._on_add_failed, parent=self.panel)

    def _on_added(self, counts: tuple[int, int, int]) -> None:
        added, failed, skipped = counts
        self.panel.refresh()
        text = f"Queued {added} job{'s' * (added != 1)}"
        if failed:
            text += f"; {failed} cannot be painted (see the Queue panel)"
        if skipped:
            text += f"; {skipped} already painted, skipped"
        self.notifier.status(text + ".")
        self.jobsAdded.emit(added)
        self.kick()

    def _on_add_failed(self, exc: object) -> None:
        text = exc.user_text() if isinstance(exc, NSTError) else f"Could not queue: {exc}"
        self.errorOccurred.emit(text)

    # --- what the painter reports ----------------------------------------------------------------------
    @Slot(object, object)
    def _on_job_ended(self, outcome: JobOutcome, entry: Entry | None) -> None:
        if entry is not None and entry.id not in self._entries_sent:  # before the panel reads it done
            self._entries_sent.add(entry.id)
            self.entryAdded.emit(entry)
        self.panel.refresh()
        if outcome.status == Status.FAILED:
            self.notifier.notify("A queued job failed", f"{outcome.job.name}: {outcome.reason}", failure=True)

    @Slot(object)
    def _on_jobs_read(self, jobs: list[QueuedJob]) -> None:
        """Jobs another process (``nst-desktop batch``) finished: their entries reach the history
        strip too, while that batch still runs (read in the background; the strip shows an entry
        once)."""
        new = [str(j.entry_id) for j in jobs if j.status == Status.DONE and j.entry_id
               and j.entry_id not in self._entries_sent]
        if not new or self.library is None:
            return
        self._entries_sent.update(new)
        run_in_background(_read_entries, self.library, new, on_yield=self.entryAdded.emit, parent=self.panel)

    @Slot(object)
    def _on_ran_out(self, summary: RunSummary) -> None:
        self.panel.refresh()
        if self._closed:
            return
        if summary.paused and summary.paused != USER_PAUSE:
            self.notifier.notify("The queue is paused", summary.paused, failure=True)
            return
        # Both painters' (here and the farm's) until the whole queue is done.
        self._ended[0] += sum(1 for o in summary.outcomes if o.status == Status.DONE)
        self._ended[1] += len(summary.failed)
        if self._crashed or summary.stopped or self.kick():
            return
        (done, failed), unfinished = self._ended, self.store.jobs(statuses=[Status.WAITING, Status.RUNNING])
        if (done or failed) and not unfinished:
            self._ended = [0, 0]
            text = f"{done} picture{'s' * (done != 1)} painted" + (f", {failed} failed" if failed else "")
            self.notifier.notify("The queue is done", text + ".", failure=bool(failed))

    @Slot(str)
    def _on_crashed(self, text: str) -> None:
        self._crashed = True
        self.notifier.notify("The queue stopped", text, failure=True)

    @Slot()
    def _on_panel_changed(self) -> None:
        """Steered in the panel: a job cancelled or moved stops now; a farm that refused is asked again."""
        for painter in self._painters():
            painter.recheck()
        if self.farm is not None:
            self.farm.retry()
        self.kick()

    @Slot(bool)
    def _on_pause_requested(self, paused: bool) -> None:
        if paused:
            for painter in self._painters():
                painter.stop()  # the current job keeps its picture and waits in its place
        else:
            self.kick()

    @Slot(object)
    def open_job(self, job: QueuedJob) -> None:
        """A done job: its history entry on the canvas (or its file, without a history)."""
        if self.library is not None and job.entry_id:
            try:
                self.entryOpened.emit(self.library.get(job.entry_id))
                return
            except KeyError:
                pass  # deleted from the history meanwhile: its file is what is left
        self.panel.show_file()

    def batch_dialog(self, parent: QWidget | None = None, **choosers: Any) -> Any:
        """A Batch dialog on the recipe on screen (its styles checked), queueing into this queue."""
        from nst_desktop.gui.batch_dialog import BatchDialog

        try:
            base: Recipe | None = self._recipe()
        except NSTError:
            base = None  # no photo on screen: the batch names its own
        dialog = BatchDialog(base, self._output_folder(), parent, **choosers)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one per opening, not kept after
        dialog.planned.connect(self.add_planned)
        return dialog


def queue_recipe(recipe: Recipe, mask: RegionMask | None = None) -> Recipe:
    """The document's recipe as the queue paints it: its inputs must be files (the queue keeps a
    copy of each), ``mask`` the one the Mask dock paints with now, no after-touches (they belong to
    the picture on show). NSTError saying what is missing."""
    if not recipe.photo:
        raise NSTError("Add a photo first: File ▸ Open photo, or drop one on the left.")
    if not is_file(recipe.photo):
        raise NSTError(f"The photo '{pasted_name(recipe.photo)}' was pasted and has no file: save it, "
                       "then open it, to queue it.")
    if not recipe.styles or sum(recipe.blend) <= 0:
        raise NSTError("Add at least one style image with a blend weight above 0.")
    for style in recipe.styles:
        if not is_file(style.path):
            raise NSTError(f"The style '{pasted_name(style.path)}' was pasted and has no file: save it, "
                           "then add it, to queue it.")
    return replace(recipe, touches=Touches(), mask=mask).fresh()


def output_folder(chosen: str) -> str:
    """Where "Add current" and Queue all write: the folder chosen in the settings, else the
    system's Pictures folder's "NST Desktop"."""
    if chosen:
        return chosen
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return str(Path(pictures or Path.home()) / "NST Desktop")


def _read_entries(library: Library, entry_ids: list[str]) -> Iterator[Entry]:
    """In a worker: the history entries still there (one deleted from the history is skipped)."""
    for entry_id in entry_ids:
        try:
            yield library.get(entry_id)
        except (KeyError, OSError, ValueError):
            continue


def _counts(result: tuple[Sequence[QueuedJob], Sequence[Any]]) -> tuple[int, int, int]:
    """(queued, failed when added, skipped as already painted)."""
    jobs, skipped = result
    failed = sum(1 for job in jobs if job.status == Status.FAILED)
    return len(jobs) - failed, failed, len(skipped)
