"""GUI benchmarks: time to a visible window, and GUI-thread latency during a run.

1. Start-up: launches ``python -m nst_desktop.gui.app`` in a fresh process with
   ``NST_DESKTOP_STARTUP_MARKER=1`` and times from just before the launch to the moment the
   app prints ``WINDOW_EXPOSED`` (its window's first expose/paint event). Median of N runs.
2. Responsiveness: in this process, opens the main window, starts a real run (384 px by
   default) and measures, with a QTimer firing every 10 ms, how late each tick is: the
   median and the worst lateness are what a user feels as stutter while dragging or zooming.

    python benchmarks/bench_gui.py [--runs 3] [--size 384] [--seconds 20]

Uses a temporary NST_DESKTOP_HOME (first-launch state) and the offscreen platform unless
a DISPLAY is set.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

TICK_MS = 10


def machine() -> str:
    return f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs"


def _env(home: str) -> dict[str, str]:
    env = {**os.environ, "NST_DESKTOP_HOME": home, "NST_DESKTOP_STARTUP_MARKER": "1"}
    if not env.get("DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def startup_once(home: str, command: list[str] | None = None, timeout: float = 60.0) -> float:
    """Seconds from launch to the first expose of the window (``command`` defaults to the
    app from this checkout; pass the frozen bundle's executable to time the bundle)."""
    start = time.perf_counter()
    proc = subprocess.Popen(command or [sys.executable, "-m", "nst_desktop.gui.app"], env=_env(home),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("WINDOW_EXPOSED"):
                return time.perf_counter() - start
            if time.perf_counter() - start > timeout:
                break
        raise RuntimeError("the app never reported a visible window")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def bench_startup(runs: int, command: list[str] | None = None) -> list[float]:
    home = tempfile.mkdtemp(prefix="nst-bench-")
    startup_once(home, command)  # warm the OS file cache (a user's second launch), not timed
    return [startup_once(home, command) for _ in range(runs)]


def bench_latency(size: int, seconds: float) -> dict[str, float]:
    """Tick lateness (ms) while idle and while a real run goes on."""
    os.environ.setdefault("NST_DESKTOP_HOME", tempfile.mkdtemp(prefix="nst-bench-"))
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from nst_desktop.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    window = MainWindow()
    window.show()
    late: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def tick() -> None:
        now = clock.nsecsElapsed()
        late.append(max(0.0, (now - last[0]) / 1e6 - TICK_MS))
        last[0] = now

    def spin(ms: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(int(ms), loop.quit)
        loop.exec()

    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    spin(3000)  # inputs loaded, the estimate (torch import) done
    last[0] = clock.nsecsElapsed()  # lateness counts from the timer's start
    timer.start()
    spin(2000)
    idle = list(late)
    window.params_panel.update_fields(size=size, min_size=size, coarse_steps=0, steps=10_000,
                                      device="cpu")
    late.clear()
    window.start_run()
    spin(seconds * 1000)
    running = list(late)
    steps = window.run_panel.progress.value()
    window.stop_run()
    while window.runner.running:
        spin(100)
    timer.stop()
    window.close()
    app.processEvents()
    return {
        "idle_median": statistics.median(idle), "idle_worst": max(idle),
        "run_median": statistics.median(running), "run_p99": _p99(running), "run_worst": max(running),
        "run_ticks": len(running), "progress_permille": steps,
    }


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", type=int, default=384)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--app", help="time this executable's start-up instead (e.g. the frozen "
                        "bundle dist/nst-desktop/nst-desktop) and skip the latency part")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    if not args.skip_startup:
        times = bench_startup(args.runs, [args.app] if args.app else None)
        print(f"launch to visible window{' (' + args.app + ')' if args.app else ''}: median "
              f"{statistics.median(times):.2f} s (runs: {', '.join(f'{t:.2f}' for t in times)})")
    if args.app:
        return 0
    figures = bench_latency(args.size, args.seconds)
    print(f"event-loop lateness, idle: median {figures['idle_median']:.1f} ms, "
          f"worst {figures['idle_worst']:.1f} ms")
    print(f"event-loop lateness during a {args.size} px run ({args.seconds:.0f} s, "
          f"{figures['run_ticks']:.0f} ticks): median {figures['run_median']:.1f} ms, "
          f"p99 {figures['run_p99']:.1f} ms, worst {figures['run_worst']:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
