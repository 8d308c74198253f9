"""The main window: inputs and knobs on the left, the picture in the middle, run controls
under it, the history strip at the bottom. It wires the panels together and owns the run
lifecycle (start, live previews, result, history entry); each panel knows nothing of the
others."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMessageBox, QScrollArea, QVBoxLayout, QWidget

from nst_desktop.engine.spec.errors import NSTError
from nst_desktop.engine.spec.events import ProgressEvent
from nst_desktop.formatting import format_duration
from nst_desktop.gui import background, screen_fit
from nst_desktop.gui.actions import Actions
from nst_desktop.gui.after_touches import AfterTouches
from nst_desktop.gui.canvas import Canvas
from nst_desktop.gui.closing import CloseAfterRun
from nst_desktop.gui.errors import show_error
from nst_desktop.gui.estimate_line import LEARNED_SPEED_KEY, EstimateLine
from nst_desktop.gui.estimator import Estimator
from nst_desktop.gui.farm_dialog import FarmDialog
from nst_desktop.gui.inputs_panel import FileDialog, InputsPanel
from nst_desktop.gui.learned_speed import from_settings
from nst_desktop.gui.mask_dock import MaskDock
from nst_desktop.gui.notify import Notifier
from nst_desktop.gui.params_panel import ParamsPanel
from nst_desktop.gui.qimage import array_to_qimage
from nst_desktop.gui.queue_controller import QueueController, output_folder, recipe_on_screen
from nst_desktop.gui.recipe_keeper import RecipeKeeper
from nst_desktop.gui.run_panel import RunPanel
from nst_desktop.gui.run_session import RunSession
from nst_desktop.gui.settings import Settings
from nst_desktop.gui.touches_panel import TouchesPanel
from nst_desktop.gui.tweak_loop import TweakLoop
from nst_desktop.gui.undo import UndoHistory
from nst_desktop.gui.worker import RunRequest, RunThread
from nst_desktop.queue.store import QueueStore
from nst_desktop.service.render import StylizeFn

# The engine warms up (worker.py) after the first estimate: the estimate times a convolution
# to gauge the computer's speed, which a warm-up running beside it would make look slow.
# Without an estimate to wait for (no style yet), it starts this long after the inputs load.
WARM_UP_FALLBACK_MS = 2000
ConfirmFn = Callable[[QWidget, str, str], bool]


def ask_yes_no(parent: QWidget, title: str, text: str) -> bool:
    answer = QMessageBox.question(parent, title, text,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


class MainWindow(QMainWindow):
    """The app window. Every outside dependency can be injected (tests pass fakes)."""

    def __init__(self, settings: Settings | None = None, *, library: Any = None,
                 stylize_fn: StylizeFn | None = None, file_dialog: FileDialog | None = None,
                 confirm: ConfirmFn | None = None, save_dialog: Any = None,
                 queue_store: QueueStore | None = None) -> None:
        super().__init__()
        self.setWindowTitle("NST Desktop")
        self.setObjectName("mainWindow")
        self.resize(screen_fit.initial_size(screen_fit.available_geometry()))  # 1280x800 laptops too
        self.settings = settings or Settings()
        self.confirm: ConfirmFn = confirm if confirm is not None else ask_yes_no
        self.save_dialog = save_dialog
        self.last_error = ""
        self.canvas = Canvas()
        self.run_panel = RunPanel()
        self.inputs = InputsPanel(file_dialog=file_dialog)
        self.params_panel = ParamsPanel(self.settings.read_params())
        # The photo, styles and settings written as they change: a kill or a crash loses nothing.
        self.recipe_keeper = RecipeKeeper(self.settings, self.inputs, self.params_panel, self)
        self.stylize_fn = stylize_fn
        self.runner = RunThread(stylize_fn, self)
        self.session = RunSession(self, library)
        self.session.pictureShown.connect(self._on_picture_shown)
        self.session.captionChanged.connect(self.canvas.set_caption)
        self.session.runEnded.connect(self.run_ended)
        self.session.errorOccurred.connect(self.show_error)
        self.estimator = Estimator(self, learned=from_settings(self.settings.read(LEARNED_SPEED_KEY)))
        self.menu_actions = Actions(self)
        self.zoom_label = QLabel("")
        self._build()
        self._connect()
        self._build_touches()
        self._connect_touches()
        self._connect_tweak_loop()
        self._wire_queue(queue_store)
        self._rebuild_recent()
        self.menu_actions.set_running(False)
        self.menu_actions.set_has_result(False, False)
        self._restore_geometry()
        self.closing = CloseAfterRun(self)
        QTimer.singleShot(0, self._load_inputs)  # show the window first, then read images

    # --- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        centre = QWidget()
        layout = QVBoxLayout(centre)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.run_panel)
        self.setCentralWidget(centre)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.inputs)
        side_layout.addWidget(self.params_panel, 1)
        scroll = QScrollArea()
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        # Its rows wrap to fit the dock; should one still not, a scroll bar, never a clipped panel (16.4).
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        scroll.setMinimumWidth(340)
        self.side_dock = self._dock("Picture", scroll, Qt.DockWidgetArea.LeftDockWidgetArea)
        if self.session.history is not None:
            self.history_dock = self._dock("History", self.session.history,
                                           Qt.DockWidgetArea.BottomDockWidgetArea)
            # a horizontal strip: above or below the picture, never squeezed into a side column
            self.history_dock.setAllowedAreas(Qt.DockWidgetArea.TopDockWidgetArea
                                              | Qt.DockWidgetArea.BottomDockWidgetArea)
        self.menu_actions.build_menus(self.menuBar())
        self.menu_actions.view_menu.addSeparator()
        self.menu_actions.view_menu.addAction(self.side_dock.toggleViewAction())
        if self.session.history is not None:
            self.menu_actions.view_menu.addAction(self.history_dock.toggleViewAction())
        self.mask_dock = MaskDock(self, self.canvas, self.inputs)  # hidden until View > Mask
        self.mask_dock.follow_runs(self.runner)
        self.menu_actions.view_menu.addAction(self.mask_dock.dock.toggleViewAction())
        self.statusBar().addPermanentWidget(self.zoom_label)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower()}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    def _connect(self) -> None:
        a = self.menu_actions
        a.open_content.triggered.connect(self.inputs.open_content)
        a.add_style.triggered.connect(self.inputs.open_styles)
        a.export.triggered.connect(self.session.export_image)
        a.export_timelapse.triggered.connect(self.session.export_timelapse)
        a.quit.triggered.connect(self.close)
        a.copy.triggered.connect(self.session.copy_image)
        a.paste.triggered.connect(lambda: self.inputs.paste_content(QGuiApplication.clipboard().mimeData()))
        a.paste_style.triggered.connect(
            lambda: self.inputs.add_styles_from_mime(QGuiApplication.clipboard().mimeData()))
        a.fit.triggered.connect(self.canvas.fit)
        a.actual_size.triggered.connect(self.canvas.actual_size)
        a.zoom_in.triggered.connect(self.canvas.zoom_in)
        a.zoom_out.triggered.connect(self.canvas.zoom_out)
        a.before_after.toggled.connect(self.canvas.set_split_enabled)
        self.canvas.splitChanged.connect(a.before_after.setChecked)
        self.canvas.zoomChanged.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f} %"))
        a.start.triggered.connect(self.start_run)
        a.pause.toggled.connect(self._on_pause_toggled)
        a.stop.triggered.connect(self.stop_run)
        a.weights.triggered.connect(self.session.choose_weights)
        a.render_farm.triggered.connect(lambda: FarmDialog(self.settings, self).exec())
        a.about.triggered.connect(self.session.show_about)
        self._connect_panels()

    def _connect_panels(self) -> None:
        self.estimates = EstimateLine(self)
        worker = self.runner.worker
        self.run_panel.startRequested.connect(self.start_run)
        self.run_panel.pauseToggled.connect(self._on_pause_toggled)
        self.run_panel.stopRequested.connect(self.stop_run)
        self.inputs.errorOccurred.connect(self.show_error)
        self.inputs.changed.connect(self._on_inputs_changed)
        self.inputs.photoOpened.connect(self._on_photo_opened)
        self.inputs.fileOpened.connect(self._on_file_opened)
        self.params_panel.paramsChanged.connect(self._on_params_changed)
        worker.progressed.connect(self._on_progress)
        worker.previewReady.connect(self._on_preview)
        worker.finished.connect(self.session.on_finished)
        worker.stopped.connect(self.session.on_stopped)
        worker.failed.connect(self.session.on_failed)
        worker.done.connect(self._on_run_done)

    # --- live edits, quick look, promote, variations -------------------------------------------
    def _connect_tweak_loop(self) -> None:
        self.tweaks = TweakLoop(self)
        a = self.menu_actions
        self.run_panel.quickLookRequested.connect(self.tweaks.start_quick_look)
        self.run_panel.promoteRequested.connect(self.tweaks.promote)
        a.quick_look.triggered.connect(self.tweaks.start_quick_look)
        a.promote.triggered.connect(self.tweaks.promote)
        for sweep, action in a.variations.items():
            action.triggered.connect(lambda _=False, s=sweep: self.tweaks.open_variations(s))
        self.params_panel.paramsChanged.connect(self.tweaks.params_changed)
        self.inputs.changed.connect(self.tweaks.inputs_changed)
        self.runner.worker.done.connect(self.tweaks.run_done)
        self.runner.worker.progressed.connect(self.tweaks.run_progressed)
        a.variations_menu.aboutToShow.connect(self.tweaks.refresh_variations_menu)
        self.tweaks.refresh_promote()

    # --- render queue (issue 18.3): the logic is in gui/queue_controller.py; wiring only ----------
    def _wire_queue(self, store: QueueStore | None) -> None:
        try:  # a damaged queue file: said in one line; the window works without a queue
            store = store if store is not None else QueueStore()
        except NSTError as exc:
            problem = exc.user_text()
            self.queue: QueueController | None = None
            self.menu_actions.add_to_queue.setEnabled(False)
            self.menu_actions.batch.setEnabled(False)
            QTimer.singleShot(0, self, lambda: self.show_error(problem))
            return
        inputs = self.inputs
        self.queue = QueueController(
            store, self.session.library,
            lambda: recipe_on_screen(inputs.content(), [(s.loaded, s.weight) for s in inputs.styles()],
                                     self.params_panel.params(), self.mask_dock.request_mask()),
            lambda: output_folder(self.settings.read("queue/output_folder")),
            Notifier(self.statusBar, self), stylize_fn=self.stylize_fn, parent=self)
        self.queue_dock = self._dock("Queue", self.queue.panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.mask_dock.dock, self.queue_dock)  # one column: fits 1280 px
        self.queue_dock.hide()  # shown when jobs are added, or left from the last session
        self.menu_actions.view_menu.addAction(self.queue_dock.toggleViewAction())
        self.queue.jobsAdded.connect(self.queue_dock.show)
        self.queue.jobsAdded.connect(self.queue_dock.raise_)
        if self.session.history is not None:
            self.queue.entryAdded.connect(self.session.history.add_entry)
        self.queue.entryOpened.connect(self.session.on_entry_activated)
        self.queue.errorOccurred.connect(self.show_error)
        self.queue.watch_runs(self.runner)  # the artist comes first
        self.tweaks.variationsOpened.connect(self.queue.watch_variations)
        self.menu_actions.add_to_queue.triggered.connect(self.queue.add_current)
        self.menu_actions.batch.triggered.connect(self.queue.panel.batchRequested)
        self.queue.panel.batchRequested.connect(lambda: self.queue.batch_dialog(self).show())
        self.queue.resume_at_start()
    # --- end of the render queue's wiring ----------------------------------------------------------

    # --- after-touches, undo and restore (issue 7) ---------------------------------------------
    def _build_touches(self) -> None:
        """The After-touches row under the picture, its controller, and the undo stack."""
        self.touches_panel = TouchesPanel()
        centre = self.centralWidget()
        layout = centre.layout() if centre is not None else None
        if isinstance(layout, QVBoxLayout):  # built by _build: picture, then run controls
            layout.insertWidget(layout.indexOf(self.canvas) + 1, self.touches_panel)
        self.after_touches = AfterTouches(self, self.touches_panel)
        self.undo_history = UndoHistory(self.params_panel, self.after_touches, self.inputs, self)

    def _connect_touches(self) -> None:
        worker, touches = self.runner.worker, self.after_touches
        # After the session's own slots (connected earlier): the session keeps the picture first.
        worker.finished.connect(touches.on_run_result)
        worker.stopped.connect(touches.on_run_result)
        worker.failed.connect(touches.on_run_failed)
        worker.done.connect(touches.on_run_done)
        self.session.saver.saved.connect(touches.on_entry_saved)
        if self.session.history is not None:
            self.session.history.entryActivated.connect(touches.on_entry_activated)
            self.session.history.restoreRequested.connect(self._on_restore_requested)
        self.undo_history.connect_actions(self.menu_actions.undo, self.menu_actions.redo)

    def _on_restore_requested(self, entry: Any) -> None:
        from nst_desktop.gui.restore import restore_recipe

        restore_recipe(self, entry)

    # --- inputs --------------------------------------------------------------------------------
    def _load_inputs(self) -> None:
        """Start reading the photo and styles (in the background: the window stays live)."""
        from nst_desktop.gui import export

        saved_folder = self.settings.read("paths/last_dir")  # export dialogs open where the last one saved
        export.set_last_folder(Path(saved_folder) if saved_folder else None)
        if not self.settings.read("inputs/initialised"):
            self.inputs.load_first_launch()
            self.settings.write("inputs/initialised", True)
            self.settings.sync()  # on disk now: a crash must not make the next start a "first" one
            # Pictures in the history mean this is not a new user (settings reset or lost): the
            # app then never changes their settings by itself (issue 8.4).
            history = self.session.history
            self.estimates.first_launch = history is None or not history.entries()
            self.estimates.launch_params = self.params_panel.params()
        else:
            self.inputs.restore(self.settings.read("inputs/content"), self.settings.read("inputs/styles"))
        self._on_inputs_changed()
        QTimer.singleShot(WARM_UP_FALLBACK_MS, self._on_warm_up_timer)

    def _on_warm_up_timer(self) -> None:
        if not self.estimator.busy():  # else the estimate's answer starts the warm-up
            self.warm_up_engine()

    def warm_up_engine(self) -> None:
        # While the user looks at the window, not during their first run (see worker.py);
        # once only (the runner ignores later calls).
        if not self.runner.running:
            self.runner.warm_up(self.params_panel.params())

    def _on_inputs_changed(self) -> None:
        content = self.inputs.content()
        if content is not None:
            # Converted once per photo, in the thread that read it: a blend tick costs nothing.
            before = content.display_image()
            self.canvas.set_before(before)
            if self.session.result_image is None and not self.runner.running:
                self.canvas.set_image(before)  # show the photo until there is a picture
        self.estimates.request()

    def _on_photo_opened(self) -> None:
        """A photo the user just opened is what the canvas shows, not the last painting,
        until a run or a history view replaces it (a running run's previews stay)."""
        content = self.inputs.content()
        if content is not None and not self.runner.running:
            self.canvas.set_image(content.display_image())
            self.canvas.set_caption("")

    def _on_file_opened(self, path: str) -> None:
        self.settings.add_recent(path)
        self._rebuild_recent()

    def _rebuild_recent(self) -> None:
        menu = self.menu_actions.recent_menu
        menu.clear()
        for path in self.settings.recent_files():
            action = menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: self.inputs.open_content_file(p))
        menu.setEnabled(bool(menu.actions()))

    def _on_params_changed(self, params: Any) -> None:
        self.estimates.request()  # the recipe keeper writes the settings

    # --- run ---------------------------------------------------------------------------------
    def start_run(self) -> bool:
        if self.runner.running or self.session.wait_for_inputs(self.start_run):
            return False
        request = self.session.make_request()
        return request is not None and self.start_request(request)

    def start_request(self, request: RunRequest) -> bool:
        """Start a run (full, quick look or promote); False if one is going already or the
        window is closing."""
        if self.runner.running or self.tweaks.variations_dialog is not None or self.closing.waiting:
            return False
        self.runner.start(request)
        self.after_touches.run_started(request.content)
        self.tweaks.run_started(request)
        self.canvas.set_caption("")
        self.menu_actions.set_running(True)
        self.run_panel.run_started()
        self.statusBar().showMessage({"quick": "Quick look…", "promote": "Going on to full size…"}
                                     .get(request.kind, "Painting…"))
        return True

    def stop_run(self) -> None:
        if self.runner.running:
            self.runner.stop()
            self.run_panel.show_stopping("Stopping: keeping the best picture so far…")

    def _on_pause_toggled(self, paused: bool) -> None:
        if not self.runner.running:
            return
        if paused:
            self.runner.pause()
        else:
            self.runner.resume()
        self.menu_actions.pause.blockSignals(True)
        self.menu_actions.pause.setChecked(paused)
        self.menu_actions.pause.blockSignals(False)
        self.run_panel.set_paused(paused)
        self.statusBar().showMessage("Paused." if paused else "Painting…")

    def _on_progress(self, event: ProgressEvent) -> None:
        self.run_panel.update_progress(event)

    def _on_picture_shown(self, image: Any) -> None:
        self.canvas.set_image(array_to_qimage(image))

    def _on_preview(self, preview: Any) -> None:
        self.canvas.set_image(array_to_qimage(preview))

    def _on_run_done(self) -> None:
        self.menu_actions.set_running(False)
        self.run_panel.set_running(False)
        has_result = self.session.result_image is not None
        self.menu_actions.set_has_result(has_result, bool(self.session.frames))

    def run_ended(self, message: str, elapsed: float | None = None) -> None:
        """Called by the session with the outcome, for the panel and the status bar."""
        text = f"{message} ({format_duration(elapsed)})" if elapsed is not None else message
        self.run_panel.run_ended(text)
        self.statusBar().showMessage(text, 8000)

    def show_error(self, text: str) -> None:
        self.last_error = text
        self.statusBar().showMessage(text, 10000)
        show_error(self, text)

    # --- closing -------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.closing.may_close():  # a run is stopping; the window closes when it has (gui.closing)
            event.ignore()
            return
        self._save_state()
        self.tweaks.close_variations()  # stops its run and its thread
        self.after_touches.flush()  # touches still waiting for their history write
        self.runner.shutdown()  # no run now: the idle thread ends at once
        if self.queue is not None:  # its job stops after its step and goes on at the next start (18.3)
            self.queue.shutdown()
        # One wait for every pool job: the last history entry, an export still writing, the estimate.
        background.wait_idle()
        event.accept()

    def _save_state(self) -> None:
        self.settings.write("window/geometry", self.saveGeometry())
        from nst_desktop.gui.export import used_folder

        self.settings.write("paths/last_dir", str(used_folder() or ""))
        self.settings.write("window/state", self.saveState())
        self.recipe_keeper.save_now()  # the recipe, then one sync of all of it

    def _restore_geometry(self) -> None:
        # Saved on a bigger (or another) screen, or too wide: repaired to fit this one (issue 16.4).
        read = self.settings.read
        screen_fit.restore_layout(self, read("window/geometry"), read("window/state"))
