"""The render progress line: content, throttling, and durations."""

from __future__ import annotations

import io
import math
from dataclasses import replace
from pathlib import Path

from nst_desktop.cli.progress import ProgressBar, format_duration
from nst_desktop.engine.spec.events import PREPARING, ProgressEvent


def _event(step: int, total: int) -> ProgressEvent:
    losses = {"content": 1.0, "style": 2.0, "total": 3.0}
    return ProgressEvent(scale_index=0, scale_count=2, width=64, height=48, step=step, scale_steps=total,
                         total_step=step, total_steps=total, losses=losses, elapsed_s=1.0,
                         remaining_s=math.inf if step < 2 else 65.0)


def test_progress_bar_without_terminal_writes_a_line_per_tenth(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    with log.open("w") as stream:
        bar = ProgressBar(stream)
        for step in range(1, 101):
            bar.update(_event(step, 100))
        bar.close()
    lines = log.read_text().splitlines()
    assert 10 <= len(lines) <= 12
    assert lines[0].startswith("scale 1/2 64x48 [") and "ETA …" in lines[0]
    assert "100/100" in lines[-1] and "ETA 1 min 05 s" in lines[-1] and "loss 3" in lines[-1]


def test_format_duration() -> None:
    assert format_duration(math.inf) == "…" and format_duration(math.nan) == "…"
    assert format_duration(0.4) == "0 s"
    assert format_duration(65) == "1 min 05 s"
    assert format_duration(3700) == "1 h 01 min"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_redraws_one_line() -> None:
    stream = _Terminal()
    bar = ProgressBar(stream)
    for step in range(1, 6):
        bar.update(_event(step, 5))  # throttled to 10 per second, but the last step always shows
    bar.close()
    text = stream.getvalue()
    assert text.startswith("\r\x1b[K") and text.endswith("\n")
    assert text.count("\n") == 1  # redrawn in place, one newline at the end
    assert "5/5" in text


def test_a_set_up_is_said_at_once_on_a_terminal() -> None:
    """Issue 16.7: a minute-long set-up of the styles says so, not throttled behind the last step."""
    stream = _Terminal()
    bar = ProgressBar(stream)
    bar.update(_event(1, 5))
    bar.update(replace(_event(1, 5), step=0, losses={}, phase=PREPARING))  # within the 0.1 s throttle
    last = stream.getvalue().split("\r\x1b[K")[-1]
    assert "1/5 preparing the styles…" in last and "loss" not in last
