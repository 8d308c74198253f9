"""The style-transfer run: coarse-to-fine optimisation of an image against VGG19 targets.

``stylize`` is the engine's one entry point for a run. It takes and returns NumPy images
(RGB, float32, 0..1), reports a :class:`ProgressEvent` after every step, honours
pause/resume/stop through :class:`RunControl`, and turns NaNs and out-of-memory
conditions into the typed errors of :mod:`nst_desktop.engine.spec.errors`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import time
from collections.abc import Iterator, Sequence

import torch
from torch import Tensor

from nst_desktop.engine.losses import colour
from nst_desktop.engine.losses.masked_loss import MaskedStyle, masked_total_loss
from nst_desktop.engine.losses.terms import (
    Targets,
    backward_pass,
    style_targets,
    targets_for_step,
    total_loss,
)
from nst_desktop.engine.model.devices import autocast_dtype, pick_device, release_cached_memory
from nst_desktop.engine.model.vgg import VGG19, cached_model
from nst_desktop.engine.model.weights import WeightSet, load_caffe_weights
from nst_desktop.engine.run import bounds, masked_tiled_pass, tiled_pass
from nst_desktop.engine.run.cost import Estimate, estimate
from nst_desktop.engine.run.inputs import (
    Inputs,
    RawInputs,
    convert_colour_space,
    initial,
    layout,
    load_inputs,
    prepare,
    resize,
    targets,
    to_tensor,
)
from nst_desktop.engine.run.runstate import Recolour, RunState, to_array, to_preview
from nst_desktop.engine.spec import tile_plan as geo
from nst_desktop.engine.spec.control import RunControl
from nst_desktop.engine.spec.errors import DivergedError, OutOfMemoryError
from nst_desktop.engine.spec.events import ImageArray, ProgressCallback, RunResult, StyleInput
from nst_desktop.engine.spec.live import BLEND, MASK, RETARGETING, Changes, Edit, check_changes
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.region_masks import RegionMask, check_fit
from nst_desktop.engine.spec.schedule import check_shape, first_scale_after, scale_sizes, steps_per_scale

__all__ = ["Estimate", "estimate", "resize", "stylize", "to_array", "to_preview"]

log = logging.getLogger(__name__)

def _optimizer(params: Params, x: Tensor) -> torch.optim.Optimizer:
    if params.optimizer == "adam":
        return torch.optim.Adam([x], lr=params.learning_rate)
    # One L-BFGS iteration per step so that every step reports and can be stopped; the
    # history persists across step() calls. See presets.py for the choice of history; at
    # print sizes it is capped by a fixed byte budget (a function of the params and the size
    # alone, so a replay paints the same: tiles.lbfgs_history_for), as the estimate assumes.
    history = geo.lbfgs_history_for(params.lbfgs_history, x.shape[-2] * x.shape[-1])
    return torch.optim.LBFGS([x], lr=1.0, max_iter=1, history_size=history,
                             line_search_fn=None, tolerance_grad=0.0, tolerance_change=0.0)


class _Painter:
    """Optimises the image scale by scale, applying live edits between steps.

    Holds what an edit can change: the params, the blend, the colour-prepared inputs and
    the targets of the current scale. Edits come from the control (live, from another
    thread) or from a recorded timeline (replay); both are recorded in ``applied``.
    """

    def __init__(self, model: VGG19, raw: RawInputs, params: Params, state: RunState,
                 control: RunControl | None, timeline: Sequence[Edit], mask: RegionMask | None) -> None:
        self.model, self.raw, self.params, self.state, self.control = model, raw, params, state, control
        self.masked = MaskedStyle(mask, raw.content.device) if mask is not None else None
        self.photo: Tensor | None = None  # the content at this scale, for a mask's keep-photo pull
        self.blend = raw.blend
        self.inputs = prepare(raw, params, self.blend)
        self.timeline = sorted(timeline, key=lambda e: e.step)
        self.applied: list[Edit] = []
        self.targets: Targets | None = None
        self.average: Tensor | None = None  # Adam's iterate average (shown and returned)
        self.hw = (0, 0)
        self.state.display = _display(params, self.inputs)
        self.tile, self.tile_gen = 0, torch.Generator().manual_seed(params.seed)  # print sizes

    def run_scale(self, x: Tensor, hw: tuple[int, int]) -> bool:
        """Optimise ``x`` in place at size ``hw``; True if the run was stopped (between two steps,
        or between two tiles of a print-size step: its best image is that of the last whole step)."""
        try:
            return self._optimise_scale(x, hw)
        except tiled_pass.PassStoppedError:
            log.info("stopped between two tiles of step %d", self.state.total_step + 1)
            return True

    def _optimise_scale(self, x: Tensor, hw: tuple[int, int]) -> bool:
        self.hw, self.photo, self.targets = hw, None, None
        # Said before the slow part: with a raised style scale or at print sizes the targets
        # take a minute, and a window must not look frozen meanwhile (issue 16.7).
        self.state.preparing()
        # Edits made during the last step of the scale before land now, so the targets are built
        # once, with them: taken at the first step they were built again (a second minute).
        self._apply_due_edits(x)
        self.tile = tiled_pass.plan_tile(self.params, hw, x.device)  # 0: the whole image in one VGG pass
        self.targets = self._targets()
        opt = self._new_optimizer(x)
        if isinstance(opt, torch.optim.LBFGS) and opt.defaults["history_size"] < self.params.lbfgs_history:
            log.info("L-BFGS history %d instead of %d at %dx%d px (its memory budget)",
                     opt.defaults["history_size"], self.params.lbfgs_history, hw[1], hw[0])
        for _ in range(self.state.scale_steps):
            if self.state.checkpoint():
                return True
            if self._apply_due_edits(x):
                opt = self._new_optimizer(x)  # old curvature pairs describe another objective
            opt = self._step(opt, x)
            self.state.step_done()
        return False

    def _new_optimizer(self, x: Tensor) -> torch.optim.Optimizer:
        self._restart_average(x)
        return _optimizer(self.params, x)

    def _step(self, opt: torch.optim.Optimizer, x: Tensor) -> torch.optim.Optimizer:
        """One optimiser step, kept in 0..1 and within a sane length; the optimiser to go on with."""
        before = x.detach().clone()
        # The sliced loss's directions for this step, set once before it: every evaluation of the
        # closure during this one L-BFGS step sees the same set (the others' targets are unchanged).
        assert self.targets is not None
        self.targets = targets_for_step(self.targets, [w for _, w in self.inputs.styles], self.params,
                                        self.state.total_step)
        last_total = opt.step(functools.partial(self._closure, opt, x))
        if self.average is not None:  # Adam: its steps are bounded by the learning rate
            with torch.no_grad():
                x.clamp_(0.0, 1.0)
                self.average.lerp_(x.detach(), 1.0 - ADAM_AVERAGE_DECAY)
            return opt
        bounds.cap_step(x, before)
        if _lbfgs_went_astray(last_total, self.state.best_loss, x):  # reads the gradient, not x
            return self._lbfgs_restart(x, last_total)
        bounds.project(opt, x, before)  # the image optimised is the image saved (issue 9.0)
        return opt

    def _restart_average(self, x: Tensor) -> None:
        self.average = x.detach().clone() if self.params.optimizer == "adam" else None

    def _lbfgs_restart(self, x: Tensor, last_total: object) -> torch.optim.Optimizer:
        """Back to the best image with a fresh history.

        Without a line search, L-BFGS can overshoot early in a scale (its curvature estimate
        comes from one tiny first step): the loss explodes and the image lands where whole
        ReLU layers are dead, the gradient is exactly zero and L-BFGS then does nothing for
        the rest of the scale. Going back to the best image does not waste the scale.
        """
        log.info("L-BFGS went astray at step %d (loss %s, best %.3g): restarting from the best "
                 "image", self.state.step + 1, last_total, self.state.best_loss)
        with torch.no_grad():
            x.copy_(self.state.best_image())
        return _optimizer(self.params, x)

    def _closure(self, opt: torch.optim.Optimizer, x: Tensor) -> float:
        assert self.targets is not None
        opt.zero_grad(set_to_none=True)
        if self.tile:
            return self._tiled_closure(x)
        layers = sorted(set(self.params.content_layers) | set(self.params.style_layers))
        feats = self.model(layout(x, x.device), layers)
        terms = self._terms(feats, x, self.targets)
        total = terms["total"]
        self._check_finite(float(total.detach()))
        backward_pass(total, x, self.model.compute_dtype)
        values = torch.stack([v.detach() for v in terms.values()]).tolist()  # one device sync
        # Adam: the average is what is shown and kept; it is the raw iterate's loss that picks
        # the best step of the scale (one VGG pass a step, not two).
        shown = self.average if self.average is not None else x
        self.state.evaluated(shown, dict(zip(terms, values, strict=True)))
        return float(values[-1])  # LBFGS only needs the value

    def _terms(self, feats: dict[str, Tensor], x: Tensor, targets: Targets) -> dict[str, Tensor]:
        """The loss terms: each region its own style term when a mask is painted."""
        if self.masked is None:
            return total_loss(feats, x, targets, self.params)
        return masked_total_loss(feats, x, targets, self.params, self.masked, self._photo())

    def _photo(self) -> Tensor:
        """The content at this scale, for a mask's keep-photo pull."""
        if self.photo is None:  # per scale, and again after a colour change (engine.run.inputs)
            self.photo = resize(self.inputs.content, self.hw)
        return self.photo

    def _due_changes(self) -> dict[str, object]:
        """Recorded edits due at this step, then live ones (a live change wins a tie)."""
        changes: dict[str, object] = {}
        while self.timeline and self.timeline[0].step <= self.state.total_step:
            changes.update(self.timeline.pop(0).changes)
        if self.control is not None:
            changes.update(self.control.edits.take())
        return changes

    def _apply_due_edits(self, x: Tensor) -> bool:
        """Apply the changes due now to the loss, targets and ``x``; True if anything changed."""
        changes = self._due_changes()
        if not changes:
            return False
        try:
            new_params, new_blend = check_changes(self.params, changes, len(self.blend))
            mask = changes.get(MASK)
            if isinstance(mask, RegionMask):  # check_changes refused any other value
                self._repaint(mask)
        except Exception as exc:  # an invalid edit must not kill a run: log it and paint on
            log.warning("ignored a live edit %s: %s", changes, exc)
            return False
        old, self.params = self.params, new_params
        self.blend = new_blend if new_blend is not None else self.blend
        rebuilt = bool(RETARGETING & set(changes)) and self._retarget(x, old, changes)
        self.state.edited(x, changes, new_params, rebuilt)
        self.applied.append(Edit(self.state.total_step, dict(changes)))
        log.info("live edit before step %d: %s", self.state.total_step + 1, changes)
        return True

    def _repaint(self, mask: RegionMask) -> None:
        """A repainted mask: the next step's loss uses its soft masks (no VGG pass needed)."""
        if self.masked is None:
            self.masked = MaskedStyle(mask, self.raw.content.device)
        else:
            self.masked.set_mask(mask)

    def _retarget(self, x: Tensor, old: Params, changes: Changes) -> bool:
        """New colour mode, blend or style scale: new style targets (and colour space); True when
        they were built again (VGG passes over the styles), False when that is left or not needed."""
        self.inputs = prepare(self.raw, self.params, self.blend)
        self.photo = None
        if old.colour != self.params.colour:
            with torch.no_grad():
                x.copy_(convert_colour_space(x.detach(), old, self.params, self.inputs.chroma))
            self.state.display = _display(self.params, self.inputs)
        if self.targets is None:
            return False  # at a scale's start: run_scale builds them next, with these changes
        if set(changes) <= {BLEND}:
            # Only the weights moved: re-blend the statistics already computed (no VGG pass).
            weights = [w for _, w in self.inputs.styles]
            sources = self.targets.sources
            directions = self.targets.directions  # the sliced loss's, of the step at hand
            self.targets = Targets(self.targets.content, style_targets(
                sources, weights, self.params.loss_normalisation, directions), sources, directions)
            return False
        self.state.preparing()  # VGG passes over the styles again: as slow as a scale's set-up
        self.targets = self._targets()
        return True

    def _targets(self) -> Targets:
        if self.tile:
            return tiled_pass.tiled_targets(self.model, self.inputs, self.params, self.hw, self.tile,
                                        self.state.stop_requested)
        return targets(self.model, self.inputs, self.params, self.hw)

    def _tiled_closure(self, x: Tensor) -> float:
        """_closure for print sizes: VGG sees one tile window at a time (engine.run.tiled_pass)."""
        assert self.targets is not None
        if self.masked is None:
            terms = tiled_pass.tiled_loss_and_grad(self.model, x, self.targets, self.params, self.tile,
                                               self.tile_gen, should_stop=self.state.stop_requested)
        else:
            terms = masked_tiled_pass.tiled_loss_and_grad(self.model, x, self.targets, self.params, self.tile,
                                                      self.tile_gen, self.masked, self._photo(),
                                                      should_stop=self.state.stop_requested)
        self._check_finite(terms["total"])
        self.state.evaluated(self.average if self.average is not None else x, terms)
        return terms["total"]

    def _check_finite(self, total: float) -> None:
        """A NaN or infinite loss: the run diverged (the error carries the best image so far)."""
        if not math.isfinite(total):
            raise DivergedError("The optimisation diverged (the loss became NaN or infinite).",
                                result=self.state.result(stopped=True))

