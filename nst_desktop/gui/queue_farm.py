"""The window's queue on the render farm (issue 19): where each job is painted, and the farm's painter.

- :class:`FarmLink`: what the queue knows of the farm: the address and token of Settings ▸ Render
  farm, and the remembered "Run on" choice.
- :class:`FarmPainter`: a second :class:`~nst_desktop.gui.queue_thread.QueueThread` that claims
  only the farm's jobs and paints them through ``farm.batch.FarmRender`` (the one farm path: the
  queue's claiming, leases and exactly-once delivery into the history), as many jobs at once as
  the farm paints (``queue.pool.RunnerPool``: every node busy). Its gate is never held:
  a farm job uses none of this computer's cores, so it goes on while the artist paints. A
  refusal (wrong token, another version, a bad address) is said once and the farm's jobs wait
  until the settings change or the artist steers the queue; while the farm cannot be reached its
  job's row says "farm unreachable since HH:MM" and it goes on when the farm is back.
- :class:`PlaceControls`: in the Queue panel, "Run on: This computer / Render farm" (where new jobs
  go: Add current, Queue all, a Batch), the farm's line, and the rows' context menu "Run on the
  farm" / "Run locally" (``QueueStore.set_place``: kept in the queue file, so it survives a
  restart; a running job is given back and its painter stops it at once, a farm job's remote
  work cancelled).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QPoint, Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QMenu, QVBoxLayout

from nst_desktop.farm.client import FarmClient
from nst_desktop.farm.protocol import FarmError
from nst_desktop.gui.farm_dialog import TOKEN_KEY, URL_KEY
from nst_desktop.gui.queue_panel import QueuePanel
from nst_desktop.gui.queue_rows import NO_FARM, QueueView
from nst_desktop.gui.queue_thread import QueueThread
from nst_desktop.gui.settings import Settings
from nst_desktop.io.library import Library
from nst_desktop.queue.runner import QueueProgress
from nst_desktop.queue.store import Place, QueuedJob, QueueStore, Status

RUN_ON_KEY = "queue/run_on"
PLACE_NAMES = {Place.LOCAL: "This computer", Place.FARM: "Render farm"}
UNFINISHED = (Status.WAITING, Status.RUNNING)


def connect_farm(url: str, token: str) -> FarmClient:
    """The farm's client; FarmError for an address that is not one. Short timeouts: a farm
    that does not answer makes its jobs wait, and the window's close waits for none."""
    return FarmClient(url, token, timeout_s=10)


@dataclass(frozen=True)
class FarmLink:
    """The farm's address and token (``url`` "": none set) and the "Run on" choice, kept in the settings."""

    address: Callable[[], tuple[str, str]]
    run_on: Callable[[], str]
    remember: Callable[[str], None]
    connect: Callable[[str, str], FarmClient] = connect_farm  # tests: a fake farm


def farm_link(settings: Settings) -> FarmLink:
    """The window's link: Settings ▸ Render farm (``gui.farm_dialog``), read at each start."""
    return FarmLink(lambda: (str(settings.read(URL_KEY)), str(settings.read(TOKEN_KEY))),
                    lambda: str(settings.read(RUN_ON_KEY)), lambda place: settings.write(RUN_ON_KEY, place))


