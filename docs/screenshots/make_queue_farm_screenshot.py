"""The Queue panel running jobs on the render farm (issue 19), the whole window on a 1280x800
screen: a real two-node farm on this machine's loopback (farm.loopback; Linux with the farm
extra), Settings ▸ Render farm pointing at it, "Run on: Render farm". Small real renders:

    Xvfb :79 -screen 0 1280x800x24 &
    DISPLAY=:79 QT_QPA_PLATFORM=xcb python docs/screenshots/make_queue_farm_screenshot.py

Writes queue_on_farm_1280x800.png. The jobs: one done on the farm, two painting on the farm at
once (one per node: the farm's lanes), one waiting for it, and one painting on this computer
beside them.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
from pathlib import Path

from shots import HERE, spin, wait_until

RESOURCES = HERE.parents[1] / "resources"
PHOTO = RESOURCES / "samples" / "tubingen.jpg"
STYLES = [RESOURCES / "styles" / n for n in ("starry_night.jpg", "the_scream.jpg", "shipwreck.jpg")]


def queue_jobs(store: object, out: Path) -> None:
    """Four jobs for the farm (a quick one first, so it is done by the shot) and one for here."""
    from nst_desktop.engine.spec.params import DEFAULTS
    from nst_desktop.queue.batch import file_name
    from nst_desktop.queue.store import Output, Place, QueueStore
    from nst_desktop.recipe.recipe import Recipe, StyleRef

    assert isinstance(store, QueueStore)
    quick = DEFAULTS.with_changes(size=128, min_size=64, steps=20, coarse_steps=10, device="cpu")
    slow = DEFAULTS.with_changes(size=256, min_size=128, steps=150, coarse_steps=40, device="cpu")
    plans = [(STYLES[0], quick, Place.FARM), (STYLES[1], slow, Place.FARM), (STYLES[2], slow, Place.FARM),
             (STYLES[0], slow, Place.FARM), (STYLES[2], slow.with_changes(style_weight=16.0), Place.LOCAL)]
    for n, (style, params, place) in enumerate(plans, start=1):
        look = (StyleRef(str(style)),)
        name = file_name("{photo}_{style}_{n}.png", str(PHOTO), look, n)
        store.add(Recipe(str(PHOTO), look, params), Output(str(out), name), place=place)


def main() -> int:
    from PySide6.QtWidgets import QApplication

    from nst_desktop.farm.loopback import LocalFarm, free_port, start_cluster, stop_cluster
    from nst_desktop.gui.app import apply_theme
    from nst_desktop.gui.farm_dialog import TOKEN_KEY, URL_KEY
    from nst_desktop.gui.main_window import MainWindow
    from nst_desktop.queue.store import Place, Status

    token = Path(tempfile.mkdtemp(prefix="nst-farm-shot-")) / "token"
    token.write_text(secrets.token_urlsafe() + "\n")
    try:
        farm = LocalFarm(start_cluster(nodes=2, cpus_per_node=1), token, free_port())
        farm.start()
        app = QApplication(sys.argv[:1])
        apply_theme(app)
        window = MainWindow()  # its own size: what screen_fit chooses for this screen
        window.settings.write(URL_KEY, farm.url)  # as Edit ▸ Render farm… keeps them
        window.settings.write(TOKEN_KEY, token.read_text().strip())
        window.show()
        wait_until(lambda: window.inputs.ready(), 60)
        out = Path(os.environ["NST_DESKTOP_HOME"]) / "pictures"
        window.settings.write("queue/output_folder", str(out))
        queue = window.queue
        places = queue.places
        places.choice.setCurrentIndex(places.choice.findData(Place.FARM.value))
        queue_jobs(queue.store, out)
        queue.panel.refresh()
        window.queue_dock.show()
        window.queue_dock.raise_()
        queue.kick()
        ids = [j.id for j in queue.store.jobs()]
        second, third = ids[1], ids[2]  # the slow farm jobs: caught while both paint, side by side
        progress: dict[int, float] = {}
        queue.farm.painter.progressed.connect(lambda p: progress.__setitem__(
            p.job.id, p.event.fraction) if p.event is not None else None)
        wait_until(lambda: progress.get(second, 0.0) > 0.1 and progress.get(third, 0.0) > 0.03, 600)
        queue.panel.select(second)
        spin(1500)  # the thumbnails
        jobs = queue.store.jobs()
        print("jobs:", [(j.name, j.place.value, j.status.value) for j in jobs], flush=True)
        assert jobs[0].status == Status.DONE and jobs[1].status == jobs[2].status == Status.RUNNING
        screen = window.screen()
        pixmap = screen.grabWindow(0) if os.environ.get("DISPLAY") else window.grab()
        size = screen.geometry()
        name = f"queue_on_farm_{size.width()}x{size.height()}.png"
        pixmap.save(str(HERE / name))
        print("saved", name, "farm line:", places.line.text(), flush=True)
        window.close()
        app.processEvents()
        farm.stop()
    finally:
        stop_cluster()
    return 0


if __name__ == "__main__":
    sys.exit(main())
