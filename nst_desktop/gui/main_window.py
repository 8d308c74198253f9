"""The main window: inputs and knobs on the left, the picture in the middle, run controls
under it, the history strip at the bottom. Layout and wiring only (issue 17.2): the controllers
(the run session, the run controller, the tweak loop, the after-touches, the estimate line,
the restore, the picture commands, the close) each get the collaborators they work with, around
the window's one ``Document`` (recipe.document), of which the panels are views
(gui.document_views); each panel knows nothing of the others."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import QLabel, QMainWindow, QScrollArea, QVBoxLayout, QWidget

from nst_desktop.gui import background, screen_fit
from nst_desktop.gui.actions import Actions
from nst_desktop.gui.after_touches import AfterTouches
from nst_desktop.gui.canvas import Canvas
from nst_desktop.gui.closing import CloseAfterRun
from nst_desktop.gui.document_views import DocumentViews
from nst_desktop.gui.errors import show_error
from nst_desktop.gui.estimate_line import LEARNED_SPEED_KEY, EstimateLine
from nst_desktop.gui.estimator import Estimator
from nst_desktop.gui.held_inputs import HeldInputs
from nst_desktop.gui.inputs_panel import FileDialog, InputsPanel
from nst_desktop.gui.learned_speed import from_settings
from nst_desktop.gui.mask_dock import MaskDock
from nst_desktop.gui.params_panel import ParamsPanel
from nst_desktop.gui.picture_commands import ConfirmFn, PictureCommands, ask_yes_no
from nst_desktop.gui.picture_on_show import PictureOnShow
from nst_desktop.gui.queue_dock import QueueDock
from nst_desktop.gui.recent_files import RecentFiles
from nst_desktop.gui.recipe_keeper import RecipeKeeper
from nst_desktop.gui.restore import HistoryRestore
from nst_desktop.gui.run_controller import RunController
from nst_desktop.gui.run_panel import RunPanel
from nst_desktop.gui.run_session import RunSession
from nst_desktop.gui.settings import Settings
from nst_desktop.gui.touches_panel import TouchesPanel
from nst_desktop.gui.tweak_loop import TweakLoop
from nst_desktop.gui.undo import UndoActions
from nst_desktop.gui.worker import RunThread
from nst_desktop.queue.store import QueueStore
from nst_desktop.recipe.document import Document
from nst_desktop.recipe.recipe import Recipe
from nst_desktop.service.render import StylizeFn


class MainWindow(QMainWindow):
    """The app window. Every outside dependency can be injected (tests pass fakes)."""

    def __init__(self, settings: Settings | None = None, *, library: Any = None,
                 stylize_fn: StylizeFn | None = None, file_dialog: FileDialog | None = None,
                 confirm: ConfirmFn | None = None, save_dialog: Any = None,
                 queue_store: QueueStore | None = None, export_options: Any = None) -> None:
        super().__init__()
        self.setWindowTitle("NST Desktop")
        self.setObjectName("mainWindow")
        self.resize(screen_fit.initial_size(screen_fit.available_geometry()))  # 1280x800 laptops too
        self.settings = settings or Settings()
        self.last_error = ""
        self.canvas, self.run_panel, self.touches_panel = Canvas(), RunPanel(), TouchesPanel()
        self.inputs = InputsPanel(file_dialog=file_dialog)
        self.params_panel = ParamsPanel(self.settings.read_params())
        self.menu_actions = Actions(self)
        self.zoom_label = QLabel("")
        self.runner = RunThread(stylize_fn, self)
        self.estimator = Estimator(self, learned=from_settings(self.settings.read(LEARNED_SPEED_KEY)))
        self._make_controllers(library, stylize_fn, confirm or ask_yes_no, save_dialog, export_options)
        self._build()
        self._connect()
        self.queues = QueueDock(self, queue_store, self.document, self.mask_dock, self.session, self.runner,
                                self.tweaks, self.menu_actions, self.settings, self.show_error, stylize_fn)
        self.queue, self.queue_dock = self.queues.controller, self.queues.dock
        self.commands.can_queue = self.queues.take_print_renders(self.commands.queueAtPrintSizeRequested)
        self.recent_files = RecentFiles(self.settings, self.menu_actions.recent_menu, self.inputs, self)
        self.menu_actions.set_running(False)
        self.menu_actions.set_has_result(False, False)
        self._restore_geometry()
        QTimer.singleShot(0, self._load_inputs)  # show the window first, then read images

    def _make_controllers(self, library: Any, stylize_fn: StylizeFn | None, confirm: ConfirmFn,
                          save_dialog: Any, export_options: Any = None) -> None:
        """Each controller gets only the collaborators it works with (issue 17.2), around the one
        document: the recipe on screen, the picture on show, the run in progress, the undo history."""
        status, inputs, params, run_panel = self.statusBar(), self.inputs, self.params_panel, self.run_panel
        self.document = document = Document(Recipe("", (), params.params()))
        # The photo, styles and settings written as they change: a kill or a crash loses nothing.
        self.recipe_keeper = RecipeKeeper(self.settings, document, inputs, self)
        self.mask_dock = MaskDock(self, self.canvas, inputs)  # hidden until View > Mask
        self.mask_dock.follow_runs(self.runner)
        held = HeldInputs(document)  # the images the recipe names: runs are painted from them
        self.session = RunSession(document, held, inputs, run_panel, self.mask_dock.request_mask,
                                  self.show_error, status, self, library)
        self.runs = RunController(document, self.runner, self.session, inputs, self.canvas, run_panel,
                                  self.menu_actions, status, self)
        self.after_touches = AfterTouches(self.touches_panel, self.session, self.canvas, status, self)
        self.views = DocumentViews(document, held, params, inputs, self.after_touches, self)
        self.pictures = PictureOnShow(document, self.session, self.after_touches, self)
        actions = self.menu_actions
        self.undo_history = UndoActions(document, actions.undo, actions.redo, status, self)
        self.restorer = HistoryRestore(self.session.history, self.pictures, self.views, self.mask_dock,
                                       self.show_error, self)
        self.tweaks = TweakLoop(document, self.runs, inputs, params, run_panel, self.menu_actions, status,
                                self.show_error, self, stylize_fn)
        self.estimates = EstimateLine(self.estimator, self.runner, inputs, params, run_panel, status,
                                      self.settings, self)
        self.commands = PictureCommands(self.session, self.after_touches, inputs, params, status, self,
                                        save_dialog=save_dialog, confirm=confirm,
                                        export_options=export_options)
        self.commands.renderAtPrintSizeRequested.connect(self.tweaks.promote_to)  # Export: too small to print
        self.closing = CloseAfterRun(self.runner, self.session.saver, run_panel, status, self.close, self)
        self.runs.add_blocker(lambda: self.closing.waiting)  # no new run while the window closes

    # --- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        centre = QWidget()
        layout = QVBoxLayout(centre)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.touches_panel)  # the After-touches row, under the picture
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
        self.side_dock = screen_fit.add_dock(self, "Picture", scroll, Qt.DockWidgetArea.LeftDockWidgetArea)
        if self.session.history is not None:
            self.history_dock = screen_fit.add_dock(self, "History", self.session.history,
                                                    Qt.DockWidgetArea.BottomDockWidgetArea)
            # a horizontal strip: above or below the picture, never squeezed into a side column
            self.history_dock.setAllowedAreas(Qt.DockWidgetArea.TopDockWidgetArea
                                              | Qt.DockWidgetArea.BottomDockWidgetArea)
        self.menu_actions.build_menus(self.menuBar())
        view_menu = self.menu_actions.view_menu
        view_menu.addSeparator()
        view_menu.addAction(self.side_dock.toggleViewAction())
        if self.session.history is not None:
            view_menu.addAction(self.history_dock.toggleViewAction())
        view_menu.addAction(self.mask_dock.dock.toggleViewAction())
        self.statusBar().addPermanentWidget(self.zoom_label)

    def _connect(self) -> None:
        a, clipboard, canvas = self.menu_actions, QGuiApplication.clipboard, self.canvas
        a.open_content.triggered.connect(self.inputs.open_content)
        a.add_style.triggered.connect(self.inputs.open_styles)
        a.export.triggered.connect(self.commands.export_image)
        a.export_timelapse.triggered.connect(self.commands.export_timelapse)
        a.quit.triggered.connect(self.close)
        a.copy.triggered.connect(self.commands.copy_image)
        a.paste.triggered.connect(lambda: self.inputs.paste_content(clipboard().mimeData()))
        a.paste_style.triggered.connect(lambda: self.inputs.add_styles_from_mime(clipboard().mimeData()))
        a.fit.triggered.connect(canvas.fit)
        a.actual_size.triggered.connect(canvas.actual_size)
        a.zoom_in.triggered.connect(canvas.zoom_in)
        a.zoom_out.triggered.connect(canvas.zoom_out)
        a.before_after.toggled.connect(canvas.set_split_enabled)
        canvas.splitChanged.connect(a.before_after.setChecked)
        canvas.zoomChanged.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f} %"))
        a.weights.triggered.connect(self.commands.choose_weights)
        a.about.triggered.connect(self.commands.show_about)
        a.render_farm.triggered.connect(lambda: self.queues.edit_farm())  # queues: made after _connect
        self.runs.runStarted.connect(self.after_touches.run_started)
        self.runner.worker.done.connect(self.after_touches.on_run_done)
        self.session.errorOccurred.connect(self.show_error)
        self.inputs.errorOccurred.connect(self.show_error)

    # --- inputs --------------------------------------------------------------------------------
    def _load_inputs(self) -> None:
        """Start reading the photo and styles (in the background: the window stays live)."""
        from nst_desktop.gui import export

        saved_folder = self.settings.read("paths/last_dir")  # export dialogs open where the last one saved
        export.set_last_folder(Path(saved_folder) if saved_folder else None)
        if self.recipe_keeper.reopen():  # the first launch: the samples
            # Pictures in the history mean this is not a new user (settings reset or lost): the
            # app then never changes their settings by itself (issue 8.4).
            history = self.session.history
            self.estimates.first_launch_began(history is None or not history.entries())
        self.runs.show_inputs()
        self.estimates.inputs_loaded()

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
        from nst_desktop.gui.export import used_folder

        self.settings.write("window/geometry", self.saveGeometry())
        self.settings.write("paths/last_dir", str(used_folder() or ""))
        self.settings.write("window/state", self.saveState())
        self.recipe_keeper.save_now()  # the recipe, then one sync of all of it

    def _restore_geometry(self) -> None:
        # Saved on a bigger (or another) screen, or too wide: repaired to fit this one (issue 16.4).
        read = self.settings.read
        screen_fit.restore_layout(self, read("window/geometry"), read("window/state"))