#: Adam's iterate average: ``average += (1 - decay) * (x - average)`` after every step. Adam at
#: a fixed learning rate keeps jittering around the optimum (a fine grain in flat areas); the
#: average of the last ~1 / (1 - decay) iterates sits closer to it. 0.9 rather than 0.99
#: (crowsonkb's choice for long runs) because a coarse scale has only 50 steps here and the
#: average must not lag behind the picture, nor a live edit.
ADAM_AVERAGE_DECAY = 0.9

#: A loss this many times the best of the scale means the last L-BFGS step overshot.
LBFGS_BLOWUP_FACTOR = 10.0


def _lbfgs_went_astray(last_total: object, best: float, x: Tensor) -> bool:
    """True when the loss just evaluated exploded, or the gradient vanished entirely."""
    if not isinstance(last_total, float) or not math.isfinite(best):
        return False
    dead = x.grad is not None and not bool(x.grad.any())
    return last_total > LBFGS_BLOWUP_FACTOR * best or dead


@contextlib.contextmanager
def _memory_errors(device: torch.device) -> Iterator[None]:
    """Translate the many ways torch reports exhausted memory into OutOfMemoryError."""
    try:
        yield
    except torch.OutOfMemoryError as exc:
        raise OutOfMemoryError.on_device(device.type) from exc
    except RuntimeError as exc:
        text = str(exc).lower()
        if "out of memory" in text or "not enough memory" in text or "can't allocate" in text:
            raise OutOfMemoryError.on_device(device.type) from exc
        raise


