"""Load any common image file as a float RGB array; save results with their parameters.

Loading turns every mode Pillow can open (grayscale, palette, alpha, 16-bit, CMYK, ICC
tagged, EXIF rotated) into the one type the engine takes: ``float32 (H, W, 3)`` RGB in
``0..1``. Any failure becomes an :class:`ImageError` that names the file and says what
is wrong, because a user who drops a broken file on the window needs a sentence, not a
traceback. Saving writes through a temporary file and ``os.replace`` so that a crash or a
full disk never leaves a half-written picture where a good one was.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageCms, PngImagePlugin

from nst_desktop import __version__
from nst_desktop.engine.spec.errors import ImageError
from nst_desktop.engine.spec.events import ImageArray, PreviewArray, to_uint8
from nst_desktop.io.atomic import atomic_write, atomic_write_all
from nst_desktop.io.decoding import check_regular_file, check_size, decoding, draft, need_heif, reduced
from nst_desktop.io.sixteen_bit import decode_rgb16, encode_png16, encode_tiff16

log = logging.getLogger(__name__)

DEFAULT_MAX_PIXELS = 100_000_000
"""The one input limit (CLI and window): refuse images above 100 megapixels (a 48 MP camera photo
opens; a float32 copy of a 100 MP one takes 1.2 GB), checked from the header before decoding."""

SIDECAR_SUFFIX = ".json"
NAME_MAX = 255  # bytes in a file name on the common file systems (ext4, APFS; NTFS counts UTF-16 units)
METADATA_KEY = "nst_desktop"  # PNG iTXt keyword holding the run's JSON
SOFTWARE = f"NST Desktop {__version__}"
FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF"}
_FORMAT_NAMES = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "webp": "WEBP", "tif": "TIFF", "tiff": "TIFF"}
_EXIF_IFD, _USER_COMMENT, _ORIENTATION, _SOFTWARE_TAG = 0x8769, 0x9286, 0x0112, 0x0131
_X_RESOLUTION, _Y_RESOLUTION, _RESOLUTION_UNIT = 0x011A, 0x011B, 0x0128
_ASCII_PREFIX = b"ASCII\0\0\0"  # EXIF UserComment starts with an 8-byte character-code field
_GRAY16_MODES = {"I;16", "I;16B", "I;16L", "I;16N", "I"}

Opener = Callable[[], Image.Image]


# --- loading ---------------------------------------------------------------------------------


def load_image(
    path: str | os.PathLike[str], max_pixels: int | None = DEFAULT_MAX_PIXELS,
    target_long_side: int | None = None,
) -> ImageArray:
    """Read an image file as ``float32 (H, W, 3)`` RGB in 0..1.

    With ``target_long_side`` (the caller shrinks the picture to that long side anyway), a
    much larger file is decoded reduced (JPEG by DCT scaling, others by box averaging of the
    8-bit pixels) to a long side of at least ``target_long_side``: memory then follows the
    output size, not the camera's. Raises :class:`ImageError` naming the file for a missing
    file, a folder, a file that is not an image or is damaged, and an image over
    ``max_pixels`` (checked from the header, before anything is decoded).
    """
    file = Path(path)
    check_regular_file(file)
    need_heif(file.name)
    return _decode(lambda: Image.open(file), str(file), max_pixels, target_long_side)


def load_image_from_bytes(
    data: bytes, name: str = "pasted image", max_pixels: int | None = DEFAULT_MAX_PIXELS
) -> ImageArray:
    """Decode an encoded image held in memory (e.g. PNG bytes from the clipboard)."""
    if not data:
        raise ImageError(name, "is empty.")
    need_heif(name, data[:16])
    return _decode(lambda: Image.open(io.BytesIO(data)), name, max_pixels)


def image_from_pil(
    image: Image.Image, name: str = "pasted image", max_pixels: int | None = DEFAULT_MAX_PIXELS
) -> ImageArray:
    """Convert an already opened Pillow image (any mode) to the engine's array type."""
    with decoding(name, max_pixels):
        check_size(image.size, name, max_pixels)
        return _orient(_pil_to_float(image), _orientation(image))


def image_size(path: str | os.PathLike[str], max_pixels: int | None = DEFAULT_MAX_PIXELS) -> tuple[int, int]:
    """(width, height) as displayed (EXIF rotation applied), read from the header only;
    :class:`ImageError` as :func:`load_image` would raise it for a file it cannot open."""
    file = Path(path)
    check_regular_file(file)
    need_heif(file.name)
    with decoding(str(file), max_pixels), Image.open(file) as im:
        check_size(im.size, str(file), max_pixels)
        width, height = im.size
        return (height, width) if _orientation(im) in (5, 6, 7, 8) else (width, height)


