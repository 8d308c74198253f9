"""The app's side of the farm: :class:`FarmClient`, stdlib HTTP only (no Ray, no torch).

The window and the CLI talk to a farm through this; the app bundle carries no Ray. Every
failure is one FarmError subclass with a one-line message: the farm cannot be reached
(:class:`FarmUnreachableError`: a job waits), refused the token, runs another version, or no
longer knows the job (:class:`FarmJobLostError`: send it again).
"""

from __future__ import annotations

import http.client
import io
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import numpy as np

from nst_desktop import __version__
from nst_desktop.engine.spec.errors import ImageError, display_path
from nst_desktop.engine.spec.events import ImageArray
from nst_desktop.farm.protocol import (
    API,
    MAX_IMAGE_BYTES,
    TOKEN_HEADER,
    VERSION_HEADER,
    FarmAuthError,
    FarmError,
    FarmJobLostError,
    FarmUnreachableError,
    FarmVersionError,
    InputFile,
    JobRequest,
)
from nst_desktop.recipe.recipe import Recipe, to_record


@dataclass(frozen=True)
class FarmStatus:
    """What "Test connection" shows: the farm's nodes, CPUs, GPUs and version."""

    version: str
    ray: str
    nodes: tuple[dict[str, Any], ...]
    cpus: float
    gpus: float
    jobs: dict[str, int]
    cpus_per_job: int = 1  # the CPUs each job asks for on a farm without GPUs (farm serve --cpus-per-job)

    @property
    def lanes(self) -> int:
        """How many jobs the farm paints at once, as ``service.task_options`` asks for them: a
        whole GPU each where it has GPUs (and one CPU), else ``cpus_per_job`` CPUs each; at least 1."""
        if self.gpus >= 1:
            return max(1, int(min(self.gpus, self.cpus)))
        return max(1, int(self.cpus // max(1, self.cpus_per_job)))

    def text(self) -> str:
        nodes = f"{len(self.nodes)} node{'' if len(self.nodes) == 1 else 's'}"
        return (f"NST Desktop {self.version} on Ray {self.ray}: {nodes}, "
                f"{self.cpus:g} CPUs, {self.gpus:g} GPUs")


def request_for(recipe: Recipe, kind: str, key: str | None = None, *,
                files: Recipe | None = None) -> JobRequest:
    """The farm request of ``recipe``: its record and its files' bytes (each under the farm's
    limit: refused here, naming the file, before anything is sent). ``files``: the same recipe
    reading other copies of its images (the queue's kept copies); the names stay ``recipe``'s."""
    def upload(name: str, path: str) -> InputFile:
        file = Path(path)
        try:
            if file.stat().st_size > MAX_IMAGE_BYTES:
                raise ImageError(name, f"over the farm's limit of {MAX_IMAGE_BYTES >> 20} MB per image.")
            return InputFile(name, file.read_bytes())
        except OSError as exc:
            raise ImageError(name, f"cannot be read ({exc.strerror or exc}).") from None

    source = files or recipe
    if len(source.styles) != len(recipe.styles):
        raise FarmError("The files to send do not match the recipe's styles.")
    photo, params, init = upload(recipe.photo, source.photo), recipe.params, None
    if params.init == "image" and params.init_image:
        init = upload(params.init_image, source.params.init_image or params.init_image)
    pairs = zip(recipe.style_paths, source.style_paths, strict=True)
    styles = tuple(upload(name, path) for name, path in pairs)
    return JobRequest(to_record(recipe), kind, key or uuid.uuid4().hex, photo, styles, init)


class FarmClient:
    """One farm's address (``http://host:port``, or ``https://`` behind a proxy) and token."""

    def __init__(self, url: str, token: str, timeout_s: float = 30.0) -> None:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FarmError(f"The farm's address must look like http://host:8765, not {url!r}.")
        self.url = url.strip().rstrip("/")
        self._parts = parts
        self._token = token.strip()
        self._timeout_s = timeout_s

    def status(self) -> FarmStatus:
        data = self._json("GET", "/status")
        return FarmStatus(str(data["version"]), str(data["ray"]), tuple(data["nodes"]), float(data["cpus"]),
                          float(data["gpus"]), dict(data.get("jobs", {})), int(data.get("cpus_per_job", 1)))

    def submit(self, request: JobRequest) -> dict[str, Any]:
        """Send a job; the farm's summary of it (``id``, ``state``). The same key sent again
        while the farm holds that job returns it rather than painting it twice."""
        return self._json("POST", "/jobs", request.to_json())

    def job(self, job_id: str) -> dict[str, Any]:
        return self._json("GET", f"/jobs/{job_id}")

    def events(self, job_id: str, after: int = 0, wait_s: float = 1.0) -> tuple[list[dict[str, Any]],
                                                                                 dict[str, Any]]:
        """Progress items from index ``after`` on (waiting up to ``wait_s`` for one), and the job."""
        query = urlencode({"after": after, "wait": wait_s})
        data = self._json("GET", f"/jobs/{job_id}/events?{query}", timeout_s=self._timeout_s + wait_s)
        return list(data["events"]), dict(data["job"])

    def cancel(self, job_id: str) -> dict[str, Any]:
        return self._json("POST", f"/jobs/{job_id}/cancel")

    def result(self, job_id: str, fmt: str = "png") -> bytes:
        """The picture: "png" (8-bit) or "png16" (16-bit), the record inside; "float32": .npy."""
        return self._call("GET", f"/jobs/{job_id}/result?{urlencode({'format': fmt})}")

    def result_image(self, job_id: str) -> ImageArray:
        """The picture's exact float32 pixels (read without pickle)."""
        array = np.load(io.BytesIO(self.result(job_id, "float32")), allow_pickle=False)
        if array.dtype != np.float32 or array.ndim != 3 or array.shape[2] != 3:
            raise FarmError(f"The farm sent a picture of type {array.dtype} {array.shape}.")
        image: ImageArray = array
        return image

    def delete(self, job_id: str) -> None:
        self._json("DELETE", f"/jobs/{job_id}")

    def _json(self, method: str, path: str, body: bytes | None = None,
              timeout_s: float | None = None) -> dict[str, Any]:
        data = json.loads(self._call(method, path, body, timeout_s))
        if not isinstance(data, dict):
            raise FarmError(f"The farm at {self.url} answered {method} {path} with no JSON object.")
        return data

    def _call(self, method: str, path: str, body: bytes | None = None,
              timeout_s: float | None = None) -> bytes:
        kind = http.client.HTTPSConnection if self._parts.scheme == "https" else http.client.HTTPConnection
        connection = kind(self._parts.hostname or "", self._parts.port, timeout=timeout_s or self._timeout_s)
        headers = {TOKEN_HEADER: f"Bearer {self._token}", VERSION_HEADER: __version__,
                   "Content-Type": "application/json"}
        try:
            connection.request(method, self._parts.path.rstrip("/") + API + path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            raise FarmUnreachableError(f"The farm at {self.url} cannot be reached ({exc}).") from None
        finally:
            connection.close()
        if response.status < 300:
            return data
        raise _error(response.status, data, self.url)


def _error(status: int, data: bytes, url: str) -> FarmError:
    try:
        message = str(json.loads(data)["error"])
    except (ValueError, KeyError, TypeError):
        message = f"The farm at {display_path(url)} answered HTTP {status}."
    if status == 401:
        return FarmAuthError(f"{message} Check the token (Settings > Render farm, or --token-file).")
    if status == 409:
        return FarmVersionError(message)
    if status == 404:
        return FarmJobLostError(message)
    if status in (502, 503, 504):  # a proxy in front of a farm that is down
        return FarmUnreachableError(message)
    return FarmError(message)
