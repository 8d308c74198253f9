"""Opening untrusted image files safely: the pixel limit, reduced decoding of big files, and
one readable :class:`ImageError` for whatever a decoder raises.

Split from :mod:`nst_desktop.io.images` (which turns decoded pictures into the engine's arrays)
to keep each module short.
"""

from __future__ import annotations

import math
import os
import stat
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from nst_desktop.engine.spec.errors import ImageError
from nst_desktop.io.formats import enable_heif, looks_like_heif

_END_MARKERS = {"JPEG": b"\xff\xd9", "PNG": b"IEND\xaeB`\x82"}  # EOI; the IEND chunk and its CRC
_REDUCIBLE_MODES = {"L", "LA", "RGB", "RGBA", "CMYK", "YCbCr", "I", "F"}  # what Image.reduce averages right


def check_regular_file(file: Path) -> None:
    """Refuse anything but a plain file before it is opened: opening a named pipe waits for a
    writer forever (the CLI hung, the window could not close), and a device such as /dev/zero
    or /dev/random never ends. ``stat`` only looks; it never blocks on them."""
    try:
        mode = file.stat().st_mode
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise ImageError(file, "file not found.") from exc
    except OSError as exc:
        raise ImageError(file, f"cannot be read ({exc.strerror or exc}).") from exc
    if stat.S_ISDIR(mode):
        raise ImageError(file, "is a folder, not an image file.")
    if not stat.S_ISREG(mode):
        kind = ("a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "a device")
        raise ImageError(file, f"not a regular file ({kind}).", hint="Choose an image file.")


def check_complete(path: str | os.PathLike[str], max_pixels: int | None) -> None:
    """Refuse a truncated JPEG or PNG (an incomplete download or copy) without decoding it whole,
    so the CLI answers before its slow start (torch's import), not 2 s later: a file that ends
    with its format's end marker is complete; one that does not (truncated, or with data
    appended, as motion photos have) is read through: a JPEG at 1/8 scale straight from the
    DCT (every byte of the scan data, 1/64 of the pixels), a PNG by its chunks' checksums."""
    file = Path(path)
    check_regular_file(file)
    with decoding(str(file), max_pixels), Image.open(file) as im:
        marker = _END_MARKERS.get(im.format or "")
        if marker is None or _ends_with(file, marker):
            return
        if im.format == "JPEG":
            im.draft(None, (1, 1))
            im.load()
        else:
            im.verify()


def _ends_with(file: Path, marker: bytes) -> bool:
    with file.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        handle.seek(max(0, handle.tell() - len(marker)))
        return handle.read() == marker


def need_heif(name: str, head: bytes = b"") -> None:
    """Register the HEIC/HEIF opener before Pillow sees such a file; say so if it is missing."""
    if looks_like_heif(name, head) and not enable_heif():
        raise ImageError(name, "HEIC/HEIF images need the pillow-heif package, which is not installed.",
                         hint="Install it (pip install pillow-heif) or convert the photo to JPEG.")


def reduce_factor(size: tuple[int, int], target_long_side: int | None) -> int:
    """The largest whole factor that keeps the long side >= ``target_long_side`` (1: none)."""
    if target_long_side is None or target_long_side < 1:
        return 1
    return max(1, max(size) // target_long_side)


def draft(im: Image.Image, target: int | None) -> None:
    """Ask a JPEG to decode at 1/2, 1/4 or 1/8 scale straight from the DCT (cheap, and filtered),
    never below ``target`` on the long side; other formats ignore it. Call before decoding."""
    if reduce_factor(im.size, target) >= 2 and target is not None:
        scale = target / max(im.size)
        im.draft("RGB", (max(1, math.ceil(im.width * scale)), max(1, math.ceil(im.height * scale))))


def reduced(im: Image.Image, target: int | None) -> Image.Image:
    """Box-average the decoded 8-bit pixels by a whole factor before the float32 copy is made
    (4 times their size); a colour-keyed or palette image is left whole (averaging breaks it)."""
    factor = reduce_factor(im.size, target)
    if factor < 2 or im.mode not in _REDUCIBLE_MODES or "transparency" in im.info:
        return im
    return im.reduce(factor)


@contextmanager
def decoding(name: str, max_pixels: int | None) -> Iterator[None]:
    """Turn whatever Pillow raises into one :class:`ImageError` with a readable reason."""
    try:
        with warnings.catch_warnings():
            # With our own pixel limit (checked before decoding) Pillow's lower warning
            # threshold would only add noise; without one, its warning becomes a refusal.
            if max_pixels is None:
                warnings.simplefilter("error", Image.DecompressionBombWarning)
            else:
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            yield
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(name, f"the image is too large to open safely ({exc}).") from exc
    except UnidentifiedImageError as exc:
        raise ImageError(
            name, "not an image file, or a format that cannot be read.",
            hint="Use a JPEG, PNG, WebP, TIFF, BMP or HEIC image.",
        ) from exc
    except FileNotFoundError as exc:
        raise ImageError(name, "file not found.") from exc
    except PermissionError as exc:
        raise ImageError(name, "permission denied: the file cannot be read.") from exc
    except MemoryError as exc:
        raise ImageError(name, "not enough memory to decode this image.") from exc
    except OSError as exc:
        if "truncated" in str(exc).lower():  # "image file is truncated", PNG's "Truncated File Read"
            raise ImageError(name, "the file is truncated (an incomplete download or copy?).") from exc
        raise ImageError(name, f"the file is damaged or unreadable ({exc}).") from exc
    except Exception as exc:  # decoders of untrusted files raise many types; all mean "broken file"
        raise ImageError(name, f"the file is damaged or unreadable ({type(exc).__name__}: {exc}).") from exc


def check_size(size: tuple[int, int], name: str, max_pixels: int | None) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise ImageError(name, f"the image has zero size ({width}×{height} pixels).")
    if max_pixels is not None and width * height > max_pixels:
        raise ImageError(
            name, f"the image is too large: {width}×{height} = {width * height / 1e6:.1f} megapixels "
            f"(the limit is {max_pixels / 1e6:g}).", hint="Scale it down in an image editor first.",
        )
