"""A stand-in for ``engine.run.stylize.stylize`` with the same signature and event protocol,
fast and deterministic, for GUI tests that are about the GUI and not about the engine; and one for
the export options dialog."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nst_desktop.engine.spec.control import RunControl
from nst_desktop.engine.spec.errors import DivergedError
from nst_desktop.engine.spec.events import PREPARING, ImageArray, ProgressEvent, RunResult, StyleInput
from nst_desktop.engine.spec.live import Edit
from nst_desktop.engine.spec.params import Params
from nst_desktop.gui.export_dialog import Action, ExportChoice
from nst_desktop.io.print_size import PrintTarget, plan_print


@dataclass
class FakeStylize:
    """Runs ``params.steps`` steps; each step sleeps ``step_s``. ``fail_at`` raises a
    DivergedError carrying the last good image at that step. Like the engine, it first says it
    prepares the styles (a PREPARING event), which takes ``setup_s``. ``block_at`` makes that step a
    long one, as at print sizes: it sets ``blocked`` and waits (deaf to stops) for ``release``."""

    step_s: float = 0.0
    setup_s: float = 0.0
    fail_at: int | None = None
    block_at: int | None = None
    size: tuple[int, int] = (24, 32)  # (h, w) of the painting; history tests need more than a thumbnail
    elapsed_s: float | None = None  # the time reported; None: as measured
    calls: list[dict[str, Any]] = field(default_factory=list)
    blocked: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def __call__(self, content: ImageArray, styles: Sequence[StyleInput], params: Params, *,
                 weights: Any = None, init_image: ImageArray | None = None, callback: Any = None,
                 control: RunControl | None = None, preview_every: int = 10, edits: Sequence[Edit] = (),
                 start_from: ImageArray | None = None) -> RunResult:
        self.calls.append({"params": params, "styles": list(styles), "weights": weights,
                           "edits": tuple(edits), "start_from": start_from})
        h, w = self.size
        image = np.full((h, w, 3), 0.5, np.float32) if start_from is None else start_from.copy()
        h, w = image.shape[:2]
        started = time.perf_counter()
        steps = params.steps
        self.applied: list[Edit] = []
        if callback is not None:
            callback(ProgressEvent(0, 1, w, h, 0, steps, 0, steps, {}, 0.0, math.inf, phase=PREPARING))
        time.sleep(self.setup_s)  # edits sent meanwhile land at the first step, as in the engine
        for step in range(1, steps + 1):
            if control is not None and control.checkpoint():
                return self._result(image, params, True, step - 1, started, self.applied)
            landed = control.edits.take() if control is not None else {}
            if landed:  # like the engine: recorded with the number of steps done before it
                self.applied.append(Edit(step - 1, landed))
            if self.step_s:
                time.sleep(self.step_s)
            if step == self.block_at:
                self.blocked.set()
                self.release.wait(timeout=60)  # a test that forgets to release still ends
            image = np.clip(image + 0.01, 0, 1).astype(np.float32)
            if self.fail_at == step:
                last_good = self._result(image, params, True, step, started, self.applied)
                raise DivergedError("The picture went NaN.", result=last_good)
            # As the engine: 0 = only the last step's preview (the queue's runner asks that).
            every = preview_every > 0 and step % preview_every == 0
            preview = (image * 255).astype(np.uint8) if every or step == steps else None
            if callback is not None:
                callback(ProgressEvent(0, 1, w, h, step, steps, step, steps,
                                       {"content": 1.0 / step, "style": 10.0 / step, "tv": 0.1,
                                        "total": 11.1 / step},
                                       time.perf_counter() - started, 0.01 * (steps - step), preview,
                                       edit=landed or None))
        return self._result(image, params, False, steps, started, self.applied)

    def _result(self, image: ImageArray, params: Params, stopped: bool, steps: int, started: float,
                edits: list[Edit]) -> RunResult:
        elapsed = time.perf_counter() - started if self.elapsed_s is None else self.elapsed_s
        return RunResult(image=image.copy(), params=params, stopped=stopped, steps_done=steps,
                         elapsed_s=elapsed, losses={"total": 1.0}, device="cpu", edits=tuple(edits))


@dataclass
class FakeExportOptions:
    """Stands in for ``gui.export_dialog.ask_export_options``: answers ``target`` (A4 at 300 dpi
    unless told), keeping the pixels unless ``resize``, with ``action``, and records what it was
    shown: (picture_wh, fmt, file_name, render_limit, can_queue)."""

    target: PrintTarget = field(default_factory=PrintTarget)
    resize: bool = False
    quality: int = 95
    action: Action = "export"
    calls: list[tuple[tuple[int, int], str, str, int | None, bool]] = field(default_factory=list)

    def __call__(self, parent: Any, picture_wh: tuple[int, int], fmt: str, file_name: str = "",
                 render_limit: int | None = None, can_queue: bool = False) -> ExportChoice:
        self.calls.append((picture_wh, fmt, file_name, render_limit, can_queue))
        return ExportChoice(plan_print(picture_wh, self.target, self.resize), self.quality, self.action)
