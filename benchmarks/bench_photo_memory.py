"""The window's memory after opening a big photo (issue 16.11).

For each size, a fresh window process (offscreen, its own empty home, the real engine but no
run) settles (sample photo, style and first estimate in), then opens a synthetic JPEG of that
size (a gradient with noise, made here in a temporary folder, never committed). Printed: RSS
before, RSS after the photo is open and the window idle again, and the process's peak RSS.

    python benchmarks/bench_photo_memory.py [--sizes 8000x6000 12000x8250] [--code DIR]

``--code DIR`` runs the window from another checkout (e.g. an export of the commit before a
change, ``git archive <commit> | tar -x -C DIR``) to measure "before".
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SETTLE_TIMEOUT_S = 300.0


def make_photo(path: Path, width: int, height: int) -> Path:
    """A JPEG that does not compress to nothing: a diagonal gradient plus noise, in bands."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    pixels = np.empty((height, width, 3), np.uint8)
    ramp = np.linspace(0, 200, width, dtype=np.float32)
    for top in range(0, height, 500):  # in bands: a float32 copy of 99 MP would be 1.2 GB here
        rows = min(500, height - top)
        band = ramp[None, :, None] + np.linspace(0, 40, 3, dtype=np.float32)[None, None, :]
        band = band + 15 * rng.standard_normal((rows, width, 1), dtype=np.float32)
        pixels[top:top + rows] = np.clip(band, 0, 255).astype(np.uint8)
    Image.fromarray(pixels).save(path, quality=90)
    return path


def rss_mib() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MiB (Linux /proc)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines()
                  if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def child(photo: Path, home: Path) -> None:
    """In a fresh process: a window, settled, then the photo opened; prints one JSON line."""
    os.environ["NST_DESKTOP_HOME"] = str(home)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    from nst_desktop.gui import background
    from nst_desktop.gui.main_window import MainWindow
    from nst_desktop.gui.settings import Settings

    app = QApplication([])
    window = MainWindow(settings=Settings(home / "settings.ini"), confirm=lambda *args: True)
    window.show()

    def settle(done: object) -> None:
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while time.monotonic() < deadline:
            QCoreApplication.processEvents()
            if done() and background.pending() == 0 and not window.estimator.busy():  # type: ignore[operator]
                for _ in range(20):  # results queued by the last jobs
                    QCoreApplication.processEvents()
                    time.sleep(0.05)
                return
            time.sleep(0.05)
        raise SystemExit("the window did not settle")

    settle(lambda: window.inputs.content() is not None)
    before = rss_mib()[0]
    window.inputs.open_content_file(photo)
    settle(lambda: (c := window.inputs.content()) is not None and c.path == photo)
    after, peak = rss_mib()
    print(json.dumps({"before": before, "after": after, "peak": peak}), flush=True)
    window.close()
    app.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["8000x6000", "12000x8250"])
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parents[1],
                        help="the checkout whose window is measured")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]))
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import machine, today  # imports torch: not in the measured window process

    print(f"Measured {today()} on: {machine()}.\n")
    print(f"Command: `python benchmarks/bench_photo_memory.py {' '.join(sys.argv[1:])}`\n")
    print("| photo | MP | RSS before open MiB | RSS after open MiB | peak RSS MiB |")
    print("| --- | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            width, height = (int(v) for v in size.split("x"))
            photo = make_photo(Path(folder) / f"photo_{size}.jpg", width, height)
            home = Path(folder) / f"home_{size}"
            home.mkdir()
            env = {**os.environ, "PYTHONPATH": str(args.code.resolve())}
            out = subprocess.run([sys.executable, __file__, "--child", str(photo), str(home)], env=env,
                                 capture_output=True, text=True, check=False, cwd=args.code)
            lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
            if not lines:
                print(f"| {size} | failed: {out.stderr.strip().splitlines()[-1:]} | | | |")
                continue
            figures = json.loads(lines[-1])
            print(f"| {size} | {width * height / 1e6:.0f} | {figures['before']:.0f} | {figures['after']:.0f} "
                  f"| {figures['peak']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
