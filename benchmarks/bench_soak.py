"""Soak (issue 16.1): one window process lives through a long afternoon without aborting.

In ONE process, the real ``MainWindow`` (offscreen unless a DISPLAY is set, a temporary
NST_DESKTOP_HOME, first-launch state: the sample photo and style) goes through

1. ``--runs`` full runs with the tests' fake engine (``tests/gui/fakes.FakeStylize``,
   ``--steps`` steps each, every progress event and preview through the worker's signals,
   every picture to the history);
2. ``--quick-looks`` real quick looks (the real engine, ``--size`` px);
3. ``--opens`` photo opens (File > Open's background read), cycling through four photos.

With PySide6 6.12.0 every ``Signal.emit()`` lost a reference to True, and the window
aborted after about 200 photo opens or 7 fake runs of 500 steps. It prints, before and after
each phase, the process's resident memory (VmRSS) and OS thread count, and exits 0 only if
every run finished and every photo opened.

    python benchmarks/bench_soak.py [--runs 200] [--quick-looks 30] [--opens 200] [--steps 500]
    python benchmarks/bench_soak.py --quick
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NST_DESKTOP_HOME", tempfile.mkdtemp(prefix="nst-soak-"))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the app sets it (gui/app.py main)
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def process_status() -> tuple[float, int]:
    """(resident MiB, OS threads) of this process, from /proc (Linux)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines()
                  if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024.0, int(fields["Threads"])


def report(label: str) -> tuple[float, int]:
    rss, threads = process_status()
    print(f"{label:<28} RSS {rss:7.0f} MiB   threads {threads:3d}   t={time.monotonic() - T0:6.0f} s",
          flush=True)
    return rss, threads


def wait_until(done: Callable[[], bool], timeout_s: float, what: str) -> None:
    from PySide6.QtTest import QTest

    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench_soak: timed out waiting for {what}")
        QTest.qWait(5)


def make_photos(folder: Path, count: int = 4) -> list[Path]:
    """Small JPEGs with detail everywhere (noise over a gradient), one per colour cast."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    ramp = np.linspace(0, 1, 640, dtype=np.float32)[None, :, None]
    photos = []
    for index in range(count):
        cast = np.roll(np.array([0.9, 0.5, 0.2], np.float32), index)
        pixels = 0.6 * ramp * cast + 0.4 * rng.random((480, 640, 3), dtype=np.float32)
        path = folder / f"photo{index}.jpg"
        Image.fromarray((pixels * 255).astype(np.uint8)).save(path, quality=90)
        photos.append(path)
    return photos


class Outcomes:
    """Counts the worker's outcomes (a failed run must fail the soak)."""

    def __init__(self, window: Any) -> None:
        self.finished = self.failed = 0
        self.failures: list[str] = []
        window.runner.worker.finished.connect(self._on_finished)
        window.runner.worker.failed.connect(self._on_failed)

    def _on_finished(self, _outcome: object) -> None:
        self.finished += 1

    def _on_failed(self, text: str, _outcome: object) -> None:
        self.failed += 1
        self.failures.append(text)


def run_each(window: Any, count: int, start: Callable[[], bool], label: str) -> None:
    for index in range(count):
        if not start():
            raise SystemExit(f"bench_soak: {label} {index + 1} did not start: {window.last_error!r}")
        wait_until(lambda: not window.runner.running, 600, f"{label} {index + 1}")
        if (index + 1) % 25 == 0 or index + 1 == count:
            report(f"  {label}s done: {index + 1}")


def open_each(window: Any, photos: list[Path], count: int) -> None:
    for index in range(count):
        photo = photos[index % len(photos)]
        window.inputs.open_content_file(photo)
        wait_until(lambda p=photo: not window.inputs.loading() and window.inputs.content() is not None
                   and window.inputs.content().path == p, 60, f"photo open {index + 1}")
        if (index + 1) % 50 == 0 or index + 1 == count:
            report(f"  photo opens done: {index + 1}")


def soak(args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QApplication

    from nst_desktop.engine.run.stylize import stylize
    from nst_desktop.gui.main_window import MainWindow
    from tests.gui.fakes import FakeStylize

    app = QApplication.instance() or QApplication([])
    engine: dict[str, Any] = {"fn": FakeStylize()}

    def switched(*a: Any, **k: Any) -> Any:  # one window, one worker: the fake, then the real engine
        return engine["fn"](*a, **k)

    window = MainWindow(stylize_fn=switched, confirm=lambda *a: True)
    window.show()
    outcomes = Outcomes(window)
    wait_until(lambda: window.inputs.ready() and not window.inputs.loading(), 120, "the sample inputs")
    window.params_panel.update_fields(size=args.size, steps=args.steps, device="cpu")
    photos = make_photos(Path(os.environ["NST_DESKTOP_HOME"]))
    before = report("before")
    run_each(window, args.runs, window.runs.start, "fake run")
    engine["fn"] = stylize
    run_each(window, args.quick_looks, window.tweaks.start_quick_look, "real quick look")
    open_each(window, photos, args.opens)
    window.session.saver.wait()
    after = report("after")
    expected = args.runs + args.quick_looks
    print(f"runs finished {outcomes.finished}/{expected}, failed {outcomes.failed} {outcomes.failures[:3]}; "
          f"RSS {after[0] - before[0]:+.0f} MiB, threads {after[1] - before[1]:+d}")
    window.close()
    app.processEvents()
    return 0 if outcomes.finished == expected and outcomes.failed == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="fake-engine runs")
    parser.add_argument("--quick-looks", type=int, default=30, help="real-engine quick looks")
    parser.add_argument("--opens", type=int, default=200, help="photo opens")
    parser.add_argument("--steps", type=int, default=500, help="steps of each fake run")
    parser.add_argument("--size", type=int, default=128, help="output size (the quick looks' long side)")
    parser.add_argument("--quick", action="store_true", help="3 runs, 1 quick look, 4 opens: does it run?")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.quick_looks, args.opens = 3, 1, 4
    print(f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    import PySide6

    print(f"PySide6 {PySide6.__version__}; command: python benchmarks/bench_soak.py "
          f"{shlex.join(sys.argv[1:])}", flush=True)
    status = soak(args)
    print(f"exit {status}; load average at the end {os.getloadavg()[0]:.1f}")
    return status


T0 = time.monotonic()

if __name__ == "__main__":
    sys.exit(main())
