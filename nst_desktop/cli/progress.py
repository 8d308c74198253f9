"""The render command's progress display: one line on stderr, redrawn on a terminal."""

from __future__ import annotations

import shutil
import time
import typing

from nst_desktop.engine.spec.events import ProgressEvent
from nst_desktop.formatting import format_duration


class ProgressBar:
    """A one-line progress display on a stream: scale, step/total, losses and ETA.

    On a terminal the line is redrawn in place (at most ~10 times a second); elsewhere
    (CI logs, pipes) a new line is written every 10 % so logs stay readable.
    """

    def __init__(self, stream: typing.TextIO, width: int = 24) -> None:
        self.stream = stream
        self.width = width
        self.tty = stream.isatty()
        self._last_draw = 0.0
        self._last_decile = -1
        self._drawn = False

    def render(self, ev: ProgressEvent) -> str:
        filled = int(self.width * ev.fraction)
        bar = "#" * filled + "-" * (self.width - filled)
        where = f"scale {ev.scale_index + 1}/{ev.scale_count} {ev.width}x{ev.height} [{bar}] "
        eta = f"ETA {format_duration(ev.remaining_s)}"
        if not ev.is_step:  # a set-up of up to a minute starts: the line must not look stuck
            return f"{where}{ev.total_step}/{ev.total_steps} preparing the styles… {eta}"
        loss = ev.losses.get("total", float("nan"))
        terms = " ".join(f"{k} {v:.3g}" for k, v in ev.losses.items() if k != "total")
        return f"{where}{ev.total_step}/{ev.total_steps} loss {loss:.4g} ({terms}) {eta}"

    def update(self, ev: ProgressEvent) -> None:
        last = ev.is_step and ev.total_step >= ev.total_steps
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw < 0.1 and not last and ev.is_step:
                return
            self._last_draw = now
            columns = shutil.get_terminal_size().columns - 1  # a wrapped line cannot be redrawn
            self.stream.write("\r\x1b[K" + self.render(ev)[:columns])
            self._drawn = True
        else:
            decile = int(10 * ev.fraction)
            if decile == self._last_decile and not last:
                return
            self._last_decile = decile
            self.stream.write(self.render(ev) + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
