"""Reading the inputs panel's files, the part that runs in worker threads (no widgets):
the bundled samples and ready styles, a batch of styles, the menu's thumbnails, and the one
line that names a file that could not be read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtGui import QImage

from nst_desktop.engine.spec.errors import NSTError
from nst_desktop.gui.errors import user_message
from nst_desktop.gui.loaded_image import LoadedImage, from_qimage, load_file
from nst_desktop.io.formats import READABLE_SUFFIXES
from nst_desktop.resources import resource_path

IMAGE_SUFFIXES = frozenset(READABLE_SUFFIXES)


def ready_styles() -> list[Path]:
    """The style images bundled with the app."""
    folder = resource_path("styles")
    return sorted(p for p in folder.glob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


def sample_contents() -> list[Path]:
    folder = resource_path("samples")
    return sorted(p for p in folder.glob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


def pretty_name(path: Path) -> str:
    return path.stem.replace("_", " ").replace("-", " ").title()


StyleResult = tuple[object, object]
"""(LoadedImage, weight) when read, else (the path or a name, the exception)."""


def style_name(path: Path) -> str:
    """The ready styles are named as their menu names them."""
    return pretty_name(path) if path.parent == resource_path("styles") else path.name


def read_styles(items: list[tuple[Path, float]]) -> list[StyleResult]:
    """Runs in a worker: each style read, or the reason it could not be."""
    results: list[StyleResult] = []
    for path, weight in items:
        try:
            results.append((load_file(path, name=style_name(path)), weight))
        except Exception as exc:  # reported per file; the others are still added
            results.append((str(path), exc))
    return results


@dataclass
class ReadInputs:
    """What one background read brought: styles (in order), and a photo when one was asked for."""

    styles: list[StyleResult] = field(default_factory=list)
    photo: LoadedImage | None = None
    photo_error: tuple[str, object] | None = None  # (path, exception)


def read_inputs(photo: Path | None, items: list[tuple[Path, float]]) -> ReadInputs:
    """Runs in a worker: a photo (converted for the canvas too) and styles, read together so
    that a restored or first-launch set of inputs appears at once."""
    result = ReadInputs()
    if photo is not None:
        try:
            result.photo = load_file(photo, for_display=True)
        except Exception as exc:  # reported with the file's name
            result.photo_error = (str(photo), exc)
    result.styles = read_styles(items)
    return result


def read_pasted_style(qimage: QImage) -> ReadInputs:
    try:
        return ReadInputs([(from_qimage(qimage, "Pasted style"), 1.0)])
    except Exception as exc:
        return ReadInputs([("Pasted style", exc)])


def read_ready_icons(paths: list[Path]) -> Iterator[tuple[str, QImage]]:
    """Runs in a worker: the Ready styles menu's thumbnails, one at a time (stops when cancelled)."""
    for path in paths:
        try:
            yield str(path), load_file(path).thumb_image
        except NSTError:
            continue


def weight_of(value: object) -> float:
    try:
        return max(0.0, float(str(value)))
    except ValueError:
        return 1.0


def error_text(path: Path | str, exc: object) -> str:
    """One line naming the file: the engine's own text, else the file and the reason."""
    if isinstance(exc, NSTError):
        return exc.user_text()
    return f"{path}: {user_message(exc) if isinstance(exc, Exception) else exc}"
