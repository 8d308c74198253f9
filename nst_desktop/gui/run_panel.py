"""Start / Pause / Stop, where the run is (scale, step, time left) and the live loss plot."""

from __future__ import annotations

import html
import math
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from nst_desktop.engine.spec.events import ProgressEvent
from nst_desktop.formatting import format_duration
from nst_desktop.gui.describe import changes_text
from nst_desktop.gui.elided_label import ElidedLabel
from nst_desktop.gui.loss_plot import LossPlot
from nst_desktop.gui.run_clock import RunClock


def format_estimate(seconds: float) -> str:
    """A duration rounded as coarsely as an estimate deserves (it is good to +-50%):
    'about 40 s', 'about 3 min', 'about 1 h 05 min'; '…' when unknown."""
    if not math.isfinite(seconds) or seconds < 0:
        return "…"
    if seconds < 10:
        return "a few seconds"
    if seconds < 55:
        return f"about {round(seconds / 10) * 10} s"
    if seconds < 3570:
        return f"about {max(1, round(seconds / 60))} min"
    minutes = round(seconds / 300) * 5
    return f"about {minutes // 60} h {minutes % 60:02d} min"


def format_extra(seconds: float) -> str:
    """What a setting adds to an estimate: '+5 s', '+20 s', '+3 min', '-10 s' when it saves time;
    'no extra time' within a second (rounded like the estimate it adds to, to 5 s under a minute)."""
    if abs(seconds) < 1:
        return "no extra time"
    sign = "+" if seconds > 0 else "-"
    size = abs(seconds)
    amount = f"{max(1, round(size / 5)) * 5} s" if size < 57.5 else f"{round(size / 60)} min"
    return f"{sign}{amount}"


def format_bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit in ("B", "KB") else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GB"


def describe_changes(changes: dict[str, object] | Any) -> str:
    """'Style strength 2, Smoothness 0.5' in the panel's own words (see gui.describe)."""
    return changes_text(changes)


def progress_line(event: ProgressEvent) -> str:
    """Where the run is: 'Scale 2/3 · 512×384 px · step 152/300', or the set-up it is in.

    One step number everywhere (issue 16.7): the step over the whole run, 1-based, as the
    progress bar, the loss plot and "changed at step N" count it. Counted within the scale
    here ("step 50/50") and over the run there ("changed at step 152"), the two disagreed.
    """
    scale = f"Scale {event.scale_index + 1}/{event.scale_count}  ·  " if event.scale_count > 1 else ""
    where = f"{scale}{event.width}×{event.height} px"
    if event.is_step:
        return f"{where}  ·  step {event.total_step}/{event.total_steps}"
    # A set-up that can take a minute: say what it is, so the window does not look hung.
    what = "for this scale" if event.step == 0 else "for the new settings"
    return f"{where}  ·  preparing the styles {what}…"


