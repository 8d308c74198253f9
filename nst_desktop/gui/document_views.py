"""The window's panels as views of its one :class:`~nst_desktop.recipe.document.Document`
(issue 17.1-17.2): each pushes its edits to the document and redraws on the document's
``recipeChanged``, so that an undo, a redo or a restore reaches every control by one route.

* the settings panel: every change is an undo step ("Change steps"; a drag of one control
  within ``MERGE_WINDOW_S`` is one);
* the after-touches: every change is an undo step, belonging to the picture on show;
* the inputs panel (photo, styles, blend): followed without a step of its own, as before
  (only a restore undoes them); the recipe names each image by :func:`image_key`, and
  :class:`HeldInputs` keeps the images an undo can bring back.
"""

from __future__ import annotations

from dataclasses import fields, replace

from PySide6.QtCore import QObject, Slot

from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.touches import Touches
from nst_desktop.gui.after_touches import AfterTouches
from nst_desktop.gui.inputs_panel import InputsPanel
from nst_desktop.gui.loaded_image import LoadedImage
from nst_desktop.gui.params_panel import ParamsPanel
from nst_desktop.recipe.document import Document
from nst_desktop.recipe.recipe import Recipe, StyleRef

InputsState = tuple[LoadedImage | None, list[tuple[LoadedImage, float]]]
"""(the photo, [(style, blend weight), …]): the inputs panel's content, in memory."""


PASTED = "pasted:"  # a recipe's name of an image without a file begins so


def image_key(loaded: LoadedImage) -> str:
    """How a recipe names an image the window holds: its file, or (pasted) its name and identity."""
    return str(loaded.path) if loaded.path else f"{PASTED}{loaded.name}#{id(loaded):x}"


def is_file(key: str) -> bool:
    """Whether a recipe's image is a file (not a pasted image, which no settings file can hold)."""
    return bool(key) and not key.startswith(PASTED)


def inputs_state(inputs: InputsPanel) -> InputsState:
    """What the inputs panel holds now, to put back later (pasted images included)."""
    return inputs.content(), [(item.loaded, item.weight) for item in inputs.styles()]


def with_inputs(recipe: Recipe, state: InputsState) -> Recipe:
    photo, styles = state
    refs = tuple(StyleRef(image_key(loaded), weight) for loaded, weight in styles)
    return replace(recipe, photo=image_key(photo) if photo is not None else "", styles=refs)


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


class HeldInputs:
    """The images the recipes of the document name (the one on screen, those undo can bring
    back), by :func:`image_key`; the others are let go."""

    def __init__(self, document: Document) -> None:
        self._document = document
        self._images: dict[str, LoadedImage] = {}

    def hold(self, state: InputsState) -> None:
        photo, styles = state
        for loaded in ([photo] if photo is not None else []) + [s for s, _ in styles]:
            self._images[image_key(loaded)] = loaded
        named = {r.photo for r in (self._document.recipe, *self._document.held_recipes())}
        named |= {s.path for r in (self._document.recipe, *self._document.held_recipes()) for s in r.styles}
        named |= {image_key(photo)} if photo is not None else set()
        named |= {image_key(s) for s, _ in styles}
        self._images = {key: image for key, image in self._images.items() if key in named}

    def state_of(self, recipe: Recipe) -> InputsState | None:
        """The images ``recipe`` names; None when one is no longer held."""
        photo = self._images.get(recipe.photo) if recipe.photo else None
        styles = [(self._images.get(s.path), s.weight) for s in recipe.styles]
        if (recipe.photo and photo is None) or any(image is None for image, _ in styles):
            return None
        return photo, [(image, weight) for image, weight in styles if image is not None]


class DocumentViews(QObject):
    """Pushes the panels' edits to ``document`` and shows its recipe in them."""

    def __init__(self, document: Document, params_panel: ParamsPanel, inputs: InputsPanel,
                 touches: AfterTouches, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document, self.params_panel, self.inputs, self.touches = document, params_panel, inputs, touches
        self.held = HeldInputs(document)
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