class FarmPainter(QObject):
    """The farm's painter and what the panel says of the farm (see the module docstring)."""

    lineChanged = Signal(str)  # the farm's line in the panel ("" hides it)

    def __init__(self, store: QueueStore, library: Library | None, link: FarmLink, view: QueueView,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store, self._link, self._view = store, link, view
        view.farm_set = lambda: bool(link.address()[0])
        self._client: FarmClient | None = None  # made on the GUI thread, used by the painter's
        self._refused: tuple[str, str] | None = None  # the address the farm refused, and why
        self.problem = ""
        self.contact = ""  # the farm's status line at the last start
        self.painter = QueueThread(store, library, parent=self, place=Place.FARM, farm=lambda: self._client)
        self.painter.contacted.connect(self._on_contacted)
        self.painter.refused.connect(self._on_refused)
        self.painter.waiting.connect(self._on_waiting)
        self.painter.progressed.connect(self._on_progressed)

    def kick(self) -> bool:
        """Paint the farm's waiting jobs, if a farm is set and did not refuse; False if nothing started."""
        address = self._link.address()
        if self.painter.running or self.store.paused()[0] or not self._waiting_jobs():
            return False
        if not address[0] or address == self._refused:
            self.show_line()
            return False
        try:
            self._client = self._link.connect(*address)
        except FarmError as exc:
            self._refused, self.problem = address, exc.user_text()
            self.show_line()
            return False
        self._refused, self.problem = None, ""
        return self.painter.start()

    def retry(self) -> None:
        """The artist steered the queue: a farm that refused is asked again at the next kick."""
        self._refused = None

    def _waiting_jobs(self) -> list[QueuedJob]:
        return [j for j in self.store.jobs(statuses=[Status.WAITING]) if j.place == Place.FARM]

    @Slot(str)
    def _on_contacted(self, line: str) -> None:
        self.contact = line
        self.show_line()

    @Slot(str)
    def _on_refused(self, text: str) -> None:
        self._refused, self.problem = self._link.address(), text
        self.show_line()

    @Slot(object, str)
    def _on_waiting(self, job: QueuedJob, text: str) -> None:
        self._view.notes[job.id] = text
        self.show_line()

    @Slot(object)
    def _on_progressed(self, progress: QueueProgress) -> None:
        if self.contact and not self._view.notes:  # back after an outage: the line says so
            self.show_line()

    @Slot(object)
    def show_line(self, jobs: list[QueuedJob] | None = None) -> None:
        """What the panel says of the farm: a refusal, an outage, no farm set, or its status.
        ``jobs``: the queue as the panel just read it."""
        jobs = self.store.jobs(statuses=UNFINISHED) if jobs is None else jobs
        farm_jobs = [j for j in jobs if j.place == Place.FARM and j.status in UNFINISHED]
        line = ""
        if self.problem:
            line = self.problem
        elif self._view.notes:
            line = f"Render {next(iter(self._view.notes.values()))}: its jobs wait (or Run locally)."
        elif farm_jobs and not self._view.farm_set():
            line = NO_FARM[0].upper() + NO_FARM[1:]
        elif farm_jobs and self.contact:
            line = self.contact
        self.lineChanged.emit(line)


class PlaceControls(QObject):
    """"Run on", the farm's line and the rows' "Run on the farm" / "Run locally" (module docstring)."""

    def __init__(self, panel: QueuePanel, link: FarmLink, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel, self._link = panel, link
        self.choice = QComboBox(panel)
        self.choice.setObjectName("queueRunOn")
        self.choice.setToolTip("Where the jobs you add now are painted (Edit ▸ Render farm… sets the farm)")
        for place, name in PLACE_NAMES.items():
            self.choice.addItem(name, place.value)
        remembered = self.choice.findData(link.run_on())
        self.choice.setCurrentIndex(max(0, remembered))
        self.choice.currentIndexChanged.connect(lambda _i: link.remember(self.place.value))
        self.line = QLabel(panel)
        self.line.setObjectName("queueFarmLine")
        self.line.setWordWrap(True)
        self.line.hide()
        row = QHBoxLayout()
        row.addWidget(QLabel("Run on:", panel))
        row.addWidget(self.choice, 1)
        layout = panel.layout()
        if isinstance(layout, QVBoxLayout):  # under the queue's total, over the rows
            layout.insertLayout(1, row)
            layout.insertWidget(2, self.line)
        self.to_farm = QAction("Run on the farm", self)
        self.to_farm.triggered.connect(lambda: self.move_selected(Place.FARM))
        self.to_local = QAction("Run locally", self)
        self.to_local.triggered.connect(lambda: self.move_selected(Place.LOCAL))
        panel.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        panel.tree.customContextMenuRequested.connect(self._on_menu_requested)

    @property
    def place(self) -> Place:
        """Where jobs added now are painted."""
        return Place(self.choice.currentData())

    def show_line(self, text: str) -> None:
        self.line.setText(text)
        self.line.setVisible(bool(text))

    def menu(self) -> QMenu:
        """The rows' menu: each move offered when a selected job (not done) is painted elsewhere."""
        chosen = [j for j in self.panel.selected_jobs() if j.status != Status.DONE]
        self.to_farm.setEnabled(any(j.place != Place.FARM for j in chosen))
        self.to_local.setEnabled(any(j.place != Place.LOCAL for j in chosen))
        menu = QMenu(self.panel.tree)
        menu.addActions([self.to_farm, self.to_local])
        return menu

    def move_selected(self, place: Place) -> int:
        """The selected jobs painted at ``place`` from now on; how many moved."""
        moved = self.panel.store.set_place(self.panel.selected_ids(), place)
        self.panel.refresh()
        self.panel.changed.emit()  # the painters: the moved job's stops, the other's starts
        return moved

    @Slot(QPoint)
    def _on_menu_requested(self, where: QPoint) -> None:
        menu = self.menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.panel.tree.viewport().mapToGlobal(where))
