"""The render queue in the window: its dock, its menu commands and what it follows.

Kept out of the main window, which only lays it out (issue 17.4): given the collaborators it works
with and the QMainWindow to dock into, like ``gui.mask_dock``. "Add to queue" takes the document's
recipe (``queue_controller.queue_recipe``: pasted images refused), with the mask the Mask dock
paints with. A damaged queue file is said in one line, and the window works without a queue.
Edit ▸ Render farm… opens here too (issue 19): once the farm is set, its waiting jobs go.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer, SignalInstance
from PySide6.QtWidgets import QDockWidget, QMainWindow

from nst_desktop.engine.spec.errors import NSTError
from nst_desktop.gui.actions import Actions
from nst_desktop.gui.errors import ReportError
from nst_desktop.gui.farm_dialog import FarmDialog
from nst_desktop.gui.mask_dock import MaskDock
from nst_desktop.gui.notify import Notifier
from nst_desktop.gui.queue_controller import QueueController, output_folder, queue_recipe
from nst_desktop.gui.queue_farm import farm_link
from nst_desktop.gui.run_session import RunSession
from nst_desktop.gui.screen_fit import add_dock
from nst_desktop.gui.settings import Settings
from nst_desktop.gui.tweak_loop import TweakLoop
from nst_desktop.gui.worker import RunThread
from nst_desktop.queue.store import QueueStore
from nst_desktop.recipe.document import Document
from nst_desktop.service.render import StylizeFn


class QueueDock(QObject):
    """The Queue dock and its wiring; ``controller`` and ``dock`` are None without a queue."""

    def __init__(self, window: QMainWindow, store: QueueStore | None, document: Document, mask_dock: MaskDock,
                 session: RunSession, runner: RunThread, tweaks: TweakLoop, actions: Actions,
                 settings: Settings, report_error: ReportError, stylize_fn: StylizeFn | None = None) -> None:
        super().__init__(window)
        self._session = session
        self.controller: QueueController | None = None
        self.dock: QDockWidget | None = None
        self._window, self._settings = window, settings
        try:  # a damaged queue file: said in one line; the window works without a queue
            store = store if store is not None else QueueStore()
        except NSTError as exc:
            problem = exc.user_text()
            actions.add_to_queue.setEnabled(False)
            actions.batch.setEnabled(False)
            QTimer.singleShot(0, self, lambda: report_error(problem))
            return
        self.controller = queue = QueueController(
            store, session.library, lambda: queue_recipe(document.recipe, mask_dock.request_mask()),
            lambda: output_folder(settings.read("queue/output_folder")),
            Notifier(window.statusBar, window), stylize_fn=stylize_fn, parent=window,
            farm=farm_link(settings))  # issue 19: jobs painted here or on the render farm
        self.dock = dock = add_dock(window, "Queue", queue.panel, Qt.DockWidgetArea.RightDockWidgetArea)
        window.tabifyDockWidget(mask_dock.dock, dock)  # one column: fits 1280 px
        dock.hide()  # shown when jobs are added, or left from the last session
        actions.view_menu.addAction(dock.toggleViewAction())
        queue.jobsAdded.connect(dock.show)
        queue.jobsAdded.connect(dock.raise_)
        if session.history is not None:
            queue.entryAdded.connect(session.history.add_entry)
        queue.entryOpened.connect(session.on_entry_activated)
        queue.errorOccurred.connect(report_error)
        queue.watch_runs(runner)  # the artist comes first
        tweaks.variationsOpened.connect(queue.watch_variations)
        actions.add_to_queue.triggered.connect(queue.add_current)
        actions.batch.triggered.connect(queue.panel.batchRequested)
        queue.panel.batchRequested.connect(lambda: queue.batch_dialog(window).show())
        queue.resume_at_start()

    def take_print_renders(self, requested: SignalInstance) -> bool:
        """Export's "Queue at print size" (``requested(long_side)``): the picture on show queued to go
        on to that size. False, and nothing connected, without a queue."""
        queue = self.controller
        if queue is None:
            return False
        requested.connect(lambda long_side: queue.add_at_size(long_side, self._session.picture()))
        return True

    def edit_farm(self) -> None:
        """Edit ▸ Render farm…: the farm's address and token; once changed, the farm's waiting jobs
        go there at once (a farm that refused them is asked again)."""
        if FarmDialog(self._settings, self._window).exec() and self.controller is not None:
            self.controller.farm_changed()