def _decode(opener: Opener, name: str, max_pixels: int | None, target: int | None = None) -> ImageArray:
    with decoding(name, max_pixels), opener() as im:
        check_size(im.size, name, max_pixels)  # Image.open reads only the header: nothing decoded yet
        draft(im, target)  # before decoding: a JPEG then decodes only the pixels needed
        # Before anything else touches ``im``: reading a PNG's EXIF loads (decodes) the image.
        samples = decode_rgb16(opener, im)
        if samples is None:
            array = _pil_to_float(reduced(im, target))
        else:
            values = samples.astype(np.float32) / np.float32(65535.0)
            array = _composite_on_white(values) if values.shape[2] == 4 else values
        orientation = _orientation(im)
    return _orient(array, orientation)


def _orientation(im: Image.Image) -> int:
    try:
        value = int(im.getexif().get(_ORIENTATION, 1))
    except Exception:  # a damaged EXIF block must not stop the picture from loading
        return 1
    return value if 1 <= value <= 8 else 1


def _orient(array: ImageArray, orientation: int) -> ImageArray:
    """Apply an EXIF orientation to an array: what ``ImageOps.exif_transpose`` does to an
    image, done here in NumPy because 16-bit results never exist as a Pillow image."""
    transposed = array.transpose(1, 0, 2)
    out = {
        2: array[:, ::-1], 3: array[::-1, ::-1], 4: array[::-1],
        5: transposed, 6: transposed[:, ::-1], 7: transposed[::-1, ::-1], 8: transposed[::-1],
    }.get(orientation, array)
    return np.ascontiguousarray(out, dtype=np.float32)


def _composite_on_white(rgba: np.ndarray[Any, np.dtype[np.float32]]) -> ImageArray:
    # The engine needs three channels. White is the paper colour: it is what an artist
    # expects behind a cut-out, whereas black would darken every soft, half-transparent edge.
    alpha = rgba[..., 3:4]
    return np.ascontiguousarray(rgba[..., :3] * alpha + (1.0 - alpha), dtype=np.float32)


def _has_alpha(im: Image.Image) -> bool:
    return im.mode in ("LA", "La", "PA", "RGBA", "RGBa") or (
        im.mode in ("P", "L", "RGB", "1") and "transparency" in im.info
    )


def _pil_to_float(im: Image.Image) -> ImageArray:
    if im.mode in _GRAY16_MODES or im.mode == "F":
        # Keep all 16 bits: converting to "L" first would throw away the low byte.
        values = np.asarray(im).astype(np.float32)
        if im.mode != "F":
            values = values / 65535.0
        gray = np.clip(values, 0.0, 1.0)
        return np.ascontiguousarray(np.repeat(gray[..., None], 3, axis=2), dtype=np.float32)
    if _has_alpha(im):
        return _composite_on_white(np.asarray(_to_srgb(im, "RGBA"), dtype=np.float32) / 255.0)
    return np.asarray(_to_srgb(im, "RGB"), dtype=np.float32) / np.float32(255.0)


@functools.lru_cache(maxsize=1)
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def srgb_icc_bytes() -> bytes:
    """The sRGB ICC profile embedded in every saved file."""
    return bytes(_srgb_profile().tobytes())


def _to_srgb(im: Image.Image, mode: str) -> Image.Image:
    """Convert to 8-bit ``mode`` through the embedded ICC profile when there is one, so a
    Display P3 photo or a CMYK print file keeps its colours instead of looking flat."""
    icc = im.info.get("icc_profile")
    if icc and im.mode in ("RGB", "RGBA", "CMYK", "L"):
        out_mode = "RGBA" if im.mode == "RGBA" and mode == "RGBA" else "RGB"
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(im, source, _srgb_profile(), outputMode=out_mode)
            if converted is not None:
                return converted if converted.mode == mode else converted.convert(mode)
        except (ImageCms.PyCMSError, OSError, ValueError) as exc:
            log.info("Ignoring an unusable ICC profile (%s); converting without it.", exc)
    if im.mode == "1":
        im = im.convert("L")
    return im.convert(mode)


# --- conversions -----------------------------------------------------------------------------


def to_uint16(image: ImageArray) -> np.ndarray[Any, np.dtype[np.uint16]]:
    """``float 0..1`` to ``uint16 0..65535`` for 16-bit output."""
    scaled = np.rint(np.clip(np.nan_to_num(image.astype(np.float64), nan=0.0), 0.0, 1.0) * 65535.0)
    return scaled.astype(np.uint16)


