"""The PySide6 pin of issue 16.1: the installed Qt binding is the pinned one, a long run of signal
emits neither loses references to True nor aborts, and the bundle recipe refuses another version."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_bootstrap import bootstrap

ROOT = Path(__file__).resolve().parents[1]
EMITS = 50_000

# A value-carrying signal connected to a Python slot, as every worker -> window signal is.
# PySide6 6.12.0 lost one reference to True per emit: 20 emits lost 20, 5,000 ended in
# "Fatal Python error: bool_dealloc" (exit 134).
EMIT_LOOP = f"""
import json, sys
from PySide6.QtCore import QCoreApplication, QObject, Signal

class Sender(QObject):
    valued = Signal(object)
    counted = Signal(int)

app = QCoreApplication([])
sender, received = Sender(), [0]

def on_value(value):
    received[0] += 1

sender.valued.connect(on_value)
sender.counted.connect(on_value)

def emit(count):
    for i in range(count):
        sender.valued.emit(i) if i % 2 else sender.counted.emit(i)

emit(10)  # first emits fill PySide's caches
before = sys.getrefcount(True)
emit(20)
lost = before - sys.getrefcount(True)
emit({EMITS})
print(json.dumps({{"lost": lost, "received": received[0]}}))
"""


def test_fifty_thousand_emits_keep_true_alive() -> None:
    out = subprocess.run([sys.executable, "-c", EMIT_LOOP], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report == {"lost": 0, "received": 10 + 20 + EMITS}


def test_the_installed_pyside6_is_the_pinned_one() -> None:
    pinned = bootstrap.pinned_qt_version()
    assert pinned != "6.12.0"
    assert bootstrap.qt_version_problem(bootstrap.installed_qt_versions(), pinned) is None


def _run_build_spec() -> None:
    # build.spec puts the checkout first on sys.path: put it back as it was.
    saved = list(sys.path)
    try:
        _exec_build_spec()
    finally:
        sys.path[:] = saved


def _exec_build_spec() -> None:
    code = compile((ROOT / "build.spec").read_text(encoding="utf-8"), "build.spec", "exec")
    exec(code, {"SPECPATH": str(ROOT), "__name__": "build_spec"})


def test_the_bundle_refuses_pyside6_6_12_0(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "6.12.0")
    with pytest.raises(SystemExit, match=r"PySide6-Essentials 6\.12\.0, shiboken6 6\.12\.0 found"):
        _run_build_spec()


def test_the_bundle_goes_on_with_the_pinned_pyside6() -> None:
    # Past the check, PyInstaller's own names (Analysis…) are all that is missing here.
    with pytest.raises(NameError, match="Analysis"):
        _run_build_spec()
