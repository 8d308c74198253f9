"""After-touches: quick changes to a finished picture that need no new optimisation.

* *Keep photo colours*: the painting's luminance with the photo's chroma (YIQ, the same
  transform as :mod:`nst_desktop.engine.losses.colour` uses for luminance-only transfer);
* *Fade*: a linear mix toward the photo, applied after the colour touch.

NumPy only (no torch): the GUI imports this module at start-up and re-renders the picture
on every slider move, so it must be cheap to import and to run (a few ms at 1024x768).
The photo must already have the painting's size (``io.resize.fit_photo``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from nst_desktop.engine.spec.errors import ParamsError
from nst_desktop.engine.spec.events import ImageArray

# NTSC YIQ, the numbers of engine/losses/colour.py's _RGB_TO_YIQ (a test keeps the two equal).
RGB_TO_YIQ: npt.NDArray[np.float64] = np.array(
    [[0.299, 0.587, 0.114], [0.595716, -0.274453, -0.321263], [0.211456, -0.522591, 0.311135]]
)
YIQ_TO_RGB: npt.NDArray[np.float64] = np.asarray(np.linalg.inv(RGB_TO_YIQ), dtype=np.float64)
# "Painting's Y, photo's I and Q" folded into two RGB->RGB matrices, so that keeping the
# photo's colours is two 3x3 products per pixel instead of two colour-space round trips.
_KEEP_Y = (YIQ_TO_RGB @ np.diag([1.0, 0.0, 0.0]) @ RGB_TO_YIQ).astype(np.float32)
_KEEP_IQ = (YIQ_TO_RGB @ np.diag([0.0, 1.0, 1.0]) @ RGB_TO_YIQ).astype(np.float32)


@dataclass(frozen=True)
class Touches:
    """The after-touches of one picture; the defaults change nothing."""

    keep_photo_colours: bool = False
    fade: float = 0.0  # 0: the painting, 1: the photo

    def __post_init__(self) -> None:
        if not isinstance(self.keep_photo_colours, bool):
            raise ParamsError(f"Invalid after-touch 'keep_photo_colours': {self.keep_photo_colours!r} "
                              "is not true or false.")
        if (isinstance(self.fade, bool) or not isinstance(self.fade, (int, float))
                or not math.isfinite(self.fade) or not 0.0 <= self.fade <= 1.0):
            raise ParamsError(f"Invalid after-touch 'fade': {self.fade!r} is not a number from 0 to 1.")
        object.__setattr__(self, "fade", float(self.fade))

    @property
    def is_identity(self) -> bool:
        """True when applying these touches returns the painting unchanged."""
        return not self.keep_photo_colours and self.fade == 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"keep_photo_colours": self.keep_photo_colours, "fade": self.fade}

    @classmethod
    def from_dict(cls, data: Any) -> Touches:
        """Forgiving about versions (unknown keys ignored, missing ones default), strict about
        nonsense (:class:`ParamsError` naming the key for a wrong type or range)."""
        if not isinstance(data, dict):
            raise ParamsError(f"The after-touches are not a JSON object ({type(data).__name__}).")
        known = {key: data[key] for key in ("keep_photo_colours", "fade") if key in data}
        return cls(**known)


def apply_touches(painting: ImageArray, photo: ImageArray, touches: Touches) -> ImageArray:
    """``painting`` with ``touches`` applied; float32 (H, W, 3) 0..1.

    ``photo`` must have the painting's height and width. Identity touches return the
    painting itself (no copy), so the untouched picture costs nothing.
    """
    if touches.is_identity:
        return painting
    if photo.shape != painting.shape:
        raise ValueError(f"The photo {photo.shape} must have the painting's shape {painting.shape}.")
    out: npt.NDArray[np.float32] = np.asarray(painting, dtype=np.float32)
    photo32 = np.asarray(photo, dtype=np.float32)
    if touches.keep_photo_colours:
        out = out @ _KEEP_Y.T + photo32 @ _KEEP_IQ.T
    if touches.fade > 0.0:
        fade = np.float32(touches.fade)
        out = out * (np.float32(1.0) - fade) + photo32 * fade
    result: ImageArray = np.clip(out, 0.0, 1.0, out=out)  # out is a new array here, never the painting
    return result
