"""Durations as people read them, for the command line and the window alike.

Importable from every layer (like ``resources``): plain Python, no torch, no Qt. One
function, so "3 min 05 s" means the same on a progress bar, a countdown and a report.
"""

from __future__ import annotations

import math


def format_duration(seconds: float) -> str:
    """'45 s', '3 min 05 s', '1 h 02 min'; '…' when unknown (NaN, infinite or negative)."""
    if not math.isfinite(seconds) or seconds < 0:
        return "…"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