def thumbnail(image: ImageArray | PreviewArray, max_side: int) -> Any:
    """Scale down (never up) so the long side is at most ``max_side``; same dtype out as in."""
    height, width = image.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1.0:
        return image.copy()
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if image.dtype == np.uint8:
        small = Image.fromarray(np.ascontiguousarray(image[..., :3]), "RGB")
        return np.asarray(small.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0))
    # Float images are resized per channel in Pillow's 32-bit float mode: no 8-bit rounding.
    channels = [
        np.asarray(Image.fromarray(np.ascontiguousarray(image[..., c], dtype=np.float32), "F").resize(
            size, Image.Resampling.LANCZOS, reducing_gap=3.0))
        for c in range(3)
    ]
    return np.clip(np.stack(channels, axis=2), 0.0, 1.0).astype(np.float32)


# --- saving ---------------------------------------------------------------------------------


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """``photo.jpg`` -> ``photo.jpg.json``: the parameters next to a non-PNG file."""
    file = Path(path)
    return file.with_name(file.name + SIDECAR_SUFFIX)


def save_image(
    image: ImageArray | PreviewArray, path: str | os.PathLike[str], metadata: dict[str, Any] | None = None,
    fmt: str | None = None, quality: int = 95, dpi: float | None = None,
) -> Path:
    """Save as PNG, JPEG, WebP (8-bit) or TIFF (16 bits per channel) with an sRGB profile.

    ``metadata`` goes into a PNG iTXt chunk ``nst_desktop``; other formats carry a copy
    inside the file (EXIF UserComment, TIFF ImageDescription) and a ``<file>.json``
    sidecar. ``fmt`` overrides the extension. ``quality`` >= 100 makes WebP lossless.
    ``dpi``: the print resolution written (PNG pHYs, JPEG JFIF density and EXIF, WebP EXIF,
    TIFF XResolution); None leaves each format's default (72 dpi, or none in a PNG).
    """
    target = Path(path)
    fmt_name = check_output_name(target, fmt, with_record=metadata is not None)
    array = _check_array(image, target)
    text = None if metadata is None else json.dumps(metadata, ensure_ascii=True, default=str)
    try:
        data = _encode(array, fmt_name, text, quality, dpi)
    except (OSError, ValueError) as exc:
        raise ImageError(target, f"could not encode the image as {fmt_name} ({exc}).") from exc
    sidecar = sidecar_path(target)
    if fmt_name != "PNG" and metadata is not None:
        # Readable JSON (accents as they are); a non-UTF-8 file name's undecodable bytes, held as
        # lone surrogates, become the JSON escape "\udce9", which reads back as the same name.
        record = json.dumps(metadata, indent=2, ensure_ascii=False, default=str)
        atomic_write_all([(target, data), (sidecar, record.encode("utf-8", "backslashreplace"))])
        return target
    atomic_write(target, data)
    # A sidecar left from an older file of this name would describe the wrong run. (A 255-byte
    # name has no room for one: there is none to remove, and asking raises "name too long".)
    with contextlib.suppress(OSError):
        sidecar.unlink(missing_ok=True)
    return target


def check_output_name(target: Path, fmt: str | None = None, *, with_record: bool = True) -> str:
    """The format ``target`` is saved in; :class:`ImageError` when its name (or its sidecar's,
    ``<name>.json``) is longer than the folder allows, said before a render, not after it."""
    fmt_name = _format_for(target, fmt)
    sidecar = len(SIDECAR_SUFFIX) if fmt_name != "PNG" and with_record else 0
    longest = len(os.fsencode(target.name)) + sidecar
    try:
        allowed = os.pathconf(target.parent if str(target.parent) else ".", "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # no pathconf (Windows) or no folder yet
        allowed = NAME_MAX
    if longest > allowed:
        also = f" with its {SIDECAR_SUFFIX} record" if sidecar else ""
        raise ImageError(target, f"the file name is too long ({longest} bytes{also}; "
                         f"the most is {allowed}).", hint="Give a shorter name.")
    return fmt_name


def _format_for(target: Path, fmt: str | None) -> str:
    if fmt:
        name = _FORMAT_NAMES.get(fmt.lower().lstrip("."))
        if name is None:
            raise ImageError(target, f"unknown image format {fmt!r}.", hint="Use PNG, JPEG, WebP or TIFF.")
        return name
    name = FORMATS.get(target.suffix.lower())
    if name is None:
        raise ImageError(
            target, f"cannot save as {target.suffix or 'a file without an extension'}.",
            hint="Use a .png, .jpg, .webp or .tif file name.",
        )
    return name


def _check_array(image: ImageArray | PreviewArray, target: Path) -> Any:
    array = np.asarray(image)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4) or 0 in array.shape:
        raise ImageError(target, f"nothing to save: expected an (H, W, 3) image, got shape {array.shape}.")
    array = array[..., :3]
    return array if array.dtype == np.uint8 else array.astype(np.float32)


