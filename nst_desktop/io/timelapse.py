"""Time-lapse animations of a run: the previews it produced, as an animated WebP or GIF.

A coarse-to-fine run makes its early previews at smaller sizes than its last ones, so
every frame is resized to the final frame's size (an animation has one canvas size).
The last frame is held longer so the finished image can be seen before the loop restarts.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageSequence

from nst_desktop.engine.spec.errors import ImageError
from nst_desktop.engine.spec.events import PreviewArray, to_uint8
from nst_desktop.io.atomic import atomic_write

FORMATS: dict[str, str] = {".webp": "WEBP", ".gif": "GIF"}
"""Extensions :func:`write_timelapse` understands, with Pillow's format name."""

HOLD_LAST_S = 1.5
"""How long the finished image stays on screen before the animation loops."""


def write_timelapse(
    frames: Sequence[npt.NDArray[np.generic]],
    path: str | os.PathLike[str],
    fps: float = 12,
    *,
    max_side: int | None = None,
    quality: int = 80,
    method: int = 4,
) -> Path:
    """Write ``frames`` (uint8 ``(H, W, 3)``; float 0..1 accepted) as an animation.

    The format follows the extension: ``.webp`` (animated WebP) or ``.gif``. Frames are
    resized to the last frame's size, shrunk further so the long side is at most
    ``max_side`` when given. ``quality`` and ``method`` (0 fast .. 6 small) tune WebP
    encoding. The file is written to a temporary name and renamed, so a
    crash never leaves half an animation. Raises :class:`ImageError` naming the file
    for an unknown extension, no frames, a bad frame, or an unwritable path.
    """
    target = Path(path)
    fmt = FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise ImageError(target, f"unsupported time-lapse format {target.suffix or '(none)'!r}",
                         "Use .webp or .gif.")
    if not frames:
        raise ImageError(target, "there are no frames to write (the run made no previews)")
    if fps <= 0:
        raise ImageError(target, f"frames per second must be positive, not {fps}")
    images = _common_size([_to_pil(f, target, i) for i, f in enumerate(frames)], max_side)
    frame_ms = max(20, round(1000 / fps))  # GIF timing has 10 ms resolution; browsers clamp < 20 ms
    durations = [frame_ms] * len(images)
    durations[-1] = max(frame_ms, round(HOLD_LAST_S * 1000))
    options: dict[str, object] = {"save_all": True, "append_images": images[1:], "duration": durations,
                                  "loop": 0}
    if fmt == "WEBP":
        options.update(quality=quality, method=method)
    else:
        # One shared palette would band the gradients of a painting; per-frame adaptive
        # palettes keep each frame faithful.
        images = [im.quantize(colors=256, method=Image.Quantize.MEDIANCUT) for im in images]
        options.update(append_images=images[1:], optimize=False, disposal=1)
    _atomic_save(images[0], target, fmt, options)
    return target


def read_frames(path: str | os.PathLike[str]) -> list[PreviewArray]:
    """Read every frame of an animation written by :func:`write_timelapse` (uint8 RGB)."""
    source = Path(path)
    try:
        with Image.open(source) as im:
            return [np.asarray(frame.convert("RGB"), dtype=np.uint8).copy()
                    for frame in ImageSequence.Iterator(im)]
    except FileNotFoundError:
        raise ImageError(source, "file not found") from None
    except (OSError, ValueError) as exc:
        raise ImageError(source, f"cannot read the animation ({exc})") from exc


def frame_count(path: str | os.PathLike[str]) -> int:
    """Number of frames in an animation file, without decoding them all."""
    source = Path(path)
    try:
        with Image.open(source) as im:
            return int(getattr(im, "n_frames", 1))
    except (OSError, ValueError) as exc:
        raise ImageError(source, f"cannot read the animation ({exc})") from exc


def _to_pil(frame: npt.NDArray[np.generic], path: Path, index: int) -> Image.Image:
    array = np.asarray(frame)
    if array.ndim != 3 or array.shape[2] != 3 or array.shape[0] < 1 or array.shape[1] < 1:
        raise ImageError(path, f"frame {index} has shape {array.shape}, expected (height, width, 3)")
    if array.dtype != np.uint8:
        # Float previews (0..1) are accepted so callers can pass engine images directly.
        array = to_uint8(array.astype(np.float32))
    return Image.fromarray(np.ascontiguousarray(array), "RGB")


def _common_size(images: list[Image.Image], max_side: int | None) -> list[Image.Image]:
    width, height = images[-1].size
    if max_side is not None and max(width, height) > max_side:
        scale = max_side / max(width, height)
        width, height = max(1, round(width * scale)), max(1, round(height * scale))
    return [im if im.size == (width, height) else im.resize((width, height), Image.Resampling.LANCZOS)
            for im in images]


def _atomic_save(first: Image.Image, target: Path, fmt: str, options: dict[str, object]) -> None:
    """Encode in memory, then write through :func:`atomic_write` (never a half file)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImageError(target, f"cannot write here ({exc.strerror or exc})") from exc
    buffer = io.BytesIO()
    try:
        first.save(buffer, format=fmt, **options)
    except (OSError, ValueError) as exc:
        raise ImageError(target, f"cannot write the animation ({exc})") from exc
    atomic_write(target, buffer.getvalue())
