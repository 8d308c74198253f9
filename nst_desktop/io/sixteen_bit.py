"""16 bits per channel where Pillow has only 8: a TIFF writer and a full-precision reader.

Pillow has no 16-bit RGB image mode, so it can neither keep the precision of a 16-bit
RGB PNG or TIFF it reads (see :func:`decode_rgb16`) nor write one: ``Image.fromarray`` of a
``uint16 (H, W, 3)`` array fails and saving an ``RGB`` image writes 8 bits. A baseline
TIFF is simple enough to write directly: one header, Deflate-compressed strips with the
horizontal-differencing predictor (what Photoshop, GIMP and libtiff write for 16-bit
images, about half the size of raw data), and one directory of tags. The sRGB ICC
profile and the run's parameters (``ImageDescription``) travel inside the file.
"""

from __future__ import annotations

import logging
import struct
import sys
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFile

log = logging.getLogger(__name__)

_SHORT, _LONG, _ASCII, _RATIONAL, _UNDEFINED = 3, 4, 2, 5, 7
_TYPE_SIZE = {_SHORT: 2, _LONG: 4, _ASCII: 1, _RATIONAL: 8, _UNDEFINED: 1}
_STRIP_BYTES = 256 * 1024  # uncompressed bytes per strip: small enough to stream, few enough strips

_RGB16_RAWMODES = {"RGB;16B", "RGB;16L", "RGB;16N", "RGBA;16B", "RGBA;16L", "RGBA;16N"}

TAG_DESCRIPTION = 270
TAG_ICC = 34675


def _pack_values(kind: int, values: bytes | list[int]) -> tuple[int, bytes]:
    """(count, little-endian payload) for one tag."""
    if kind in (_ASCII, _UNDEFINED):
        assert isinstance(values, bytes)
        payload = values + (b"\0" if kind == _ASCII else b"")
        return len(payload), payload
    assert isinstance(values, list)
    if kind == _RATIONAL:
        return len(values) // 2, struct.pack(f"<{len(values)}I", *values)
    code = "H" if kind == _SHORT else "I"
    return len(values), struct.pack(f"<{len(values)}{code}", *values)


