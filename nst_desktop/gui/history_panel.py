"""The history strip: thumbnails of finished runs, newest first.

Click a thumbnail to view it; select two to compare; restore a run's recipe (photo, styles,
settings, after-touches) to try a variation; delete (after a confirmation); or open its
folder. The panel only reads and deletes through :class:`~nst_desktop.io.library.Library`;
what to do with a viewed or restored entry is the main window's business, told through signals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QDesktopServices, QIcon, QImage, QKeyEvent, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QWidget,
)

from nst_desktop.gui.background import BackgroundJob, run_in_background
from nst_desktop.gui.describe import record_lines
from nst_desktop.gui.errors import show_error
from nst_desktop.io.library import Entry, Library

ConfirmFn = Callable[[QWidget, str], bool]
ICON_SIZE = 72
GRID_MARGIN = 8  # px around each thumbnail (selection frame)
ICON_BATCH = 12  # thumbnails per background job (the visible ones, first in the strip, come first)
_ID_ROLE = Qt.ItemDataRole.UserRole


def ask_confirmation(parent: QWidget, text: str) -> bool:
    """The default confirmation: a Yes/No box, No by default so a stray Enter deletes nothing."""
    answer = QMessageBox.question(parent, "Delete from history", text,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


class HistoryPanel(QWidget):
    """A compact horizontal strip of history thumbnails; View / Compare / Restore / Folder /
    Delete sit in a small grid of buttons at its side and in the right-click menu."""

    entryActivated = Signal(object)  # Entry
    restoreRequested = Signal(object)  # Entry: bring back its whole recipe (gui/restore.py)
    compareRequested = Signal(object, object)  # Entry, Entry
    entryDeleted = Signal(str)  # entry id

    def __init__(self, library: Library, parent: QWidget | None = None, *,
                 confirm: ConfirmFn | None = None,
                 open_url: Callable[[QUrl], bool] | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.confirm = ask_confirmation if confirm is None else confirm
        self._open_url = QDesktopServices.openUrl if open_url is None else open_url
        self._entries: dict[str, Entry] = {}
        self._pending_icons: list[str] = []
        self._icon_job: BackgroundJob | None = None  # reads thumbnails off the GUI thread
        self.damaged: list[Path] = []  # entry folders the last refresh could not read (left as they are)
        placeholder = QPixmap(ICON_SIZE, ICON_SIZE)
        placeholder.fill(QColor(128, 128, 128, 60))
        self._placeholder = QIcon(placeholder)
        self._build()
        self.refresh()

    # --- construction ------------------------------------------------------------------------
    def _build(self) -> None:
        self.list = QListWidget(self)
        self.list.setObjectName("historyList")
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setFlow(QListView.Flow.LeftToRight)
        self.list.setWrapping(False)  # one row that scrolls sideways
        self.list.setMovement(QListView.Movement.Static)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setIconSize(QSize(ICON_SIZE, ICON_SIZE))
        # No caption under the thumbnails (the time is in the tooltip): the strip stays short
        # and leaves the height to the picture.
        self.list.setGridSize(QSize(ICON_SIZE + GRID_MARGIN, ICON_SIZE + GRID_MARGIN))
        self.list.setUniformItemSizes(True)
        self.list.setItemDelegate(_ThumbnailDelegate(self.list))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.list.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scrollbar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        self.list.setFixedHeight(ICON_SIZE + GRID_MARGIN + scrollbar + 2 * self.list.frameWidth())
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.itemClicked.connect(self._on_item_clicked)
        self.list.itemActivated.connect(self._on_item_activated)
        self.list.itemSelectionChanged.connect(self._on_selection_changed)
        self.list.customContextMenuRequested.connect(self._on_context_menu)
        self.list.installEventFilter(self)  # Delete / Backspace key deletes the selection
        self.list.viewport().installEventFilter(self)  # keeps the empty-history text centred

        # Drawn over the empty list rather than in a row of its own.
        self.empty_label = QLabel("Finished images appear here.", self.list.viewport())
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setEnabled(False)

        self._make_actions()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.list, 1)
        layout.addLayout(self._button_grid())
        # The strip never grows taller than its thumbnails: the canvas gets the height.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def _make_actions(self) -> None:
        """One QAction per command, shared by the side buttons and the right-click menu;
        the menu shows the full text, the buttons the short icon text."""
        a = self._action
        self.view_action = a("View", "View", "Show the selected image", self.view_selected)
        self.compare_action = a("Compare two", "Compare", "Compare the two selected images (select "
                                "them with Ctrl+click)", self.compare_selected)
        self.restore_action = a("Restore recipe", "Restore", "Bring back this image's photo, styles, "
                                "blend, settings and after-touches to try a variation", self.restore_selected)
        self.folder_action = a("Show in folder", "Folder", "Open the folder holding this image",
                               self.show_selected_in_folder)
        self.delete_action = a("Delete", "Delete", "Delete the selected images from the history (Del)",
                               self.delete_selected)

    def _action(self, text: str, short: str, tip: str, slot: Callable[[], object]) -> QAction:
        action = QAction(text, self)
        action.setIconText(short)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def _button_grid(self) -> QGridLayout:
        """A small toolbar at the side: two columns of short buttons."""
        grid = QGridLayout()
        grid.setContentsMargins(0, 2, 4, 2)
        grid.setSpacing(2)
        buttons: list[QToolButton] = []
        for action in (self.view_action, self.compare_action, self.restore_action, self.folder_action,
                       self.delete_action):
            button = QToolButton(self)
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            grid.addWidget(button, len(buttons) // 2, len(buttons) % 2)
            buttons.append(button)
        # Beside Delete: how many entries could not be read, said once, in the history itself.
        self.damaged_label = QLabel("", self)
        self.damaged_label.setObjectName("historyDamaged")
        self.damaged_label.hide()
        grid.addWidget(self.damaged_label, 2, 1)
        grid.setRowStretch(3, 1)
        (self.view_button, self.compare_button, self.restore_button, self.folder_button,
         self.delete_button) = buttons
        return grid

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.list.viewport() and event.type() == QEvent.Type.Resize:
            self.empty_label.setGeometry(self.list.viewport().rect())
        if (watched is self.list and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)):
            self.delete_selected()
            return True
        return super().eventFilter(watched, event)

    # --- public API --------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload every entry from the library (newest first), keeping the selection."""
        selected = {entry.id for entry in self.selected_entries()}
        self.list.clear()
        self._entries.clear()
        self._pending_icons = []
        if self._icon_job is not None:
            self._icon_job.cancel()  # its items are gone
            self._icon_job = None
        listing = self.library.scan()
        self.damaged = listing.damaged
        self.damaged_label.setText(f"{len(self.damaged)} unreadable")
        self.damaged_label.setToolTip(damaged_text(self.damaged))
        self.damaged_label.setVisible(bool(self.damaged))
        for entry in listing.entries:
            item = self._append_item(entry)
            item.setSelected(entry.id in selected)
        self._on_selection_changed()
        self._load_some_icons()

    def add_entry(self, entry: Entry) -> None:
        """Show a newly added entry first in the strip (no library re-scan)."""
        if entry.id in self._entries:
            return
        self._entries[entry.id] = entry
        self.list.insertItem(0, self._make_item(entry))
        self._load_some_icons()
        self.list.scrollToItem(self.list.item(0))
        self._on_selection_changed()

    def update_entry(self, entry: Entry) -> None:
        """Take an entry whose record and thumbnail changed (its after-touches) in place of the old one."""
        if entry.id in self._entries:
            self._entries[entry.id] = entry
            for i in range(self.list.count()):
                if self.list.item(i).data(_ID_ROLE) == entry.id:
                    self.list.item(i).setToolTip(_tooltip(entry))
            self._pending_icons.insert(0, entry.id)
            self._load_some_icons()

    def entries(self) -> list[Entry]:
        """The entries shown, in display order."""
        return [self._entries[self.list.item(i).data(_ID_ROLE)] for i in range(self.list.count())]

    def selected_entries(self) -> list[Entry]:
        """Selected entries in display order."""
        return [self._entries[item.data(_ID_ROLE)] for item in self._selected_items()]

    def select_ids(self, *ids: str) -> None:
        """Select exactly these entries (used by the main window and tests)."""
        self.list.clearSelection()
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setSelected(item.data(_ID_ROLE) in ids)

    # --- actions -----------------------------------------------------------------------------
    def view_selected(self) -> None:
        entries = self.selected_entries()
        if entries:
            self.entryActivated.emit(entries[0])

    def compare_selected(self) -> None:
        entries = self.selected_entries()
        if len(entries) == 2:
            self.compareRequested.emit(entries[0], entries[1])

    def restore_selected(self) -> None:
        entries = self.selected_entries()
        if entries:
            self.restoreRequested.emit(entries[0])

    def delete_selected(self) -> None:
        entries = self.selected_entries()
        if not entries:
            return
        what = "this image" if len(entries) == 1 else f"these {len(entries)} images"
        if not self.confirm(self, f"Delete {what} from the history? This cannot be undone."):
            return
        for entry in entries:
            try:
                self.library.delete(entry.id)
            except (KeyError, OSError) as exc:  # already gone (another window) or locked file
                show_error(self, f"Could not delete {entry.folder}: {exc}")
                continue
            self._remove_item(entry.id)
            self.entryDeleted.emit(entry.id)
        self._on_selection_changed()

    def show_selected_in_folder(self) -> None:
        entries = self.selected_entries()
        if entries and not self._open_url(QUrl.fromLocalFile(str(folder := entries[0].folder))):
            # No file manager (a bare Linux session): the path is what the user can still use.
            box = show_error(self, f"No file manager could be opened. The picture is in:\n{folder}",
                             "Show in folder")
            box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # to copy it

    # --- slots -------------------------------------------------------------------------------
    def _on_item_clicked(self, item: QListWidgetItem) -> None:
        # Ctrl/Shift-clicks build a multi-selection for Compare; only a click that leaves
        # this one item selected (a plain click) views it.
        if item.isSelected() and len(self.list.selectedItems()) == 1:
            self.entryActivated.emit(self._entries[item.data(_ID_ROLE)])

    def _on_item_activated(self, item: QListWidgetItem) -> None:
        self.entryActivated.emit(self._entries[item.data(_ID_ROLE)])

    def _on_selection_changed(self) -> None:
        count = len(self._selected_items())
        for action in (self.view_action, self.restore_action, self.folder_action):
            action.setEnabled(count == 1)
        self.compare_action.setEnabled(count == 2)
        self.delete_action.setEnabled(count >= 1)
        self.empty_label.setVisible(self.list.count() == 0)

    def _on_context_menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        if item is not None and not item.isSelected():
            self.list.setCurrentItem(item)  # right-click acts on the item under the mouse
        menu = self.context_menu()
        menu.exec(self.list.viewport().mapToGlobal(pos))

    def context_menu(self) -> QMenu:
        """The right-click menu: the same actions as the side buttons, with their full names."""
        menu = QMenu(self)
        menu.addActions([self.view_action, self.compare_action, self.restore_action, self.folder_action])
        menu.addSeparator()
        menu.addAction(self.delete_action)
        return menu

    # --- items -------------------------------------------------------------------------------
    def _selected_items(self) -> list[QListWidgetItem]:
        return sorted(self.list.selectedItems(), key=self.list.row)

    def _append_item(self, entry: Entry) -> QListWidgetItem:
        self._entries[entry.id] = entry
        item = self._make_item(entry, lazy=True)
        self.list.addItem(item)
        return item

    def _make_item(self, entry: Entry, lazy: bool = False) -> QListWidgetItem:
        item = QListWidgetItem()
        item.setData(Qt.ItemDataRole.AccessibleTextRole, entry.created.astimezone().strftime("%H:%M"))
        item.setData(_ID_ROLE, entry.id)
        item.setToolTip(_tooltip(entry))
        item.setIcon(self._placeholder)  # the thumbnail is read in the background
        if lazy:
            self._pending_icons.append(entry.id)
        else:  # a new entry, shown first: read before the older ones
            self._pending_icons.insert(0, entry.id)
        return item

    def _load_some_icons(self) -> None:
        """Read the next batch of thumbnails in a worker, in display order (the visible ones
        first); each icon appears as soon as it is read."""
        if self._icon_job is not None or not self._pending_icons:
            return
        self._pending_icons = [i for i in self._pending_icons if i in self._entries]  # deleted ones: none
        batch = [(i, self._entries[i].thumb_path) for i in self._pending_icons[:ICON_BATCH]]
        if not batch:
            return
        job = run_in_background(_read_thumbnails, batch, on_yield=self._on_icon_read, parent=self)
        job.ended.connect(lambda: self._on_icon_job_ended(job))
        self._icon_job = job

    def _on_icon_read(self, read: tuple[str, QImage]) -> None:
        entry_id, thumb = read
        if entry_id in self._pending_icons:
            self._pending_icons.remove(entry_id)
        for i in range(self.list.count()):
            if self.list.item(i).data(_ID_ROLE) == entry_id:
                self.list.item(i).setIcon(QIcon(QPixmap.fromImage(thumb)))

    def _on_icon_job_ended(self, job: BackgroundJob) -> None:
        if job is self._icon_job:
            self._icon_job = None
            self._load_some_icons()

    def icons_pending(self) -> int:
        """Thumbnails not read yet (they load in the background after a refresh)."""
        return len(self._pending_icons)

    def _remove_item(self, entry_id: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(_ID_ROLE) == entry_id:
                self.list.takeItem(i)
                break
        self._entries.pop(entry_id, None)


def _read_thumbnails(batch: list[tuple[str, Path]]) -> Iterator[tuple[str, QImage]]:
    """Runs in a worker: each entry's thumbnail scaled to the strip (empty when unreadable)."""
    for entry_id, path in batch:
        image = QImage(str(path))
        if not image.isNull():
            image = image.scaled(ICON_SIZE, ICON_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                                 Qt.TransformationMode.SmoothTransformation)
        yield entry_id, image


class _ThumbnailDelegate(QStyledItemDelegate):
    """The thumbnail alone, framed when selected. The style's icon-mode painting highlighted
    the empty caption too: a blue bar stayed under the selected thumbnail."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        icon = index.data(Qt.ItemDataRole.DecorationRole)
        pixmap = icon.pixmap(QSize(ICON_SIZE, ICON_SIZE)) if isinstance(icon, QIcon) else QPixmap()
        target = QRect(QPoint(0, 0), pixmap.deviceIndependentSize().toSize())
        target.moveCenter(option.rect.center())
        painter.drawPixmap(target, pixmap)
        if option.state & QStyle.StateFlag.State_Selected:
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(option.palette.highlight().color(), 3))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(target).adjusted(-1.5, -1.5, 1.5, 1.5), 3, 3)
            painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(ICON_SIZE + GRID_MARGIN, ICON_SIZE + GRID_MARGIN)


def damaged_text(folders: list[Path]) -> str:
    """One sentence for the window: how many history entries could not be read, and where they are."""
    if not folders:
        return ""
    count = "1 history entry was" if len(folders) == 1 else f"{len(folders)} history entries were"
    return f"{count} not readable, left untouched in {folders[0].parent}."


def _tooltip(entry: Entry) -> str:
    """Date, inputs and every setting that differs from the defaults, in human words."""
    lines = [entry.created.astimezone().strftime("%Y-%m-%d %H:%M:%S")]
    return "\n".join(lines + record_lines(entry.metadata))
