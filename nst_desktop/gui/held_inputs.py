"""The images the window holds, as the document's recipe names them.

A recipe names its photo and styles by a string (``recipe.Recipe``); the window holds them
decoded (``LoadedImage``, pasted ones included). :func:`image_key` is the one way an image is
named (its file, or ``pasted:`` its name and identity), and :class:`HeldInputs` keeps the images
the recipe on screen and the recipes undo can bring back name: a run is painted from them
(``RunSession.make_request``) and an undone restore puts them back in the panel.
"""

from __future__ import annotations

from dataclasses import replace

from nst_desktop.gui.inputs_panel import InputsPanel
from nst_desktop.gui.loaded_image import LoadedImage
from nst_desktop.recipe.document import Document
from nst_desktop.recipe.recipe import Recipe, StyleRef

PASTED = "pasted:"  # a recipe's name of an image without a file begins so

InputsState = tuple[LoadedImage | None, list[tuple[LoadedImage, float]]]
"""(the photo, [(style, blend weight), …]): the inputs panel's content, in memory."""


def image_key(loaded: LoadedImage) -> str:
    """How a recipe names an image the window holds: its file, or (pasted) its name and identity."""
    return str(loaded.path) if loaded.path else f"{PASTED}{loaded.name}#{id(loaded):x}"


def is_file(key: str) -> bool:
    """Whether a recipe's image is a file (not a pasted image, which no settings file can hold)."""
    return bool(key) and not key.startswith(PASTED)


def pasted_name(key: str) -> str:
    """The name a user knows a pasted image by, from its :func:`image_key`."""
    return key.removeprefix(PASTED).rsplit("#", 1)[0]


def inputs_state(inputs: InputsPanel) -> InputsState:
    """What the inputs panel holds now, to put back later (pasted images included)."""
    return inputs.content(), [(item.loaded, item.weight) for item in inputs.styles()]


def with_inputs(recipe: Recipe, state: InputsState) -> Recipe:
    photo, styles = state
    refs = tuple(StyleRef(image_key(loaded), weight) for loaded, weight in styles)
    return replace(recipe, photo=image_key(photo) if photo is not None else "", styles=refs)


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
