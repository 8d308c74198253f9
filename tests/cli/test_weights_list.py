"""``nst-desktop weights list`` checks what it lists (issue 16.12): a malicious, random, truncated
or wrongly shaped file in the weights store shows as "damaged: <reason>", never as "ready";
nothing in a file runs, and torch's pickle warnings never reach the user."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import torch

from nst_desktop.engine.model.weights import CONV_LAYERS
from nst_desktop.io import paths
from nst_desktop.io.weight_sets import TORCHVISION_FILE


class _Payload:
    """Unpickling this creates ``marker``: proof that code from the file ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def _vgg() -> dict[str, torch.Tensor]:
    """VGG19-shaped weights in a few bytes: expanded views of one number."""
    sd: dict[str, torch.Tensor] = {}
    for name, cin, cout in CONV_LAYERS:
        sd[f"{name}.weight"] = torch.full((1,), 0.01).expand(cout, cin, 3, 3)
        sd[f"{name}.bias"] = torch.zeros(1).expand(cout)
    return sd


def _store(marker: Path) -> dict[str, Path]:
    folder = paths.weights_dir()  # under the private home of tests/cli/conftest.py
    files = {name: folder / f"{name}.pth" for name in
             ("good", "legacy", "payload", "pickled", "random", "truncated", "shapes")}
    torch.save(_vgg(), files["good"])
    torch.save(_vgg(), files["legacy"], _use_new_zipfile_serialization=False)  # torch < 1.6's format
    torch.save({"conv1_1.weight": _Payload(marker)}, files["payload"])
    files["pickled"].write_bytes(pickle.dumps(_Payload(marker)))  # a bare pickle, not torch.save's
    files["random"].write_bytes(os.urandom(5000))
    whole = files["good"].read_bytes()
    files["truncated"].write_bytes(whole[: len(whole) // 2])
    wrong = _vgg()
    wrong["conv3_1.weight"] = torch.zeros(1).expand(256, 64, 3, 3)
    torch.save(wrong, files["shapes"])
    (folder / TORCHVISION_FILE).write_bytes(os.urandom(300))  # a broken download under the real name
    return files


def test_weights_list_says_which_files_are_damaged(tmp_path: Path) -> None:
    marker = tmp_path / "payload-ran"
    _store(marker)
    code = "import sys\nfrom nst_desktop.cli import main\nsys.exit(main(['weights', 'list']))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", "torch's warnings (or anything else) leaked to the user"
    assert not marker.exists(), "code inside a weight file ran"
    rows = {line.split()[0]: line.split()[1] for line in proc.stdout.splitlines() if not line.startswith(" ")}
    assert rows["good"] == "ready" and rows["legacy"] == "ready" and rows["caffe"] == "ready"
    for name in ("payload", "pickled", "random", "truncated", "shapes", "torchvision"):
        assert rows[name] == "damaged", (name, proc.stdout)
    reasons = [line.strip() for line in proc.stdout.splitlines() if line.strip().startswith("damaged:")]
    assert len(reasons) == 6
    assert any("conv3_1.weight has shape (256, 64, 3, 3)" in reason for reason in reasons)
    assert any("not written by torch.save" in reason for reason in reasons)
