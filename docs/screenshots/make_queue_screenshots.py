"""The Queue panel with jobs in several states, and the Batch dialog (issue 18.3), at the screen's
size: the whole window on a 1280x800 screen with the Queue dock open beside the Picture and
History panels. Real renders (the built-in engine, small sizes so that it takes a minute):

    xvfb-run -a -s "-screen 0 1280x800x24" python docs/screenshots/make_queue_screenshots.py

Writes queue_panel_1280x800.png (the whole screen), queue_panel.png (the dock alone) and
batch_dialog.png. The jobs: two done (their pictures as thumbnails), one painting, waiting ones,
one failed when added (an unreadable photo), one cancelled.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from shots import HERE, shot, spin, wait_until

RESOURCES = HERE.parents[1] / "resources"
PHOTO = RESOURCES / "samples" / "tubingen.jpg"
STYLES = [RESOURCES / "styles" / n for n in ("starry_night.jpg", "the_scream.jpg", "shipwreck.jpg")]


def queue_jobs(store: object, out: Path) -> None:
    from nst_desktop.engine.spec.params import DEFAULTS
    from nst_desktop.queue.batch import file_name
    from nst_desktop.queue.store import Output, QueueStore
    from nst_desktop.recipe.recipe import Recipe, StyleRef

    assert isinstance(store, QueueStore)
    quick = DEFAULTS.with_changes(size=128, min_size=64, steps=20, coarse_steps=10, device="cpu")
    slow = DEFAULTS.with_changes(size=384, min_size=128, steps=200, device="cpu")
    broken = Path(tempfile.mkdtemp()) / "holiday_042.jpg"
    broken.write_bytes(b"\xff\xd8 not really a JPEG")
    plans = [(PHOTO, STYLES[0], quick), (PHOTO, STYLES[1], quick), (PHOTO, STYLES[2], slow),
             (broken, STYLES[0], slow), (PHOTO, STYLES[0], slow.with_changes(style_weight=16.0)),
             (PHOTO, STYLES[1], slow.with_changes(style_weight=32.0)), (PHOTO, STYLES[2], slow)]
    for n, (photo, style, params) in enumerate(plans, start=1):
        look = (StyleRef(str(style)),)
        store.add(Recipe(str(photo), look, params), Output(str(out), file_name("{photo}_{style}_{n}.png",
                                                                                str(photo), look, n)))
    store.cancel(store.jobs()[-1].id)


def main() -> int:
    from PySide6.QtWidgets import QApplication

    from nst_desktop.gui.app import apply_theme
    from nst_desktop.gui.main_window import MainWindow
    from nst_desktop.queue.store import Status

    app = QApplication(sys.argv[:1])
    apply_theme(app)
    window = MainWindow()  # its own size: what screen_fit chooses for this screen
    window.show()
    wait_until(lambda: window.inputs.ready(), 60)
    out = Path(os.environ["NST_DESKTOP_HOME"]) / "pictures"
    window.settings.write("queue/output_folder", str(out))
    queue_jobs(window.queue.store, out)
    window.queue.panel.refresh()
    window.queue_dock.show()
    window.queue_dock.raise_()
    window.queue.kick()
    store = window.queue.store
    third = store.jobs()[2].id  # the slow one: caught while it paints
    progress: list[float] = [0.0]
    window.queue.painter.progressed.connect(lambda p: progress.__setitem__(
        0, p.event.fraction if p.event is not None and p.job.id == third else progress[0]))
    wait_until(lambda: progress[0] > 0.1, 900)
    window.queue.panel.select(store.jobs(statuses=[Status.FAILED])[0].id)
    spin(1500)  # the thumbnails
    screen = window.screen()
    pixmap = screen.grabWindow(0) if os.environ.get("DISPLAY") else window.grab()
    name = f"queue_panel_{screen.availableGeometry().width()}x{screen.availableGeometry().height()}.png"
    pixmap.save(str(HERE / name))
    print("saved", name, "window", window.frameGeometry(), "queue dock", window.queue_dock.geometry(),
          flush=True)
    shot(window.queue_dock, "queue_panel.png")
    window.queue.set_artist_painting("shots", True)  # the rest of the queue waits while we look
    dialog = window.queue.batch_dialog(window)
    dialog.add_photos([str(PHOTO.parent), str(STYLES[2])])
    dialog.add_styles([str(STYLES[1])])
    dialog.sweep_setting.setCurrentIndex(dialog.sweep_setting.findData("style_weight"))
    dialog.sweep_values.setText("4, 8, 16")
    dialog.folder.setText(str(Path.home() / "Pictures" / "Holiday"))
    dialog.show()
    shot(dialog, "batch_dialog.png", settle_ms=800)
    dialog.reject()
    window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