class RunPanel(QWidget):
    """Run controls and progress. Emits requests; the main window decides what happens."""

    startRequested = Signal()
    quickLookRequested = Signal()
    promoteRequested = Signal()
    pauseToggled = Signal(bool)  # True: pause, False: resume
    stopRequested = Signal()
    keepSettingsRequested = Signal()  # the link in the notice of a setting the app changed itself

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runPanel")
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("startButton")
        self.start_button.setDefault(True)
        self.start_button.setMinimumWidth(110)
        font = self.start_button.font()
        font.setBold(True)
        self.start_button.setFont(font)
        self.start_button.setToolTip("Paint the picture (Ctrl+R)")
        self.quick_button = QPushButton("Quick look")
        self.quick_button.setObjectName("quickLookButton")
        self.quick_button.setToolTip("A small version in seconds, to judge a tweak (Ctrl+Shift+R)")
        self.promote_button = QPushButton("Render full size")
        self.promote_button.setObjectName("promoteButton")
        self.promote_button.setToolTip("Go on from the picture on show up to the output size, keeping its "
                                       "composition (Ctrl+Shift+F)")
        self.promote_button.setEnabled(False)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop and keep the best picture so far (Esc)")
        self.status_label = ElidedLabel("Ready.")
        self.status_label.setObjectName("runStatus")
        self.estimate_label = ElidedLabel("")
        self.estimate_label.setObjectName("estimateLabel")
        self.estimate_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for label in (self.status_label, self.estimate_label):
            # Their texts change all the time (and the estimate hides during a run): they must
            # never resize the layout, or the canvas above jumps. Kept height, ignored width.
            policy = label.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
            label.setSizePolicy(policy)
        # A change the app made by itself (the first launch's Draft preset) is said here, in
        # view next to Start, with a way back: the status bar may be off screen or missed.
        self.notice_label = QLabel("")
        self.notice_label.setObjectName("autoChangeNotice")
        self.notice_label.setWordWrap(True)
        self.notice_label.setStyleSheet("QLabel#autoChangeNotice { background: palette(alternate-base); "
                                        "border: 1px solid palette(mid); border-radius: 3px; padding: 3px; }")
        self.notice_label.linkActivated.connect(self._on_notice_link)
        self.notice_label.hide()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.plot = LossPlot()
        self.clock = RunClock(self)
        self.clock.ticked.connect(self._on_clock_ticked)
        self._where = ""  # the last event's progress line
        self._note = ""  # shown instead of it until the next step: a live edit that landed
        self._shown = ""  # the status line as last written here (others may write theirs)
        self._counting_down = False  # an event gave a time left ("Starting…" until then)
        self._stopping = ""  # "Stopping…": shown on the bar and the line until the run ends
        self._can_promote = False
        self._build_layout()
        self.start_button.clicked.connect(self.startRequested)
        self.quick_button.clicked.connect(self.quickLookRequested)
        self.promote_button.clicked.connect(self.promoteRequested)
        self.pause_button.toggled.connect(self._on_pause_toggled)
        self.stop_button.clicked.connect(self.stopRequested)
        self.set_running(False)

    def _build_layout(self) -> None:
        buttons = QHBoxLayout()
        for button in (self.start_button, self.quick_button, self.promote_button, self.pause_button,
                       self.stop_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        left = QGridLayout()
        left.addLayout(buttons, 0, 0)
        left.addWidget(self.progress, 1, 0)
        left.addWidget(self.status_label, 2, 0)
        left.addWidget(self.estimate_label, 3, 0)
        left.addWidget(self.notice_label, 4, 0)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(left, 3)
        self.plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        layout.addWidget(self.plot, 2)

    # --- state --------------------------------------------------------------------------------
    def set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.quick_button.setEnabled(not running)
        self.promote_button.setEnabled(not running and self._can_promote)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        if not running:
            self.clock.stop()
            self.pause_button.blockSignals(True)
            self.pause_button.setChecked(False)
            self.pause_button.setText("Pause")
            self.pause_button.blockSignals(False)

    def set_paused(self, paused: bool) -> None:
        """Reflect a pause that came from a menu action (no signal re-emitted)."""
        self.pause_button.blockSignals(True)
        self.pause_button.setChecked(paused)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_button.blockSignals(False)
        self.clock.set_paused(paused)

    def run_started(self) -> None:
        self.estimate_label.hide()  # the live time left replaces the estimate during a run
        self.plot.clear()
        self.progress.setValue(0)
        self.progress.setFormat("Starting…")
        self._where, self._note, self._counting_down = "Loading the network…", "", False
        self._stopping = ""
        self.set_running(True)
        self.clock.start()
        self._show_progress()

    def run_ended(self, message: str) -> None:
        self.set_running(False)
        self.estimate_label.show()
        self.status_label.setText(message)
        if self.progress.value() < self.progress.maximum() and "finished" in message.lower():
            self.progress.setValue(self.progress.maximum())
        self.progress.setFormat(message.split(".")[0] if message else "")

    def update_progress(self, event: ProgressEvent) -> None:
        """A step done, or a set-up starting (``event.is_step`` False): no losses, no progress."""
        self.clock.set(event.elapsed_s, event.remaining_s)
        self._where, self._note, self._counting_down = progress_line(event), "", True
        if event.is_step:
            self.progress.setValue(round(event.fraction * self.progress.maximum()))
            self.plot.add_point(event.total_step, event.losses)
        if event.is_step and event.edit:
            self.mark_edit(event.total_step, describe_changes(event.edit))
        else:
            self._show_progress()

    def show_stopping(self, text: str) -> None:
        """A stop was asked for: ``text`` stays on the bar and the line, over the clock's ticks
        and the events of the last step, until the run ends."""
        self._stopping = text
        self._show_progress()

    def _show_progress(self, line: bool = True) -> None:
        """The time left and (``line``) the progress line, with the clock's figures of now."""
        if self._stopping:
            self.progress.setFormat(self._stopping)
            self.status_label.setText(self._stopping)
            return
        if self._counting_down:
            self.progress.setFormat(f"%p %  ·  {format_duration(self.clock.remaining())} left")
        if line:
            self._shown = f"{self._note or self._where}  ·  {format_duration(self.clock.elapsed())} so far"
            self.status_label.setText(self._shown)

    def _on_clock_ticked(self) -> None:
        # The line only while it is its own: "Stopping…" and the like stay until the next event.
        self._show_progress(line=self.status_label.text() == self._shown)

    def set_can_promote(self, can: bool, tip: str = "") -> None:
        """Whether the picture on show can be taken on to full size (and why not, if not)."""
        self._can_promote = can
        self.promote_button.setEnabled(can and not self.stop_button.isEnabled())
        if tip:
            self.promote_button.setToolTip(tip)

    def mark_edit(self, step: int, text: str) -> None:
        """A live edit landed before ``step``: mark the plot and say so."""
        self.plot.add_marker(step, text)
        self._note = f"Changed at step {step}: {text}"
        self._show_progress()

    def set_estimate(self, seconds: float, peak_bytes: float, device: str, *,
                     first_guess: bool = False, quick_seconds: float | None = None, tile: int = 0,
                     brush: tuple[float, float] | None = None) -> None:
        # Worded as a forecast for the settings on screen: after a run it sits under the
        # real time taken, and must not read as a second measurement of it. Until a run has
        # measured this computer, the time is only the model's guess: say so.
        guess = " (first guess)" if first_guess else ""
        self.estimate_label.set_hint(
            "Worked out from a speed model of this computer (the countdown during a run uses the same "
            "model); after the first finished picture it also uses the speed measured here."
            if first_guess else "Based on the speed of your finished runs on this computer.")
        quick = f"; a quick look {format_estimate(quick_seconds)}" if quick_seconds is not None else ""
        # A print size too big for one pass: say why it takes longer than its pixels suggest.
        tiled = f", painted in tiles of {tile} px" if tile > 0 else ""
        # A bigger brush paints bigger style images: say what it adds, so its cost is chosen knowingly.
        brushed = f"; Brush {brush[0]:g}x: {format_extra(brush[1])}" if brush is not None else ""
        self.estimate_label.setText(f"These settings: {format_estimate(seconds)} on the {device}{guess}, "
                                    f"{format_bytes(peak_bytes)} of memory{tiled}{brushed}{quick}")

    def show_notice(self, text: str, link_text: str = "Keep my settings") -> None:
        """Say, in view, that the app changed a setting by itself, with a link to undo it and one
        to dismiss it. It stays until one is clicked: hiding it by itself when a run starts would
        make the picture above jump."""
        self.notice_label.setText(f"{html.escape(text)} <a href=\"keep\">{html.escape(link_text)}</a>"
                                  " · <a href=\"ok\">OK</a>")
        self.notice_label.show()

    def clear_notice(self) -> None:
        self.notice_label.hide()
        self.notice_label.setText("")

    def _on_notice_link(self, link: str) -> None:
        self.clear_notice()
        if link == "keep":
            self.keepSettingsRequested.emit()

    def set_estimate_text(self, text: str) -> None:
        self.estimate_label.setText(text)

    def _on_pause_toggled(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pauseToggled.emit(paused)
