"""What the app and the farm say to each other over HTTP: JSON only, never pickle.

A job request is one JSON object: the recipe's record (``recipe.to_record``, the format every
picture carries), the kind of run, the client's key for the job (the queue's job id: a
request sent again after a lost answer finds the same job) and the input files' bytes in
base64. :func:`parse_request` checks its shape and sizes before anything else reads it;
the recipe itself is then checked as the command line checks one (``farm.inputs``).
No Ray, no torch here: the client imports it.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from nst_desktop import __version__
from nst_desktop.engine.spec.errors import NSTError, display_path

API = "/v1"
TOKEN_HEADER = "Authorization"  # "Bearer <token>"
VERSION_HEADER = "X-NST-Version"
KINDS = ("full", "quick", "variation")  # a promote goes on from a picture the farm does not hold
RESULT_FORMATS = ("png", "png16", "float32")
FINISHED = ("done", "failed", "cancelled")

MAX_IMAGE_BYTES = 64 << 20  # one input file: a 100 MP JPEG is ~40 MB
MAX_FILES = 34  # a photo, a start image and io.records.MAX_STYLES styles
MAX_REQUEST_BYTES = 256 << 20  # the whole body, base64 included: checked before it is read
MAX_KEY_CHARS = 128
MIN_TOKEN_CHARS = 16
_KEY = re.compile(r"[A-Za-z0-9._:-]+")
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}")


class FarmError(NSTError):
    """The farm refused a request or cannot be reached; the message says what to do."""


class FarmUnreachableError(FarmError):
    """No answer from the farm (down, restarting, network): a job waits and goes on later."""


class FarmStoppingError(FarmUnreachableError):
    """The farm's service is stopping: its answers now would be about its own shutdown, not the job."""


class FarmAuthError(FarmError):
    """The farm refused the token."""


class FarmVersionError(FarmError):
    """The app and the farm run different versions of NST Desktop."""


class FarmJobLostError(FarmError):
    """The farm no longer knows the job (its service or head node restarted): send it again."""


def version_problem(theirs: str, *, farm_side: bool) -> str:
    """The one message for mismatched versions ('' when they match). Both sides must run the
    same release: a picture painted on the farm is repeated bit for bit by the app's version."""
    if theirs == __version__:
        return ""
    app, farm = (theirs, __version__) if farm_side else (__version__, theirs)
    return (f"The app is NST Desktop {app or '(unknown)'} but the farm runs {farm}: install the same "
            f"version on both (pip install \"nst-desktop[farm]=={app}\" on every farm machine).")


@dataclass(frozen=True)
class InputFile:
    """One uploaded input: the name it had on the client (for messages) and its bytes."""

    name: str
    data: bytes

    @property
    def suffix(self) -> str:
        """The file's extension if it is a plain one (decoders pick HEIC by it), else ''."""
        suffix = PurePath(self.name.replace("\\", "/")).suffix
        return suffix.lower() if _SUFFIX.fullmatch(suffix) else ""


@dataclass(frozen=True)
class JobRequest:
    """One job as the farm receives it: the record of a recipe and its input files."""

    record: dict[str, Any]
    kind: str
    key: str
    photo: InputFile
    styles: tuple[InputFile, ...]
    init: InputFile | None = None

    def to_json(self) -> bytes:
        def encoded(file: InputFile) -> dict[str, str]:
            return {"name": file.name, "data": base64.b64encode(file.data).decode("ascii")}

        body: dict[str, Any] = {"record": self.record, "kind": self.kind, "key": self.key,
                                "photo": encoded(self.photo), "styles": [encoded(s) for s in self.styles]}
        if self.init is not None:
            body["init"] = encoded(self.init)
        return json.dumps(body, allow_nan=False).encode("utf-8")


def parse_request(body: bytes) -> JobRequest:
    """The request in ``body``, or FarmError naming what is wrong with it (one line)."""
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FarmError(f"The job request is not JSON: {str(exc)[:120]}") from None
    if not isinstance(data, dict):
        raise FarmError("The job request must be a JSON object.")
    record, kind, key = data.get("record"), data.get("kind"), data.get("key")
    if not isinstance(record, dict):
        raise FarmError("The job request has no recipe record.")
    if kind not in KINDS:
        raise FarmError(f"The job kind must be one of {', '.join(KINDS)}.")
    if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_CHARS or not _KEY.fullmatch(key):
        raise FarmError(f"The job key must be 1-{MAX_KEY_CHARS} letters, digits or . _ : -")
    styles = data.get("styles")
    if not isinstance(styles, list) or not styles or len(styles) > MAX_FILES - 2:
        raise FarmError("The job request must carry its style images.")
    init = data.get("init")
    return JobRequest(record, kind, key, _file(data.get("photo"), "photo"),
                      tuple(_file(s, f"style {i + 1}") for i, s in enumerate(styles)),
                      _file(init, "start image") if init is not None else None)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _file(value: Any, role: str) -> InputFile:
    if not isinstance(value, dict) or not isinstance(value.get("name"), str) or not isinstance(
            value.get("data"), str):
        raise FarmError(f"The {role} of the job request must be a name and base64 data.")
    name = value["name"][:1000]
    if len(value["data"]) > MAX_IMAGE_BYTES * 4 // 3 + 4:
        raise FarmError(f"{name}: over the farm's limit of {MAX_IMAGE_BYTES >> 20} MB per image.")
    try:
        data = base64.b64decode(value["data"], validate=True)
    except (binascii.Error, ValueError):
        raise FarmError(f"{name}: the {role}'s data is not base64.") from None
    return InputFile(name, data)


def read_token(path: str | os.PathLike[str]) -> str:
    """The token in ``path`` (its first line); FarmError naming the file when it has none."""
    try:
        lines = Path(path).read_text(encoding="utf-8").strip().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise FarmError(f"{display_path(path)}: cannot read the token file ({exc}).") from None
    token = lines[0].strip() if lines else ""
    if len(token) < MIN_TOKEN_CHARS:
        raise FarmError(f"{display_path(path)}: the token must be at least {MIN_TOKEN_CHARS} characters "
                        "on the first line (make one: python -c \"import secrets; "
                        "print(secrets.token_urlsafe())\").")
    return token
