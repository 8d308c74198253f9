"""Repeating a picture whose record holds live edits or a promotion (``--params``).

A picture painted with live edits replays them at the same steps (``stylize(edits=...)``).
A promoted picture ("Render full size" from a quick look or a stopped picture) went on from
another picture: its record holds that picture's own record as ``continued_from``, which
is rendered first, so the replay starts from the same pixels and paints the same picture.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from nst_desktop.engine.events import ImageArray, RunResult, StyleInput
from nst_desktop.engine.live import Edit

log = logging.getLogger(__name__)

#: A promotion of a promotion of...: more than this is a corrupt or hand-made record.
MAX_CHAIN = 8


def recorded_history(path: str | os.PathLike[str] | None,
                     record: Any) -> tuple[tuple[Edit, ...], dict[str, Any] | None]:
    """The live edits and the ``continued_from`` record of a ``--params`` file's ``record``
    (none without a file)."""
    if path is None:
        return (), None
    from nst_desktop.io.metadata import continued_from_metadata, edits_from_metadata, parse_file

    return parse_file(path, lambda data: (edits_from_metadata(data), continued_from_metadata(data)), record)


def render_record(record: dict[str, Any], content: ImageArray, styles: list[StyleInput],
                  depth: int = 0) -> RunResult:
    """Paint the picture a record describes (its own start picture first, if it was promoted),
    through the one render path (service.render)."""
    from nst_desktop.engine.errors import ParamsError
    from nst_desktop.io.metadata import continued_from_metadata, edits_from_metadata, params_from_metadata
    from nst_desktop.service.render import Job, render

    if depth >= MAX_CHAIN:
        raise ParamsError(f"The record goes on from more than {MAX_CHAIN} earlier pictures.")
    params, inputs = params_from_metadata(record)
    blend = inputs["style_weights"] if len(inputs["style_weights"]) == len(styles) else None
    if blend is not None:
        styles = [StyleInput(s.image, w, s.name) for s, w in zip(styles, blend, strict=True)]
    source = continued_from_metadata(record)
    start = render_record(source, content, styles, depth + 1).image if source else None
    log.info("replaying an earlier picture at %d px to go on from it", params.size)
    job = Job(content, tuple(styles), params, edits=edits_from_metadata(record), start_from=start)
    return render(job, preview_every=0).result


def start_picture(source: dict[str, Any] | None, content: ImageArray,
                  styles: list[StyleInput]) -> ImageArray | None:
    """The picture a promoted run went on from, painted again (None for a fresh run)."""
    if source is None:
        return None
    return render_record(source, content, styles).image


def describe(edits: tuple[Edit, ...], source: dict[str, Any] | None) -> str:
    """One line for the progress output: what the replay will do besides a plain run."""
    parts = []
    if edits:
        parts.append(f"{len(edits)} live edit{'s' if len(edits) != 1 else ''} replayed")
    if source is not None:
        size = source.get("params", {}).get("size", "?") if isinstance(source.get("params"), dict) else "?"
        parts.append(f"going on from a {size} px picture (painted again first)")
    return ", ".join(parts)

