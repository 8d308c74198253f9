"""Shared fixtures for the CLI tests: a private settings home, and small copies of a photo and
a style (so a render and its replay read the same pixels)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from nst_desktop.cli import main
from nst_desktop.resources import resource_path


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NST_DESKTOP_HOME", str(tmp_path / "home"))


@pytest.fixture
def small_inputs(tmp_path: Path) -> tuple[Path, Path]:
    """64 px PNG copies of the bundled Tübingen photo and The Starry Night."""
    paths = []
    for source, name in ((resource_path("samples", "tubingen.jpg"), "photo.png"),
                         (resource_path("styles", "starry_night.jpg"), "style.png")):
        with Image.open(source) as im:
            im = im.convert("RGB")
            im.thumbnail((64, 64))
            im.save(tmp_path / name)
        paths.append(tmp_path / name)
    return paths[0], paths[1]


def pixels(path: Path) -> np.ndarray:
    """A saved picture's RGB pixels (uint8)."""
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def replay(record_png: Path, out: Path) -> np.ndarray:
    """``nst-desktop render --params record_png -o out``; the replayed pixels."""
    assert main(["render", "--params", str(record_png), "-o", str(out), "--quiet"]) == 0
    return pixels(out)


_PROBE = """
import contextlib, io, json, sys
attempted = []

class BlockTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            attempted.append(name)
            raise ImportError("torch is blocked by the test")
        return None

sys.meta_path.insert(0, BlockTorch())
from nst_desktop.cli import main

report = {}
for name, argv in json.loads(sys.argv[1]).items():
    attempted.clear()
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except BaseException as exc:  # noqa: BLE001 - a leak is what the tests look for
            rc = f"raised {type(exc).__name__}"
    report[name] = {"rc": rc, "err": err.getvalue(), "torch": bool(attempted)}
print(json.dumps(report))
"""


def run_without_torch(argv_by_name: dict[str, list[str]], home: Path) -> dict[str, Any]:
    """Each command line run by ``main`` in ONE fresh interpreter where importing torch is
    blocked (a meta-path finder) and noted: ``{name: {"rc", "err", "torch"}}``. A refusal that
    needs torch costs the user 2-5 s; ``"torch": True`` shows one."""
    env = {**os.environ, "NST_DESKTOP_HOME": str(home)}
    proc = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(argv_by_name)], capture_output=True,
                          text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return report


def run_fresh(cases: dict[str, list[str]], home: Path) -> dict[str, list[object]]:
    """Every case in one fresh interpreter (with a timeout: a pipe used to hang it); whether torch
    was imported comes back as ``"torch imported"``."""
    code = (
        "import contextlib, io, json, sys\n"
        "from nst_desktop.cli import main\n"
        "cases = json.loads(sys.stdin.read())\n"
        "report = {}\n"
        "for name, argv in cases.items():\n"
        "    err = io.StringIO()\n"
        "    with contextlib.redirect_stderr(err):\n"
        "        rc = main(argv + ['-q'])\n"
        "    report[name] = [rc, err.getvalue()]\n"
        "report['torch imported'] = 'torch' in sys.modules\n"
        "print(json.dumps(report))\n"
    )
    env = {**os.environ, "NST_DESKTOP_HOME": str(home)}
    proc = subprocess.run([sys.executable, "-c", code], input=json.dumps(cases), capture_output=True,
                          text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    report: dict[str, list[object]] = json.loads(proc.stdout.strip().splitlines()[-1])
    return report
