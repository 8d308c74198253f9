"""The service's unit of work: one render's images in memory, its settings, and where they came from.

Built from a Recipe by ``recipe.jobs.job_for`` (the CLI, the window, the queue; a replay's earlier
pictures too); painted by :func:`nst_desktop.service.render.render`. No torch here: the Recipe package, which
is checked before torch's import, builds Jobs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from nst_desktop.engine.spec.events import ImageArray, StyleInput
from nst_desktop.engine.spec.live import Edit
from nst_desktop.engine.spec.params import Params
from nst_desktop.engine.spec.region_masks import RegionMask
from nst_desktop.engine.spec.touches import Touches


@dataclass(frozen=True)
class Job:
    """One render: the images in memory, the settings, and where the images came from."""

    content: ImageArray
    styles: tuple[StyleInput, ...]
    params: Params
    content_path: str | os.PathLike[str] | None = None
    style_paths: tuple[str | os.PathLike[str], ...] = ()
    init_image: ImageArray | None = None
    edits: tuple[Edit, ...] = ()  # a recorded timeline of live edits to replay
    start_from: ImageArray | None = None  # promote: go on from this picture
    continued_from: dict[str, Any] | None = None  # the record of that picture
    touches: Touches = field(default_factory=Touches)
    # A style per painted region (engine.losses.masked_loss); None: the whole picture.
    mask: RegionMask | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # more keys for the record (e.g. decoding)
