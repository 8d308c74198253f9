"""Undo and redo of the recipe: params changes, after-touches, and a restore from history.

Every change is one :class:`QUndoCommand` holding the value before and after; undo and
redo put a value back through the same path a program change takes (``set_params``,
``AfterTouches.set_touches``), so the controls show it too. Consecutive changes of one
control within :data:`MERGE_WINDOW_S` (a slider drag, a spin box held down) merge into
one step. A restore is one macro: its inputs, params and the picture it showed (with that
picture's touches) undo together. A change of touches belongs to the picture it was made on:
undone while another picture is on show, it changes nothing and says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from functools import partial
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QUndoCommand, QUndoStack

from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.touches import Touches
from nst_desktop.gui.after_touches import AfterTouches
from nst_desktop.gui.inputs_panel import InputsPanel, StyleItem
from nst_desktop.gui.loaded_image import LoadedImage
from nst_desktop.gui.params_panel import ParamsPanel

MERGE_WINDOW_S = 1.5
_merge_ids: dict[str, int] = {}  # one Qt command id per mergeable control, made on first use

InputsState = tuple[LoadedImage | None, list[tuple[LoadedImage, float]]]
"""(the photo, [(style, blend weight), …]): the inputs panel's content, in memory."""


def _merge_id(key: str | None) -> int:
    if key is None:
        return -1  # Qt: never merges
    return _merge_ids.setdefault(key, len(_merge_ids) + 1)


class ChangeCommand(QUndoCommand):
    """``old`` -> ``new`` of one piece of state, put in place by ``apply``.

    ``applied``: the change already happened when the command is pushed (a user edit), so
    the stack's first ``redo`` does nothing.
    """

    def __init__(self, text: str, old: Any, new: Any, apply: Callable[[Any], None],
                 merge_key: str | None = None, applied: bool = True) -> None:
        super().__init__(text)
        self.old, self.new, self.apply, self.merge_key = old, new, apply, merge_key
        self._skip_redo = applied
        self.when = time.monotonic()

    def id(self) -> int:
        return _merge_id(self.merge_key)

    def redo(self) -> None:
        if self._skip_redo:
            self._skip_redo = False
            return
        self.apply(self.new)

    def undo(self) -> None:
        self.apply(self.old)

    def mergeWith(self, other: QUndoCommand) -> bool:
        if (not isinstance(other, ChangeCommand) or other.merge_key != self.merge_key
                or other.when - self.when > MERGE_WINDOW_S):
            return False
        self.new, self.when = other.new, other.when
        if self.new == self.old:
            self.setObsolete(True)  # dragged back to where it was: nothing to undo
        return True


def _changed_fields(old: Params, new: Params) -> list[str]:
    return [f.name for f in fields(Params) if getattr(old, f.name) != getattr(new, f.name)]


def _params_text(names: list[str]) -> str:
    if len(names) != 1:
        return "Change settings"
    meta = next(f.metadata for f in fields(Params) if f.name == names[0])
    return f"Change {str(meta.get('label', names[0])).lower()}"


def _touches_key(old: Touches, new: Touches) -> str | None:
    # Only the slider merges: two clicks on the checkbox are two steps.
    return "touches.fade" if old.keep_photo_colours == new.keep_photo_colours else None


class UndoHistory(QObject):
    """The undo stack of the main window, fed by the params panel and the after-touches."""

    def __init__(self, params_panel: ParamsPanel, touches: AfterTouches, inputs: InputsPanel,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.stack = QUndoStack(self)
        self.params_panel, self.touches, self.inputs = params_panel, touches, inputs
        self._params = params_panel.params()  # the value the next change starts from
        self._applying = False
        params_panel.paramsChanged.connect(self._on_params_changed)
        touches.edited.connect(self._on_touches_edited)

    def connect_actions(self, undo: QAction, redo: QAction) -> None:
        """Enable and name the Edit menu's Undo and Redo after the stack."""
        self._undo_action, self._redo_action = undo, redo
        undo.triggered.connect(self.stack.undo)
        redo.triggered.connect(self.stack.redo)
        # Slots of this object, not lambdas: Qt cuts them when the window is torn down, before
        # the dying stack announces its last (empty) state to actions already deleted.
        self.stack.indexChanged.connect(self._on_stack_changed)
        self.stack.cleanChanged.connect(self._on_stack_changed)
        self._on_stack_changed()

    def _on_stack_changed(self) -> None:
        self._undo_action.setEnabled(self.stack.canUndo())
        self._redo_action.setEnabled(self.stack.canRedo())
        self._undo_action.setText(f"&Undo {self.stack.undoText()}".strip())
        self._redo_action.setText(f"&Redo {self.stack.redoText()}".strip())

    @contextmanager
    def step(self, text: str) -> Iterator[None]:
        """Everything recorded inside is one undo step."""
        self.stack.beginMacro(text)
        try:
            yield
        finally:
            self.stack.endMacro()

    def change_inputs(self, new: InputsState, text: str = "Change photo and styles") -> None:
        """Put ``new`` in the inputs panel, undoably (used by a restore)."""
        self.stack.push(ChangeCommand(text, inputs_state(self.inputs), new, self._apply_inputs,
                                      applied=False))

    def change_picture(self, old: object, new: object, show: Callable[[Any], None]) -> None:
        """The picture on show went from ``old`` to ``new`` (a restore showed it): ``show``
        puts one back."""
        self.stack.push(ChangeCommand("Show the picture", old, new, show))

    # --- recording ---------------------------------------------------------------------------
    def _on_params_changed(self, params: Params) -> None:
        old, self._params = self._params, params
        if self._applying or params == old:
            return
        names = _changed_fields(old, params)
        key = f"params.{names[0]}" if len(names) == 1 else None
        self.stack.push(ChangeCommand(_params_text(names), old, params, self._apply_params, key))

    def _on_touches_edited(self, old: Touches, new: Touches) -> None:
        apply = partial(self.touches.set_touches, picture=self.touches.picture_key())  # on that picture only
        self.stack.push(ChangeCommand("Change after-touches", old, new, apply, _touches_key(old, new)))

    # --- applying ----------------------------------------------------------------------------
    def _apply_params(self, params: Params) -> None:
        self._applying = True
        try:
            self.params_panel.set_params(params)
        finally:
            self._applying = False
        self._params = params

    def _apply_inputs(self, state: InputsState) -> None:
        photo, styles = state
        self.inputs.set_content(photo)
        self.inputs.clear_styles()
        for loaded, weight in styles:
            self.inputs.add_style(loaded, weight)


def inputs_state(inputs: InputsPanel) -> InputsState:
    """What the inputs panel holds now, to put back later (pasted images included)."""
    styles: list[StyleItem] = inputs.styles()
    return inputs.content(), [(item.loaded, item.weight) for item in styles]
