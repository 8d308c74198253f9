"""The work on screen survives a kill (issue 16.13): a real app process (offscreen, its own
NST_DESKTOP_HOME) gets a photo, two styles with blend weights and a changed setting, is ended
by SIGKILL or SIGTERM, and the next start shows the same photo, styles and setting."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]

# Started through gui.app.main(), as the installed app is; the window is found among the
# top-level widgets once main() has built it.
_FIND_WINDOW = """
import json, sys, time
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from nst_desktop.gui import app as gui_app

qapp = QApplication(sys.argv[:1])

def window():
    return next(w for w in qapp.topLevelWidgets() if w.objectName() == "mainWindow")

def later(fn):
    QTimer.singleShot(20, fn)
"""

EDIT_SESSION = _FIND_WINDOW + """
photo, style_a, style_b = sys.argv[1:4]

def edit():  # once the first launch's sample photo and style are in
    w = window()
    if w.inputs.loading() or w.inputs.content() is None:
        return later(edit)
    w.inputs.clear_styles()
    w.inputs.open_content_file(photo)
    w.inputs.open_style_files([Path(style_a), Path(style_b)], [1.0, 0.4])
    w.params_panel.update_fields(steps=123)
    later(edited)

def edited():
    w = window()
    if w.inputs.loading():
        return later(edited)
    print("EDITED", json.dumps(w.inputs.state()), flush=True)

QTimer.singleShot(0, edit)
sys.exit(gui_app.main([]))
"""

NEXT_START = _FIND_WINDOW + """
deadline = time.monotonic() + 30

def report():  # once the saved inputs are read again (or never)
    w = window()
    if (w.inputs.loading() or w.inputs.content() is None) and time.monotonic() < deadline:
        return later(report)
    content, styles = w.inputs.state()
    print("RESTORED", json.dumps({"content": content, "styles": styles,
                                  "steps": w.params_panel.params().steps}), flush=True)
    w.close()

QTimer.singleShot(0, report)
sys.exit(gui_app.main([]))
"""


def _images(folder: Path) -> list[Path]:
    rng = np.random.default_rng(1)
    paths = []
    for name in ("photo.png", "style_a.png", "style_b.png"):
        path = folder / name
        Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def _stderr_file() -> Path:
    return Path(os.environ["NST_DESKTOP_HOME"]).parent / "app-stderr.txt"


def _start(code: str, *args: str) -> subprocess.Popen[str]:
    # NST_DESKTOP_HOME is this test's own (tests/conftest.py): settings and history start empty.
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    with _stderr_file().open("a") as stderr:  # a file, not a pipe: a chatty app never blocks on it
        return subprocess.Popen([sys.executable, "-c", code, *args], env=env, cwd=ROOT, text=True,
                                stdout=subprocess.PIPE, stderr=stderr)


def _line(proc: subprocess.Popen[str], prefix: str, timeout_s: float = 60) -> str:
    """The rest of the first stdout line starting with ``prefix``."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(deadline - time.monotonic()):
                line = proc.stdout.readline()
                if line.startswith(prefix):
                    return line[len(prefix):].strip()
                if not line:
                    break
    proc.kill()
    proc.wait()
    raise AssertionError(f"no {prefix!r} line; stderr: {_stderr_file().read_text()[-2000:]}")


def _settings_text() -> str:
    path = Path(os.environ["NST_DESKTOP_HOME"]) / "settings" / "settings.ini"
    return path.read_text(errors="replace") if path.exists() else ""


def _next_start() -> dict[str, object]:
    proc = _start(NEXT_START)
    restored = json.loads(_line(proc, "RESTORED"))
    assert proc.wait(60) == 0
    return restored


@pytest.mark.slow
@pytest.mark.parametrize("ending", [signal.SIGKILL, signal.SIGTERM], ids=lambda s: s.name)
def test_the_next_start_shows_the_work_of_a_killed_session(tmp_path: Path, ending: signal.Signals) -> None:
    photo, style_a, style_b = _images(tmp_path)
    proc = _start(EDIT_SESSION, str(photo), str(style_a), str(style_b))
    try:
        content, styles = json.loads(_line(proc, "EDITED"))
        assert [content, styles] == [str(photo), [[str(style_a), 1.0], [str(style_b), 0.4]]]
        if ending == signal.SIGKILL:  # nothing runs after it: only what is already on disk counts
            deadline = time.monotonic() + 10
            while not ("steps=123" in _settings_text() and "style_b.png" in _settings_text()):
                assert time.monotonic() < deadline, "the recipe never reached the settings file"
                time.sleep(0.05)
        proc.send_signal(ending)  # SIGTERM at once: the window's close must save what is waiting
        code = proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert code == (-signal.SIGKILL if ending == signal.SIGKILL else 0)  # SIGTERM: a clean exit
    assert _next_start() == {"content": str(photo), "styles": [[str(style_a), 1.0], [str(style_b), 0.4]],
                             "steps": 123}
