"""The window's document, without Qt: the recipe on screen, the picture on show, the run in
progress, and the undo history of recipe snapshots (issue 17.1-17.3).

Views push edits here and redraw on its events; no view reads another view. The state each
of them used to keep a copy of (the settings in the panel, in the undo stack, in the tweak
loop and in the settings file; the picture in the session and in the after-touches) lives
here once.

Undo. Every change is one step holding the snapshot before and after it: the recipe, and the
picture on show when the step changed it (a restore from the history). A restore is one
step, so it undoes whole, its touches included. Consecutive edits of one control within
:data:`MERGE_WINDOW_S` (a slider drag) merge into one step. After-touches belong to the
picture they were made on: undone while another picture is on show, they change nothing,
and :meth:`Document.undo` says so. An edit's step puts back only what it changed (its settings,
its touches...), over the recipe as it is now: what changed meanwhile without a step of its
own (the touches of a new picture, the photo and styles the window follows) stays.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from nst_desktop.engine.spec.live import BLEND, LIVE_FIELDS
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.touches import Touches
from nst_desktop.recipe.events import Event
from nst_desktop.recipe.jobs import JobKind, promote_problem
from nst_desktop.recipe.picture import Picture
from nst_desktop.recipe.recipe import Recipe

MERGE_WINDOW_S = 1.5
EMPTY = Recipe("", ())
STEP_FIELDS = ("photo", "styles", "params", "touches")  # what an edit's step puts back (and the mask)


@dataclass(frozen=True)
class Running:
    """The run in progress: its kind, the recipe it started from, and its look now (the
    settings and blend after the live edits sent to it)."""

    kind: JobKind
    started: Recipe
    look: Params
    blend: tuple[float, ...]


@dataclass
class Step:
    """One undoable change: the recipe (and, for a restore, the picture) before and after."""

    text: str
    before: Recipe
    after: Recipe
    merge_key: str | None = None
    pictures: tuple[Picture | None, Picture | None] | None = None  # set: the step changed the picture
    touches_of: Picture | None = None  # set: a change of after-touches, made on this picture
    when: float = field(default_factory=time.monotonic)


def _changes_of(step: Step, side: Recipe, now: Recipe) -> Recipe:
    """``now`` with what ``step`` changed taken from ``side`` (its before or its after)."""
    changed = {name: getattr(side, name) for name in STEP_FIELDS
               if getattr(step.before, name) != getattr(step.after, name)}
    if step.before.mask is not step.after.mask:
        changed["mask"] = side.mask
    return replace(now, **changed)


def live_changes(running: Running, wanted: Recipe) -> tuple[dict[str, Any], list[str]]:
    """(changes the running picture can take now, labels of those that must wait for a new run).

    Only look controls (engine.spec.live) and the blend go to a running picture; size, steps,
    layers... wait. ``running.started`` holds the settings the run started from (a quick look
    paints another size and fewer steps: those are no change to wait for).
    """
    live: dict[str, Any] = {name: getattr(wanted.params, name) for name in LIVE_FIELDS
                            if getattr(wanted.params, name) != getattr(running.look, name)}
    if len(wanted.styles) == len(running.blend) and wanted.blend != running.blend:
        live[BLEND] = wanted.blend
    started = running.started.params
    waiting = [Params.__dataclass_fields__[f].metadata["label"] for f in Params.__dataclass_fields__
               if f not in LIVE_FIELDS and getattr(wanted.params, f) != getattr(started, f)]
    return live, waiting


class Document:
    """The recipe on screen, the picture on show and the run in progress, with change events."""

    def __init__(self, recipe: Recipe = EMPTY, clock: Callable[[], float] = time.monotonic) -> None:
        self.recipe = recipe
        self.picture: Picture | None = None
        self.running: Running | None = None
        self._clock = clock
        self._undo: list[Step] = []
        self._redo: list[Step] = []
        self.recipeChanged: Event[[Recipe]] = Event()
        self.pictureChanged: Event[[Picture | None]] = Event()
        self.runChanged: Event[[Running | None]] = Event()
        self.undoChanged: Event[[]] = Event()

    # --- edits ---------------------------------------------------------------------------------
    def edit(self, recipe: Recipe, text: str = "Change", merge_key: str | None = None) -> None:
        """The artist changed the recipe (a control, the photo, the styles): one undo step."""
        if recipe.same_as(self.recipe):
            return
        touches_of = self.picture if recipe.touches != self.recipe.touches else None
        self._push(Step(text, self.recipe, recipe, merge_key, touches_of=touches_of, when=self._clock()))
        self._set_recipe(recipe)

    def set_params(self, params: Params, merge_key: str | None = None) -> None:
        self.edit(self.recipe.with_params(params), "Change settings", merge_key)

    def set_touches(self, touches: Touches, merge_key: str | None = None) -> None:
        self.edit(replace(self.recipe, touches=touches), "Change after-touches", merge_key)

    def follow(self, recipe: Recipe) -> None:
        """A change the undo history holds no step for (the window's photo and styles, which
        only a restore undoes): the recipe now, with its event."""
        if not recipe.same_as(self.recipe):
            self._set_recipe(recipe)

    def set_photo(self, photo: str) -> None:
        """A new photo: the picture on show (of the old one) can no longer be promoted."""
        self.edit(replace(self.recipe, photo=photo, mask=None).fresh(), "Open photo")

    def restore(self, recipe: Recipe, picture: Picture | None) -> None:
        """A history entry's recipe and picture, as one undo step."""
        step = Step("Restore from history", self.recipe, recipe, pictures=(self.picture, picture),
                    when=self._clock())
        self._push(step)
        self._set_picture(picture)
        self._set_recipe(recipe)

    # --- pictures and runs -----------------------------------------------------------------------
    def show(self, picture: Picture | None, touches: Touches | None = None) -> None:
        """Show a picture (a run's, a history entry's) with the touches it was saved with: not an
        undo step of its own (viewing is no edit), but the recipe's touches follow the picture."""
        self._set_picture(picture)
        if touches is not None and touches != self.recipe.touches:
            self._set_recipe(replace(self.recipe, touches=touches))

    def start(self, kind: JobKind) -> Recipe:
        """A run of ``kind`` starts from the recipe now; it starts untouched (touches belong to
        the picture on show, not to the next one). Returns the recipe it paints."""
        started = replace(self.recipe, touches=Touches()).fresh()
        self.running = Running(kind, started, started.params, started.blend)
        self.runChanged.emit(self.running)
        return started

    def live_changes(self) -> tuple[dict[str, Any], list[str]]:
        """What of the recipe now differs from the running picture's look (see :func:`live_changes`)."""
        if self.running is None:
            return {}, []
        return live_changes(self.running, self.recipe)

    def sent(self, changes: dict[str, Any]) -> None:
        """Live changes went to the running engine: they are its look now."""
        if self.running is None:
            return
        look = {k: v for k, v in changes.items() if k != BLEND}
        blend = tuple(changes.get(BLEND, self.running.blend))
        self.running = replace(self.running, look=self.running.look.with_changes(**look), blend=blend)
        self.runChanged.emit(self.running)

    def run_ended(self, picture: Picture | None) -> None:
        """The run is over; its picture (if any: a failed run has none) is on show."""
        self.running = None
        if picture is not None:
            self._set_picture(picture)
            if not self.recipe.touches.is_identity:
                self._set_recipe(replace(self.recipe, touches=Touches()))
        self.runChanged.emit(None)

    def promote_problem(self) -> str:
        return promote_problem(self.recipe, self.picture)

    def can_promote(self) -> bool:
        return self.running is None and not self.promote_problem()

    # --- undo ----------------------------------------------------------------------------------
    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo_count(self) -> int:
        return len(self._undo)

    def clear_undo(self) -> None:
        """Forget every step (the recipe stays as it is)."""
        self._undo.clear()
        self._redo.clear()
        self.undoChanged.emit()

    def held_recipes(self) -> list[Recipe]:
        """Every recipe an undo or redo can bring back (what their inputs must stay held for)."""
        return [r for step in (*self._undo, *self._redo) for r in (step.before, step.after)]

    def undo_text(self) -> str:
        return self._undo[-1].text if self._undo else ""

    def redo_text(self) -> str:
        return self._redo[-1].text if self._redo else ""

    def undo(self) -> str:
        """Undo the last step; a message when it changed nothing (touches of another picture)."""
        if not self._undo:
            return ""
        step = self._undo.pop()
        self._redo.append(step)
        message = self._apply(step, step.before, 0)
        self.undoChanged.emit()
        return message

    def redo(self) -> str:
        if not self._redo:
            return ""
        step = self._redo.pop()
        self._undo.append(step)
        message = self._apply(step, step.after, 1)
        self.undoChanged.emit()
        return message

    def _apply(self, step: Step, recipe: Recipe, side: int) -> str:
        if step.touches_of is not None and step.touches_of is not self.picture:
            return "Those after-touches belong to another picture: nothing changed."
        if step.pictures is not None:  # a restore: the whole recipe with its picture
            self._set_picture(step.pictures[side])
            self._set_recipe(recipe)
            return ""
        self._set_recipe(_changes_of(step, recipe, self.recipe))
        return ""

    def _push(self, step: Step) -> None:
        last = self._undo[-1] if self._undo else None
        if (last is not None and step.merge_key is not None and last.merge_key == step.merge_key
                and step.when - last.when <= MERGE_WINDOW_S and last.touches_of is step.touches_of):
            last.after, last.when = step.after, step.when
            if last.after.same_as(last.before):  # a slider dragged back where it started: no change
                self._undo.pop()
        else:
            self._undo.append(step)
        self._redo.clear()
        self.undoChanged.emit()

    def _set_recipe(self, recipe: Recipe) -> None:
        self.recipe = recipe
        self.recipeChanged.emit(recipe)

    def _set_picture(self, picture: Picture | None) -> None:
        if picture is not self.picture:
            self.picture = picture
            self.pictureChanged.emit(picture)