def _strips(rgb: npt.NDArray[np.uint16]) -> tuple[int, list[bytes]]:
    """Rows per strip and the Deflate-compressed strips, predictor 2 applied."""
    height, width, _ = rgb.shape
    # Predictor 2: each sample minus its left neighbour, modulo 2**16 (uint16 wraps), so
    # smooth gradients become runs of small numbers that Deflate compresses well.
    diff = rgb.copy()
    diff[:, 1:, :] -= rgb[:, :-1, :]
    data = diff.astype("<u2")
    rows = max(1, _STRIP_BYTES // (width * 6))
    strips = [zlib.compress(data[y : y + rows].tobytes(), 6) for y in range(0, height, rows)]
    return rows, strips


def encode_tiff16(
    rgb: npt.NDArray[np.uint16], *, icc_profile: bytes | None = None, description: str | None = None,
    software: str = "NST Desktop", dpi: float = 72.0,
) -> bytes:
    """Encode a ``uint16 (H, W, 3)`` RGB array as a little-endian TIFF file, tagged ``dpi``."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint16:
        raise ValueError(f"expected a uint16 (H, W, 3) array, got {rgb.dtype} {rgb.shape}")
    height, width, _ = rgb.shape
    rows, strips = _strips(rgb)
    resolution = [round(dpi * 100), 100]  # a rational: hundredths of a dot keep 87.58 dpi, not 88
    body = bytearray(b"II*\0\0\0\0\0")  # header; the directory offset is patched in at the end
    offsets = []
    for strip in strips:
        offsets.append(len(body))
        body += strip
        if len(body) % 2:
            body += b"\0"  # TIFF offsets must be word aligned
    tags: list[tuple[int, int, bytes | list[int]]] = [
        (256, _LONG, [width]), (257, _LONG, [height]), (258, _SHORT, [16, 16, 16]),
        (259, _SHORT, [8]), (262, _SHORT, [2]),
        (273, _LONG, offsets), (277, _SHORT, [3]), (278, _LONG, [rows]),
        (279, _LONG, [len(s) for s in strips]), (282, _RATIONAL, resolution), (283, _RATIONAL, resolution),
        (284, _SHORT, [1]), (296, _SHORT, [2]), (305, _ASCII, software.encode("ascii", "replace")),
        (317, _SHORT, [2]),
    ]  # fmt: skip
    if description is not None:
        # ASCII only: the JSON caller escapes non-ASCII characters, so nothing is lost.
        tags.append((TAG_DESCRIPTION, _ASCII, description.encode("ascii", "replace")))
    if icc_profile:
        tags.append((TAG_ICC, _UNDEFINED, icc_profile))
    tags.sort(key=lambda tag: tag[0])
    entries = []
    for tag, kind, values in tags:
        count, payload = _pack_values(kind, values)
        if len(payload) <= 4:
            entries.append(struct.pack("<HHI", tag, kind, count) + payload.ljust(4, b"\0"))
            continue
        entries.append(struct.pack("<HHII", tag, kind, count, len(body)))
        body += payload
        if len(body) % 2:
            body += b"\0"
    struct.pack_into("<I", body, 4, len(body))
    body += struct.pack("<H", len(entries)) + b"".join(entries) + struct.pack("<I", 0)
    return bytes(body)


# --- reading -------------------------------------------------------------------------------


def _swapped(rawmode: str) -> str:
    """The raw mode that reads the *other* byte of each 16-bit sample."""
    base, order = rawmode[:-1], rawmode[-1]
    if order == "N":
        order = "L" if sys.byteorder == "little" else "B"
    return base + ("B" if order == "L" else "L")


def _rawmode(args: Any) -> str:
    if isinstance(args, str):
        return args
    return str(args[0]) if isinstance(args, tuple) and args else ""


def _swap_args(args: Any) -> Any:
    if isinstance(args, str):
        return _swapped(args)
    return (_swapped(args[0]), *args[1:])


def decode_rgb16(opener: Callable[[], Image.Image], im: Image.Image) -> npt.NDArray[np.uint16] | None:
    """The exact ``uint16 (H, W, 3 or 4)`` samples of a 16-bit RGB(A) PNG or TIFF, else None.

    ``im`` is the opened (not yet loaded) image; ``opener`` opens the same file again.
    Pillow decodes 16-bit RGB to 8 bits by keeping the high byte of each sample. Decoding
    the file a second time with the byte order of the raw mode swapped keeps the *low*
    byte instead (PNG unfiltering and TIFF decompression work on raw bytes before that
    step, so they are unaffected); ``high * 256 + low`` is the exact value. Returns None,
    with ``im`` loaded at 8 bits, if this Pillow cannot unpack the swapped raw mode.
    """
    if not isinstance(im, ImageFile.ImageFile):
        return None
    rawmodes = [_rawmode(tile.args) for tile in im.tile]
    if not rawmodes or not all(mode in _RGB16_RAWMODES for mode in rawmodes):
        return None
    im.load()
    high = np.asarray(im, dtype=np.uint16)
    with opener() as again:
        if not isinstance(again, ImageFile.ImageFile):
            return None
        again.tile = [tile._replace(args=_swap_args(tile.args)) for tile in again.tile]
        try:
            again.load()
        except (OSError, ValueError) as exc:  # no unpacker for that raw mode: settle for 8 bits
            log.info("16-bit decode unavailable (%s); using 8 bits per channel.", exc)
            return None
        low = np.asarray(again, dtype=np.uint16)
    return np.asarray((high << 8) | low, dtype=np.uint16)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def encode_png16(rgb: npt.NDArray[np.uint16], *, icc_profile: bytes | None = None, text: str | None = None,
                 key: str = "nst_desktop") -> bytes:
    """Encode a ``uint16 (H, W, 3)`` RGB array as a 16-bit PNG (Pillow writes 16-bit RGB PNGs only
    as 8 bits); ``text`` goes in a compressed iTXt chunk named ``key``, as Pillow writes it, so
    ``read_metadata`` finds the record. Rows use PNG's Sub filter (about half the size of none)."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint16:
        raise ValueError(f"expected a uint16 (H, W, 3) array, got {rgb.dtype} {rgb.shape}")
    height, width, _ = rgb.shape
    raw = np.ascontiguousarray(rgb.astype(">u2")).view(np.uint8).reshape(height, width * 6)
    rows = np.empty((height, width * 6 + 1), np.uint8)
    rows[:, 0] = 1  # Sub: each byte minus the same byte of the pixel to its left, modulo 256
    rows[:, 1:7] = raw[:, :6]
    rows[:, 7:] = raw[:, 6:] - raw[:, :-6]
    chunks = [_png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0))]
    if icc_profile is not None:
        chunks.append(_png_chunk(b"iCCP", b"sRGB\0\0" + zlib.compress(icc_profile)))
    if text is not None:
        header = key.encode("latin-1") + b"\0\x01\x00\x00\x00"  # compressed, no language, no translation
        chunks.append(_png_chunk(b"iTXt", header + zlib.compress(text.encode("utf-8"))))
    chunks.append(_png_chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)))
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks) + _png_chunk(b"IEND", b"")
