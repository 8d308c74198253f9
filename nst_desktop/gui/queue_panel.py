"""The Queue panel: a row per queued job (thumbnail, name, status, progress, time left), the
queue's total time left, and its commands (issue 18.3).

It reads the durable queue (``queue.store.QueueStore``, a quick SQLite read on the GUI thread:
the window and ``nst-desktop queue`` may both change it, so every ``REFRESH_MS`` it asks the
store's ``data_version`` and reads the jobs again when another process changed them) and steers
it with the store's own calls: reorder (up/down), pause/resume the whole queue, cancel one or
all, retry the failed, clear the finished (in the background: it deletes kept copies).
Thumbnails (the result once done, else the photo) are read in the background. Knows nothing of
the window: "open" and "add" go out as signals. What a row says is ``gui.queue_rows``'
(:attr:`QueuePanel.view`): a job painted here or on the render farm.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QIcon, QImage, QImageReader, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nst_desktop.formatting import format_duration
from nst_desktop.gui.background import run_in_background
from nst_desktop.gui.queue_rows import QueueView
from nst_desktop.queue.runner import QueueProgress
from nst_desktop.queue.store import Place, QueuedJob, QueueStore, Status

THUMB = 40  # px: a row's thumbnail
MIN_WIDTH = 300  # the Mask dock's: the column they share fits beside the Picture panel on 1280 px
REFRESH_MS = 2000  # the CLI may change the queue meanwhile
USER_PAUSE = "paused by you"  # the message of the panel's own Pause (a full disk gives its own)
# A narrow dock (it shares the window with the Picture panel on 1280 px): the job's name, then its
# status with its time, are the two lines of one column beside its thumbnail; then its progress bar.
COLUMNS = ("Job", "Progress")
PROGRESS_COLUMN = 1
_ID_ROLE = Qt.ItemDataRole.UserRole
STATUS_ROLE = Qt.ItemDataRole.UserRole + 1  # the status line alone


class QueuePanel(QWidget):
    """The Queue dock's contents (see the module docstring)."""

    addRequested = Signal()  # "Add current": the recipe on screen, full size
    batchRequested = Signal()  # "Batch…"
    openRequested = Signal(object)  # QueuedJob: a done job's history entry to show
    changed = Signal()  # the queue was steered here (resume, retry): the painter may have work
    pauseRequested = Signal(bool)  # the whole queue paused (True) / resumed
    jobsRead = Signal(object)  # list[QueuedJob]: the queue as just read (jobs another process finished too)

    def __init__(self, store: QueueStore, parent: QWidget | None = None, *,
                 open_url: Callable[[QUrl], bool] | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._open_url = QDesktopServices.openUrl if open_url is None else open_url
        self._jobs: dict[int, QueuedJob] = {}
        self.view = QueueView()  # the painters' reports and the farm's notes (gui.queue_rows)
        self._closed = False
        self._icons: dict[str, QIcon] = {}
        self._icons_asked: set[str] = set()
        self._build()
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._poll)
        self._version = store.data_version()
        self._timer.start()
        self.refresh()

    # --- building ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("queueList")
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setIconSize(QSize(THUMB, THUMB))
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a name's end ("_3.png") stays
        header.setSectionResizeMode(PROGRESS_COLUMN, QHeaderView.ResizeMode.Interactive)
        self.tree.setColumnWidth(PROGRESS_COLUMN, 64)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.tree.itemDoubleClicked.connect(lambda *_: self.open_selected())
        self.total_label = QLabel("The queue is empty.")
        self.total_label.setObjectName("queueTotal")
        self.total_label.setWordWrap(True)
        self.setMinimumWidth(MIN_WIDTH)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.total_label)
        layout.addWidget(self.tree, 1)
        layout.addLayout(self._buttons())

    def _buttons(self) -> QGridLayout:
        def button(text: str, tip: str, slot: Callable[[], object]) -> QPushButton:
            made = QPushButton(text, self)
            made.setToolTip(tip)
            made.clicked.connect(slot)
            return made

        self.add_button = button("Add current", "Queue the picture on screen at full size",
                                 self.addRequested.emit)
        self.batch_button = button("Batch…", "Photos or a folder × styles × a sweep",
                                   self.batchRequested.emit)
        self.up_button = button("Up", "Paint the selected job sooner", lambda: self.move_selected(-1))
        self.down_button = button("Down", "Paint the selected job later", lambda: self.move_selected(1))
        self.open_button = button("Open", "Show the finished picture (its history entry)", self.open_selected)
        self.file_button = button("Show file", "Open the written file in the system viewer", self.show_file)
        self.pause_button = button("Pause queue", "Hold the whole queue (the current job keeps its picture)",
                                   self.toggle_pause)
        self.pause_button.setCheckable(True)
        self.cancel_button = button("Cancel", "Cancel the selected jobs", self.cancel_selected)
        self.cancel_all_button = button("Cancel all", "Cancel every waiting or running job", self.cancel_all)
        self.retry_button = button("Retry failed", "Queue the failed jobs again", self.retry_failed)
        self.clear_button = button("Clear finished", "Remove the done and cancelled jobs",
                                   self.clear_finished)
        grid = QGridLayout()
        grid.setSpacing(2)
        order = (self.add_button, self.batch_button, self.pause_button, self.up_button, self.down_button,
                 self.cancel_button, self.open_button, self.file_button, self.cancel_all_button,
                 self.retry_button, self.clear_button)
        for index, made in enumerate(order):
            grid.addWidget(made, index // 3, index % 3)
        return grid

    # --- showing -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the queue again and show it (rows kept, selection kept)."""
        if self._closed:
            return
        jobs = self.store.jobs()
        self._jobs = {job.id: job for job in jobs}  # in queue order
        self.view.keep_running(jobs)
        selected = set(self.selected_ids())
        while self.tree.topLevelItemCount() > len(jobs):
            self.tree.takeTopLevelItem(self.tree.topLevelItemCount() - 1)
        while self.tree.topLevelItemCount() < len(jobs):
            added = QTreeWidgetItem()
            self.tree.addTopLevelItem(added)
            self.tree.setItemWidget(added, PROGRESS_COLUMN, _bar_cell())
        self._show_rows()
        for row, job in enumerate(jobs):
            item = self.tree.topLevelItem(row)
            if item is not None:
                item.setSelected(job.id in selected)
        self._update_buttons()
        self._ask_icons(jobs)
        self.jobsRead.emit(jobs)

    def show_progress(self, progress: QueueProgress) -> None:
        """A report of a queue's painter (GUI thread): the rows as last read, with its figures."""
        self.view.report(progress)
        known = self._jobs.get(progress.job.id)
        if known is None or known.status != Status.RUNNING:
            self.refresh()  # it was claimed since the last read
        else:
            self._show_rows()

    def _show_rows(self) -> None:
        jobs = list(self._jobs.values())
        rates = {place: self.view.rate(place, jobs) for place in Place}
        for row, job in enumerate(jobs):
            item = self.tree.topLevelItem(row)
            if item is not None:
                self._show_row(item, job, rates[job.place])
        self._show_total(jobs)

    def _poll(self) -> None:
        """Read the jobs again only when another process (``nst-desktop queue``) changed them:
        this store's own changes come with their signals."""
        version = self.store.data_version()
        if version != self._version:
            self._version = version
            self.refresh()

    def stop_refreshing(self) -> None:
        """The window closes: no more reads of the store."""
        self._timer.stop()
        self._closed = True

    def set_held(self, held: bool) -> None:
        """The artist paints (True): the running row says the queue waits for them."""
        self.view.held = held
        self.refresh()

    def _show_row(self, item: QTreeWidgetItem, job: QueuedJob, rate: float | None) -> None:
        status = self.view.status(job)
        item.setData(0, _ID_ROLE, job.id)
        item.setData(0, STATUS_ROLE, status)
        item.setSizeHint(0, QSize(0, THUMB + 6))  # two lines beside the thumbnail (the column stretches)
        left = self.view.left_text(job, rate)
        item.setText(0, f"{job.name}\n{self._elided_right(f'{status} · {left}' if left else status)}")
        styles = ", ".join(s.name for s in job.recipe.styles)
        scale = self.view.scale_text(job)
        item.setToolTip(0, f"{job.name}: {status}{scale}\n{job.recipe.photo}\n× {styles}\n"
                           f"→ {job.output_path or job.output.path}")
        item.setIcon(0, self._icons.get(self._thumb_path(job), QIcon()))
        cell = self.tree.itemWidget(item, PROGRESS_COLUMN)
        bar = cell.findChild(QProgressBar) if cell is not None else None
        if isinstance(bar, QProgressBar):
            bar.setValue(self.view.percent(job))

    def _elided_right(self, line: str) -> str:
        """A row's second line cut at its end to the column (the tree elides both lines in the
        middle, to keep a name's "_3.png"; a status reads from its start: "farm · 1 min 2…")."""
        if not self.tree.isVisible():  # not laid out yet: no width to cut to
            return line
        room = self.tree.columnWidth(0) - THUMB - 16  # the thumbnail and the row's margins
        return self.tree.fontMetrics().elidedText(line, Qt.TextElideMode.ElideRight, max(room, 40))

    def _show_total(self, jobs: list[QueuedJob]) -> None:
        counts = {status: sum(1 for j in jobs if j.status == status) for status in Status}
        paused, message = self.store.paused()
        self.pause_button.setChecked(paused)
        self.pause_button.setText("Resume queue" if paused else "Pause queue")
        if not jobs:
            self.total_label.setText("The queue is empty.")
            return
        parts = [f"{counts[Status.DONE]} of {len(jobs)} done"]
        parts += [f"{counts[s]} {s.value}" for s in (Status.FAILED, Status.CANCELLED) if counts[s]]
        unfinished = counts[Status.WAITING] + counts[Status.RUNNING]
        left = self.view.queue_left_s()
        if unfinished and left is not None:
            parts.append(f"{format_duration(left)} left in all")
        text = ", ".join(parts)
        if paused:
            text = f"Paused{': ' + message if message else ''}. {text}"
        elif self.view.held and any(j.place == Place.LOCAL for j in jobs
                                    if j.status in (Status.WAITING, Status.RUNNING)):
            text = f"Waiting while you paint. {text}"
        self.total_label.setText(text)

    # --- thumbnails ------------------------------------------------------------------------------
    @staticmethod
    def _thumb_path(job: QueuedJob) -> str:
        """The result once written, else the photo (its kept copy: the original may be gone)."""
        if job.status == Status.DONE and job.output_path:
            return job.output_path
        kept = (job.inputs or {}).get("photo")
        return str(kept or job.recipe.photo)

    def _ask_icons(self, jobs: list[QueuedJob]) -> None:
        wanted = [p for p in dict.fromkeys(self._thumb_path(j) for j in jobs) if p not in self._icons_asked]
        if wanted:
            self._icons_asked.update(wanted)
            run_in_background(read_thumbnails, wanted, on_yield=self._on_icon_read, parent=self)

    def _on_icon_read(self, read: tuple[str, QImage]) -> None:
        path, image = read
        if image.isNull():
            return
        self._icons[path] = QIcon(QPixmap.fromImage(image))
        for row in range(self.tree.topLevelItemCount()):  # in place: no new read of the store
            item = self.tree.topLevelItem(row)
            job = self._jobs.get(int(item.data(0, _ID_ROLE))) if item is not None else None
            if item is not None and job is not None and self._thumb_path(job) == path:
                item.setIcon(0, self._icons[path])

    def icons_known(self) -> int:
        return len(self._icons)

    # --- commands --------------------------------------------------------------------------------
    def selected_ids(self) -> list[int]:
        items = sorted(self.tree.selectedItems(), key=self.tree.indexOfTopLevelItem)
        return [int(item.data(0, _ID_ROLE)) for item in items]

    def select(self, *ids: int) -> None:
        for row in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(row)
            if item is not None:
                item.setSelected(item.data(0, _ID_ROLE) in ids)

    def selected_jobs(self) -> list[QueuedJob]:
        return [self._jobs[i] for i in self.selected_ids() if i in self._jobs]

    def move_selected(self, delta: int) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        order = [j.id for j in self.store.jobs()]
        if ids[0] in order:
            self.store.move(ids[0], max(0, order.index(ids[0]) + delta))
            self.refresh()
            self.select(ids[0])

    def toggle_pause(self) -> None:
        paused, _ = self.store.paused()
        if paused:
            self.store.resume()
        else:
            self.store.pause(USER_PAUSE)
        self.pauseRequested.emit(not paused)
        self.refresh()
        self.changed.emit()

    def cancel_selected(self) -> None:
        for job_id in self.selected_ids():
            self.store.cancel(job_id)  # its runner stops it: at once (changed: Runner.recheck)
        self.refresh()
        self.changed.emit()

    def cancel_all(self) -> None:
        self.store.cancel_all()
        self.refresh()
        self.changed.emit()

    def retry_failed(self) -> None:
        chosen = [j.id for j in self.selected_jobs() if j.status in (Status.FAILED, Status.CANCELLED)]
        for job_id in chosen:
            self.store.retry(job_id)
        if not chosen:
            self.store.retry_failed()
        self.refresh()
        self.changed.emit()

    def clear_finished(self) -> None:
        # Off the GUI thread: it deletes the kept copies no job needs any more.
        run_in_background(self.store.clear_finished, on_success=lambda _n: self.refresh(), parent=self)

    def open_selected(self) -> None:
        done = [j for j in self.selected_jobs() if j.status == Status.DONE]
        if done:
            self.openRequested.emit(done[0])

    def show_file(self) -> None:
        for job in self.selected_jobs():
            if job.status == Status.DONE and job.output_path and Path(job.output_path).is_file():
                self._open_url(QUrl.fromLocalFile(job.output_path))
                return

    def _update_buttons(self) -> None:
        chosen = self.selected_jobs()
        statuses = {j.status for j in self._jobs.values()}
        self.up_button.setEnabled(bool(chosen))
        self.down_button.setEnabled(bool(chosen))
        self.cancel_button.setEnabled(any(j.status in (Status.WAITING, Status.RUNNING) for j in chosen))
        self.cancel_all_button.setEnabled(bool(statuses & {Status.WAITING, Status.RUNNING}))
        self.retry_button.setEnabled(Status.FAILED in statuses
                                     or any(j.status == Status.CANCELLED for j in chosen))
        self.clear_button.setEnabled(bool(statuses & {Status.DONE, Status.CANCELLED}))
        done = any(j.status == Status.DONE for j in chosen)
        self.open_button.setEnabled(done)
        self.file_button.setEnabled(done)


def _bar_cell() -> QWidget:
    """A slim progress bar, centred in a cell: a bar of limited height put in the cell itself
    would cap the row's height at its own (Qt), cutting the row's second line."""
    cell = QWidget()
    layout = QVBoxLayout(cell)
    layout.setContentsMargins(2, 0, 2, 0)
    bar = QProgressBar(cell)
    bar.setMaximumHeight(14)
    bar.setTextVisible(False)
    layout.addWidget(bar, 0, Qt.AlignmentFlag.AlignVCenter)
    return cell


def read_thumbnails(paths: list[str]) -> Iterator[tuple[str, QImage]]:
    """Runs in a worker: each picture decoded small (a JPEG's reduced decode; an empty image when
    unreadable)."""
    for path in paths:
        reader = QImageReader(path)
        size = reader.size()
        if size.isValid() and max(size.width(), size.height()) > THUMB:
            reader.setScaledSize(size.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio))
        yield path, reader.read()