def _exif(text: str | None, dpi: float | None = None) -> bytes:
    exif = Image.Exif()
    exif[_SOFTWARE_TAG] = SOFTWARE
    if dpi is not None:  # WebP has no other place for it; JPEG readers that skip JFIF read this
        exif[_X_RESOLUTION] = exif[_Y_RESOLUTION] = float(dpi)
        exif[_RESOLUTION_UNIT] = 2  # inches
    payload = (text or "").encode("ascii")
    if text is not None and len(payload) < 60_000:  # a JPEG APP1 segment holds at most 64 KB
        exif.get_ifd(_EXIF_IFD)[_USER_COMMENT] = _ASCII_PREFIX + payload
    return exif.tobytes()


def encode(image: ImageArray, fmt_name: str, metadata: dict[str, Any] | None = None) -> bytes:
    """The bytes :func:`save_image` would write for ``fmt_name`` ("PNG", "TIFF", ...; "PNG16": a
    16-bit PNG), the record inside: what the render farm sends back (no file on the farm)."""
    text = None if metadata is None else json.dumps(metadata, ensure_ascii=True, default=str)
    return _encode(_check_array(image, Path("result")), fmt_name, text, 95)


def _encode(array: Any, fmt_name: str, text: str | None, quality: int, dpi: float | None = None) -> bytes:
    icc = srgb_icc_bytes()
    tagged = {} if dpi is None else {"dpi": (dpi, dpi)}
    if fmt_name == "PNG16":
        pixels = (array.astype(np.uint16) * 257) if array.dtype == np.uint8 else to_uint16(array)
        return encode_png16(pixels, icc_profile=icc, text=text, key=METADATA_KEY)
    if fmt_name == "TIFF":
        pixels = (array.astype(np.uint16) * 257) if array.dtype == np.uint8 else to_uint16(array)
        return encode_tiff16(pixels, icc_profile=icc, description=text, software=SOFTWARE, dpi=dpi or 72.0)
    pil = Image.fromarray(to_uint8(array), "RGB")
    buffer = io.BytesIO()
    if fmt_name == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Software", SOFTWARE)
        if text is not None:
            info.add_itxt(METADATA_KEY, text, zip=True)
        pil.save(buffer, "PNG", pnginfo=info, icc_profile=icc, **tagged)
    elif fmt_name == "JPEG":
        # 4:4:4 chroma at high quality: the fine colour detail of brush strokes is the point.
        # No optimize=True: it makes Pillow encode into one buffer sized by a guess that
        # very detailed images at high quality overflow ("Suspension not allowed here").
        pil.save(buffer, "JPEG", quality=min(quality, 100), icc_profile=icc, exif=_exif(text, dpi),
                 subsampling=0 if quality >= 90 else 2, **({} if dpi is None else {"dpi": (round(dpi),) * 2}))
    else:
        pil.save(buffer, "WEBP", quality=min(quality, 100), lossless=quality >= 100, icc_profile=icc,
                 exif=_exif(text, dpi), method=4)
    return buffer.getvalue()


# --- reading metadata back ------------------------------------------------------------------


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The run metadata saved with an image: PNG chunk, then sidecar, then EXIF/TIFF copy.

    A ``.json`` path is read as JSON. Returns None when there is none (or it is not valid
    JSON); raises :class:`ImageError` if ``path`` does not exist.
    """
    file = Path(path)
    if not file.is_file():
        raise ImageError(file, "file not found.")
    if file.suffix.lower() == ".json":
        return _parse_json(file.read_text(encoding="utf-8", errors="replace"), file)
    embedded = _embedded_text(file)
    if file.suffix.lower() == ".png" and embedded is not None:
        return _parse_json(embedded, file)
    sidecar = sidecar_path(file)
    if sidecar.is_file():
        found = _parse_json(sidecar.read_text(encoding="utf-8", errors="replace"), sidecar)
        if found is not None:
            return found
    return None if embedded is None else _parse_json(embedded, file)


def _parse_json(text: str, source: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError as exc:
        log.warning("%s: metadata is not valid JSON (%s)", source, exc)
        return None
    return value if isinstance(value, dict) else None


def _embedded_text(file: Path) -> str | None:
    try:
        with Image.open(file) as im:
            if im.format == "PNG":
                value = im.info.get(METADATA_KEY)
                return value if isinstance(value, str) else None
            if im.format == "TIFF":
                description = getattr(im, "tag_v2", {}).get(270)
                return description if isinstance(description, str) else None
            comment = im.getexif().get_ifd(_EXIF_IFD).get(_USER_COMMENT)
    except Exception as exc:  # metadata is optional: an unreadable file simply has none
        log.info("%s: no readable embedded metadata (%s)", file, exc)
        return None
    if isinstance(comment, bytes):
        body = comment[8:] if comment[:8] in (_ASCII_PREFIX, b"\0" * 8) else comment
        return body.decode("utf-8", errors="replace")
    return comment if isinstance(comment, str) else None
