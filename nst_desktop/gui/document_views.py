"""The window's panels as views of its one :class:`~nst_desktop.recipe.document.Document`
(issue 17.1-17.2): each pushes its edits to the document and redraws on the document's
``recipeChanged``, so that an undo, a redo or a restore reaches every control by one route.

* the settings panel: every change is an undo step ("Change steps"; a drag of one control
  within ``MERGE_WINDOW_S`` is one);
* the after-touches: every change is an undo step, belonging to the picture on show;
* the inputs panel (photo, styles, blend): followed without a step of its own, as before
  (only a restore undoes them); the recipe names each image by ``held_inputs.image_key``, and
  ``held_inputs.HeldInputs`` keeps the images the recipe and its undo steps name.
"""

from __future__ import annotations

from dataclasses import fields, replace

from PySide6.QtCore import QObject, Slot

from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.touches import Touches
from nst_desktop.gui.after_touches import AfterTouches
from nst_desktop.gui.held_inputs import HeldInputs, InputsState, inputs_state, with_inputs
from nst_desktop.gui.inputs_panel import InputsPanel
from nst_desktop.gui.params_panel import ParamsPanel
from nst_desktop.recipe.document import Document
from nst_desktop.recipe.recipe import Recipe


def _params_text(old: Params, new: Params) -> tuple[str, str | None]:
    """The undo step's text and merge key: one control ("Change steps", merged), or several."""
    names = [f.name for f in fields(Params) if getattr(old, f.name) != getattr(new, f.name)]
    if len(names) != 1:
        return "Change settings", None
    label = Params.__dataclass_fields__[names[0]].metadata.get("label", names[0])
    return f"Change {str(label).lower()}", f"params.{names[0]}"


def _touches_key(old: Touches, new: Touches) -> str | None:
    # Only the slider merges: two clicks on the checkbox are two steps.
    return "touches.fade" if old.keep_photo_colours == new.keep_photo_colours else None


class DocumentViews(QObject):
    """Pushes the panels' edits to ``document`` and shows its recipe in them."""

    def __init__(self, document: Document, held: HeldInputs, params_panel: ParamsPanel, inputs: InputsPanel,
                 touches: AfterTouches, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document, self.params_panel, self.inputs, self.touches = document, params_panel, inputs, touches
        self.held = held
        self._applying = False  # the panels are being set from the document: their echoes are no edit
        params_panel.paramsChanged.connect(self._on_params_changed)
        inputs.changed.connect(self._on_inputs_changed)
        touches.edited.connect(self._on_touches_edited)
        document.recipeChanged.connect(self._on_recipe_changed)

    # --- edits, from the panels --------------------------------------------------------------------
    @Slot(object)
    def _on_params_changed(self, params: Params) -> None:
        if self._applying:
            return
        text, key = _params_text(self.document.recipe.params, params)
        self.document.edit(self.document.recipe.with_params(params), text, key)

    @Slot()
    def _on_inputs_changed(self) -> None:
        if self._applying:
            return
        state = inputs_state(self.inputs)
        self.document.follow(with_inputs(self.document.recipe, state))
        self.held.hold(state)

    @Slot(object, object)
    def _on_touches_edited(self, old: Touches, new: Touches) -> None:
        recipe = replace(self.document.recipe, touches=new)
        self.document.edit(recipe, "Change after-touches", _touches_key(old, new))

    def restore_inputs(self, state: InputsState) -> Recipe:
        """The recipe on screen with ``state`` as its inputs, those images held (a restore)."""
        self.held.hold(state)
        return with_inputs(self.document.recipe, state)

    # --- the recipe, to the panels -----------------------------------------------------------------
    @Slot(object)
    def _on_recipe_changed(self, recipe: Recipe) -> None:
        self._applying = True
        try:
            if recipe.params != self.params_panel.params():
                self.params_panel.set_params(recipe.params)
            self._show_inputs(recipe)
        finally:
            self._applying = False
        if recipe.touches != self.touches.touches():
            self.touches.set_touches(recipe.touches)

    def _show_inputs(self, recipe: Recipe) -> None:
        shown = with_inputs(recipe, inputs_state(self.inputs))
        if shown.photo == recipe.photo and shown.styles == recipe.styles:
            return  # the panel shows them already
        state = self.held.state_of(recipe)
        if state is None:
            return  # not held (cannot happen for a recipe undo brings back)
        photo, styles = state
        if photo is not self.inputs.content():
            self.inputs.set_content(photo)
        self.inputs.clear_styles()
        for loaded, weight in styles:
            self.inputs.add_style(loaded, weight)
