"""Typed errors with user-facing text, shared by the engine, io, CLI and GUI.

Every error the user can cause (a bad file, a bad setting, running out of memory)
is one of these; its ``str()`` is one clear sentence fit for a dialog or a CLI line,
naming the file and the problem where there is one.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for the annotation: events imports params, which imports us
    from nst_desktop.engine.spec.events import RunResult


def display_path(path: object) -> str:
    """A file name fit for a one-line message: control characters (a newline in a name split
    the error line in two) escaped as ``repr`` writes them, and the undecodable bytes of a
    non-UTF-8 name (``b'caf\\xe9.jpg'`` on Linux) as ``\\xe9``, never a lone surrogate."""
    text = str(path)
    try:
        text = os.fsencode(text).decode("utf-8", "backslashreplace")
    except (UnicodeError, TypeError):  # not encodable as a file name: escape what is odd below
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


class NSTError(Exception):
    """Base class: an error whose message is written for the user."""

    hint: str = ""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        if hint:
            self.hint = hint

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""

    def user_text(self) -> str:
        """The message followed by what to do about it, if known."""
        return f"{self.message} {self.hint}".strip()


class ParamsError(NSTError):
    """A parameter value is out of range or inconsistent with another."""


class ImageError(NSTError):
    """An image file cannot be read or written; the message names the file."""

    def __init__(self, path: object, reason: str, hint: str = "") -> None:
        super().__init__(f"{display_path(path)}: {reason}", hint)
        self.path = path
        self.reason = reason


class WeightsError(NSTError):
    """A weight set cannot be found, fetched, verified or loaded."""


class DeviceError(NSTError):
    """The requested compute device is not available."""


class OutOfMemoryError(NSTError):
    """The run needed more memory than the device has."""

    hint = "Try a smaller output size or fewer style images."

    @classmethod
    def on_device(cls, device_type: str) -> OutOfMemoryError:
        """The error for a run on ``device_type`` ("cpu", "cuda", "mps"): only a GPU run is
        told to try the CPU (whose memory is usually larger); a CPU run already is on it."""
        hint = cls.hint if device_type == "cpu" else _GPU_MEMORY_HINT
        return cls(f"The {device_type.upper()} ran out of memory.", hint)


_GPU_MEMORY_HINT = "Try a smaller output size, fewer style images, or the CPU device."


class DivergedError(NSTError):
    """The optimisation produced NaN or infinite values."""

    hint = "Try Adam instead of L-BFGS, a lower learning rate, or lower style strength."

    def __init__(self, message: str, hint: str = "", result: RunResult | None = None) -> None:
        super().__init__(message, hint)
        #: The last good :class:`~nst_desktop.engine.spec.events.RunResult`, when the engine has one.
        self.result = result
