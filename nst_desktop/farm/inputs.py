"""One farm request, checked and painted exactly as the command line paints a recipe.

The uploaded files are written into a private folder and the request's record becomes a
:class:`~nst_desktop.recipe.recipe.Recipe` naming them; from there the farm takes the local
path, unchanged: :func:`recipe.recipe.from_record`, :func:`recipe.validate.check` (headers,
sizes, truncated files, decompression bombs, the hostile-record checks of io.records),
:func:`recipe.jobs.job_for` (decoded as the CLI decodes) and :func:`service.render.render`. So
a farm picture is bit for bit the picture the app paints from the same recipe on the same
kind of device. Messages name the client's files, never the farm's folder. No Ray here.
"""

from __future__ import annotations

import os
import platform
import socket
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from nst_desktop.engine.spec.control import RunControl
from nst_desktop.engine.spec.errors import NSTError, display_path
from nst_desktop.engine.spec.events import ImageArray, ProgressCallback
from nst_desktop.farm.protocol import FarmError, InputFile, JobRequest
from nst_desktop.recipe.recipe import Recipe, from_record
from nst_desktop.recipe.validate import check
from nst_desktop.service.job import Job


@dataclass(frozen=True)
class Unpacked:
    """A request's recipe naming the files written for it, and their names on the client."""

    recipe: Recipe
    client_names: dict[str, str]  # farm path -> the client's name

    def client_text(self, exc: NSTError) -> str:
        """``exc``'s one-line message with the farm's paths replaced by the client's names."""
        text = exc.user_text()
        for path, name in self.client_names.items():
            text = text.replace(display_path(path), display_path(name)).replace(path, name)
        return text


def unpack(request: JobRequest, folder: Path) -> Unpacked:
    """Write the request's files into ``folder`` and check its recipe as the CLI checks one;
    FarmError with a one-line message naming the client's file or setting otherwise."""
    names: dict[str, str] = {}

    def written(file: InputFile, stem: str) -> str:
        path = folder / f"{stem}{file.suffix}"
        path.write_bytes(file.data)
        names[str(path)] = file.name
        return str(path)

    unchecked = Unpacked(Recipe("", ()), names)
    try:
        recipe = from_record(request.record)
        if len(request.styles) != len(recipe.styles):
            raise FarmError(f"The record names {len(recipe.styles)} styles but the request carries "
                            f"{len(request.styles)} style images.")
        photo = written(request.photo, "photo")
        styles = [written(s, f"style{i}") for i, s in enumerate(request.styles)]
        recipe = replace(recipe, photo=photo).with_styles(styles, list(recipe.blend))
        recipe = recipe.with_params(_with_init(recipe, request, written))
        unchecked = Unpacked(recipe, names)
        check(recipe)
    except NSTError as exc:
        raise FarmError(unchecked.client_text(exc)) from None
    return unchecked


def _with_init(recipe: Recipe, request: JobRequest, written: Callable[[InputFile, str], str]) -> Any:
    """The params with the start image (if the recipe uses one) pointing at its uploaded copy."""
    params = recipe.params
    wants_init = params.init == "image" and bool(params.init_image)
    if wants_init != (request.init is not None):
        raise FarmError("The recipe's start image and the request's files do not match: send the start "
                        "image with the job exactly when the recipe starts from one.")
    if request.init is None:
        return params
    return params.with_changes(init_image=written(request.init, "start"))


def render_request(request: JobRequest, folder: Path, *, callback: ProgressCallback | None = None,
                   control: RunControl | None = None) -> tuple[ImageArray, dict[str, Any]]:
    """Paint the request: (the rendered picture, its full record). The after-touches are in the
    record, not in the pixels: the client applies them as it does to its own renders
    (``service.render.picture``), from the whole photo it holds. The record names the client's
    files and, under ``"farm"``, the machine that painted it."""
    from nst_desktop.recipe.jobs import job_for
    from nst_desktop.service.render import render

    unpacked = unpack(request, folder)

    def paint_earlier(earlier: Job) -> ImageArray:
        # A recipe that goes on from an earlier picture (the window's "Queue at print size") has
        # that picture painted again here first, from its record, as the CLI and the queue do.
        return render(earlier, control=control, preview_every=0).result.image

    try:
        job = job_for(unpacked.recipe, request.kind,  # type: ignore[arg-type]  # KINDS checked it
                      paint_earlier=paint_earlier)
        rendered = render(job, callback=callback, control=control)
    except NSTError as exc:
        raise FarmError(unpacked.client_text(exc)) from None
    record = dict(rendered.metadata)
    record["inputs"] = dict(request.record["inputs"])  # the client's paths, not the farm's folder
    record["params"] = {**record["params"], "init_image": request.record["params"].get("init_image")}
    record["farm"] = machine_record(rendered.result.device, job.params.precision)
    return rendered.image, record


def machine_record(device: str, precision: str) -> dict[str, Any]:
    """Where a picture was painted, so it can be repeated: host, machine kind, device, torch's
    threads and precision; on NVIDIA the GPU and whether TF32 convolutions and matmuls were on
    (cuDNN's default is on: a picture painted so differs in its last bits from a float32 one)."""
    import torch

    from nst_desktop.engine.model.devices import autocast_dtype

    dtype = autocast_dtype(precision, torch.device(device))
    info: dict[str, Any] = {
        "host": socket.gethostname(), "machine": platform.machine(), "system": platform.system(),
        "cpu": _cpu_name(), "device": device, "precision": str(dtype).replace("torch.", "") if dtype
        else "float32", "threads": torch.get_num_threads(), "torch": torch.__version__,
    }
    if device.startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
        info["tf32"] = {"cudnn": bool(torch.backends.cudnn.allow_tf32),
                        "matmul": bool(torch.backends.cuda.matmul.allow_tf32)}
    return info


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or os.uname().machine