def stylize(
    content: ImageArray,
    styles: Sequence[StyleInput],
    params: Params,
    *,
    weights: WeightSet | None = None,
    init_image: ImageArray | None = None,
    callback: ProgressCallback | None = None,
    control: RunControl | None = None,
    preview_every: int = 10,
    edits: Sequence[Edit] = (),
    start_from: ImageArray | None = None,
    mask: RegionMask | None = None,
) -> RunResult:
    """Paint ``content`` in the style of ``styles``; see the module docstring.

    ``weights=None`` uses the built-in Caffe VGG19. A stopped run returns the best image
    of the scale it reached, at that scale's size, with ``stopped=True``. ``edits`` replays
    a recorded timeline of live edits (``RunResult.edits``); ``control.edit()`` adds live
    ones. ``start_from`` continues from a picture (a quick look, a stopped run): the
    scales at or below its size are skipped, so only the larger ones are paid for.
    ``mask`` gives each painted region its own style (engine.losses.masked_loss); a ``"mask"`` live
    edit repaints it from the next step on (at print sizes too: engine.run.masked_tiled_pass).
    """
    check_shape(params, (int(content.shape[0]), int(content.shape[1])))  # a panorama strip: before the model
    if mask is not None:  # refused before the model loads: one line, no wait
        check_fit(mask, len(styles), (int(content.shape[0]), int(content.shape[1])))
    device = pick_device(params.device)
    amp = autocast_dtype(params.precision, device)  # reduced precision for the convs
    started = time.perf_counter()
    with _memory_errors(device):
        model = cached_model(weights or load_caffe_weights(), params.pooling, device, amp)
        gen = torch.Generator().manual_seed(params.seed)
        raw = load_inputs(content, styles, params, init_image, device)
        sizes = scale_sizes(params, (raw.content.shape[-2], raw.content.shape[-1]))
        steps = steps_per_scale(params, len(sizes))
        first = 0 if start_from is None else first_scale_after(sizes, max(start_from.shape[:2]))
        sizes, steps = sizes[first:], steps[first:]
        state = RunState(params, sizes, steps, callback, control, preview_every, str(device), started,
                         lambda t: t.clamp(0.0, 1.0), n_styles=len(styles))
        painter = _Painter(model, raw, params, state, control, edits, mask)
        x = _start_image(params, painter.inputs, sizes[0], gen, start_from)
        log.info("Style transfer on %s, convolutions in %s, scales %s", device, amp, sizes)
        stopped = False
        for index, hw in enumerate(sizes):
            x = resize(x, hw).detach().clone().requires_grad_(True)
            state.start_scale(index, x)
            if painter.run_scale(x, hw):
                stopped = True
                break
            x = state.best_image()
            release_cached_memory(device)  # MPS keeps the old scale's blocks otherwise
        start_size = 0 if start_from is None else max(start_from.shape[:2])
        return state.result(stopped=stopped, edits=tuple(painter.applied), start_size=start_size)


def _start_image(params: Params, inputs: Inputs, hw: tuple[int, int], gen: torch.Generator,
                 start_from: ImageArray | None) -> Tensor:
    if start_from is None:
        return initial(params, inputs, hw, gen)
    picture = to_tensor(start_from, "start picture", inputs.content.device)
    # A shown picture in luminance mode carries the photo's chroma; the optimiser works on
    # its luminance (the chroma is put back for display, as in the run that made it).
    return colour.luminance(picture) if params.colour == "luminance" else picture


def _display(params: Params, inputs: Inputs) -> Recolour:
    """How an optimised image becomes a shown one (puts the photo's chroma back if asked)."""
    if params.colour == "luminance":
        chroma = inputs.chroma
        return lambda x: colour.recombine_luminance(x, chroma).clamp(0.0, 1.0)
    return lambda x: x.clamp(0.0, 1.0)
