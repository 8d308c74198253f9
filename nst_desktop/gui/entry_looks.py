"""A history entry's picture as it looks: with the after-touches its record holds.

Apart from gui.after_touches (the touches of the picture on show) so that the Compare dialog
needs nothing of the window's controllers (no import circle through the run session).
"""

from __future__ import annotations

from typing import Any

from nst_desktop.engine.spec.errors import NSTError
from nst_desktop.engine.spec.events import ImageArray
from nst_desktop.engine.spec.touches import Touches, apply_touches
from nst_desktop.io.metadata import inputs_from_metadata, touches_from_metadata


def entry_looks(entry: Any) -> tuple[ImageArray | None, str]:
    """A history entry's picture as it looks (with its after-touches), and what is missing
    from it ("" when nothing): e.g. for Compare, which must show what the strip shows."""
    from nst_desktop.gui.loaded_image import load_file

    try:
        painting = load_file(entry.image_path).image
    except NSTError as exc:
        return None, exc.user_text()
    touches = touches_from_metadata_or_none(entry.metadata) or Touches()
    photo_path = inputs_from_metadata(entry.metadata)["content"]
    if touches.is_identity:
        return painting, ""
    try:
        photo = load_file(photo_path).image if photo_path else None
    except NSTError:
        photo = None
    if photo is None:
        return painting, "shown without its after-touches: its photo is not available"
    from nst_desktop.io.resize import fit_photo

    return apply_touches(painting, fit_photo(photo, painting.shape[:2]), touches), ""


def touches_from_metadata_or_none(metadata: dict[str, Any]) -> Touches | None:
    """The recorded touches, or None when the record holds nonsense (so it is rewritten)."""
    try:
        return touches_from_metadata(metadata)
    except NSTError:
        return None
