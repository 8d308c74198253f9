"""Resize a photo to a painting's exact size, for the after-touches (engine/spec/touches.py).

The engine stays free of Pillow; callers fit the photo once per picture and keep it.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from nst_desktop.engine.spec.events import ImageArray


def fit_photo(photo: ImageArray, hw: tuple[int, int]) -> ImageArray:
    """``photo`` resized (bicubic) to exactly ``hw`` = (height, width); float32 0..1.

    Resized per channel in Pillow's 32-bit float mode, so no 8-bit rounding; clipped,
    since bicubic overshoots a little at hard edges. The same array when already that size.
    """
    height, width = int(hw[0]), int(hw[1])
    if height < 1 or width < 1:
        raise ValueError(f"Cannot fit a photo to {width}x{height} pixels.")
    if photo.shape[:2] == (height, width):
        return photo
    channels = [
        np.asarray(Image.fromarray(np.ascontiguousarray(photo[..., c], dtype=np.float32), "F").resize(
            (width, height), Image.Resampling.BICUBIC))
        for c in range(3)
    ]
    fitted: ImageArray = np.clip(np.stack(channels, axis=2), 0.0, 1.0).astype(np.float32)
    return fitted
