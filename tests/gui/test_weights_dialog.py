"""Weights dialog: listing with licences, background fetch (progress, success, failure, cancel), import,
and each listed file checked in the background: a damaged one is never "ready" nor choosable."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from nst_desktop.engine.spec.errors import WeightsError
from nst_desktop.gui import background
from nst_desktop.gui.weights_dialog import WeightsDialog
from nst_desktop.io import paths
from nst_desktop.io.weight_sets import WEIGHT_SETS, WeightSetStatus, list_weight_sets


class FakeStore:
    """An offline weights store: what list_weight_sets reports, changed by fetch/import."""

    def __init__(self) -> None:
        self.torchvision_ready = False
        self.imported: list[str] = []
        self.damaged: dict[str, str] = {}  # what the check says of a set; the rest load fine

    def check(self, row: WeightSetStatus) -> str | None:
        return self.damaged.get(row.name)

    def list(self) -> list[WeightSetStatus]:
        rows = []
        for name, ready in (("caffe", True), ("torchvision", self.torchvision_ready)):
            info = WEIGHT_SETS[name]
            rows.append(WeightSetStatus(name, info.title, info.description, info.licence, info.source, ready,
                                        None))
        rows += [WeightSetStatus(n, f"{n} (imported)", "Imported.", "Yours.", "import", True, f"/w/{n}.pth")
                 for n in self.imported]
        return rows


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStore]:
    monkeypatch.setenv("NST_DESKTOP_HOME", str(tmp_path))
    yield FakeStore()
    assert background.wait_idle(5000)


def _dialog(qtbot: Any, store: FakeStore, spec: str = "caffe", **kwargs: Any) -> WeightsDialog:
    dialog = WeightsDialog(spec, lister=store.list, checker=store.check, **kwargs)
    qtbot.addWidget(dialog)
    return dialog


def _texts(dialog: WeightsDialog) -> list[str]:
    return [dialog.list.item(i).text() for i in range(dialog.list.count())]


def _wait_checked(qtbot: Any, dialog: WeightsDialog, timeout: int = 5000) -> None:
    qtbot.waitUntil(lambda: not any("checking" in text for text in _texts(dialog)), timeout=timeout)


def _ok(dialog: WeightsDialog) -> Any:
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


def _select(dialog: WeightsDialog, name: str) -> None:
    for i in range(dialog.list.count()):
        if dialog.list.item(i).data(0x0100) == name:
            dialog.list.setCurrentRow(i)


def test_lists_sets_with_licence_and_active_one(qtbot: Any, store: FakeStore) -> None:
    dialog = _dialog(qtbot, store)
    assert "checking…" in _texts(dialog)[0] and not _ok(dialog).isEnabled()  # not chosen unchecked
    _wait_checked(qtbot, dialog)
    texts = _texts(dialog)
    assert len(texts) == 2 and "(in use)" in texts[0] and "not downloaded" in texts[1]
    assert "— ready" in texts[0]
    assert dialog.selected_spec() == "caffe"
    assert "CC BY 4.0" in dialog.details.toPlainText()
    assert _ok(dialog).isEnabled() and dialog.fetch_button.isEnabled()
    _select(dialog, "torchvision")
    assert dialog.selected_spec() == "torchvision"
    assert not _ok(dialog).isEnabled()  # cannot choose weights that are not there
    assert "BSD" in dialog.details.toPlainText()


def test_fetch_success_reports_progress(qtbot: Any, store: FakeStore) -> None:
    def fetch(progress: Callable[[int, int], None], cancel: Callable[[], bool]) -> Path:
        for done in (0, 40_000_000, 80_000_000):
            progress(done, 80_000_000)
        store.torchvision_ready = True
        return Path("/w/vgg19-dcbb9e9d.pth")

    dialog = _dialog(qtbot, store, fetcher=fetch)
    _select(dialog, "torchvision")
    dialog.start_fetch()
    assert dialog.progress.isVisibleTo(dialog) and not dialog.fetch_button.isEnabled()
    qtbot.waitUntil(lambda: "ready" in dialog.message.text(), timeout=5000)
    _wait_checked(qtbot, dialog)
    assert dialog.progress.value() == 1000 and dialog.progress.maximum() == 1000
    assert dialog.selected_spec() == "torchvision" and _ok(dialog).isEnabled()
    assert not dialog.fetch_button.isEnabled()  # already downloaded
    assert not dialog.progress.isVisibleTo(dialog)
    assert dialog.progress.format() == "80 / 80 MB"


def test_fetch_failure_offline_says_what_to_do(qtbot: Any, store: FakeStore) -> None:
    def fetch(progress: Callable[[int, int], None], cancel: Callable[[], bool]) -> Path:
        raise WeightsError("Could not download https://download.pytorch.org/models/vgg19-dcbb9e9d.pth: "
                           "[Errno -3] Temporary failure in name resolution.")

    dialog = _dialog(qtbot, store, fetcher=fetch)
    dialog.start_fetch()
    qtbot.waitUntil(lambda: "Could not reach" in dialog.message.text(), timeout=5000)
    text = dialog.message.text()
    assert "download.pytorch.org" in text and "connection" in text and "import" in text.lower()
    assert "name resolution" in text  # the detail stays available
    qtbot.waitUntil(lambda: dialog.fetch_button.isEnabled(), timeout=5000)  # can try again
    assert dialog.selected_spec() == "caffe"


def test_cancel_stops_the_download(qtbot: Any, store: FakeStore) -> None:
    started = threading.Event()

    def fetch(progress: Callable[[int, int], None], cancel: Callable[[], bool]) -> Path:
        done = 0
        while not cancel():
            started.set()
            progress(done, 0)  # unknown size: busy bar
            done += 1
            threading.Event().wait(0.005)
        raise WeightsError("Download cancelled.")

    dialog = _dialog(qtbot, store, fetcher=fetch)
    dialog.start_fetch()
    assert started.wait(5)
    assert dialog.cancel_button.isVisibleTo(dialog)
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: "cancelled" in dialog.message.text(), timeout=5000)
    assert not store.torchvision_ready


def test_import_success_selects_the_new_set(qtbot: Any, store: FakeStore, tmp_path: Path) -> None:
    imported: list[str] = []

    def do_import(path: str) -> Path:
        imported.append(path)
        store.imported.append("my_vgg")
        return tmp_path / "my_vgg.pth"

    dialog = _dialog(qtbot, store, importer=do_import,
                     open_dialog=lambda *a: (str(tmp_path / "downloads" / "my_vgg.pth"), ""))
    dialog.import_button.click()
    qtbot.waitUntil(lambda: "Imported" in dialog.message.text(), timeout=5000)
    _wait_checked(qtbot, dialog)
    assert imported == [str(tmp_path / "downloads" / "my_vgg.pth")]
    assert dialog.selected_spec() == "my_vgg" and _ok(dialog).isEnabled()


def test_import_cancelled_in_file_dialog_does_nothing(qtbot: Any, store: FakeStore) -> None:
    calls: list[str] = []
    dialog = _dialog(qtbot, store, importer=lambda p: calls.append(p) or Path(p),
                     open_dialog=lambda *a: ("", ""))
    dialog.import_button.click()
    assert calls == [] and dialog._job is None


def test_import_of_a_bad_file_explains(qtbot: Any, store: FakeStore, tmp_path: Path) -> None:
    """Uses the real import_weights: a text file is not a weight file."""
    bogus = tmp_path / "notes.pth"
    bogus.write_text("not weights")
    dialog = _dialog(qtbot, store, open_dialog=lambda *a: (str(bogus), ""))
    dialog.import_button.click()
    qtbot.waitUntil(lambda: "Could not import" in dialog.message.text(), timeout=60000)
    assert "notes.pth" in dialog.message.text()
    assert "Traceback" not in dialog.message.text()


def test_unknown_file_spec_is_listed(qtbot: Any, store: FakeStore, tmp_path: Path) -> None:
    weights_file = tmp_path / "w.pth"
    weights_file.write_bytes(b"x")
    dialog = _dialog(qtbot, store, spec=str(weights_file))
    _wait_checked(qtbot, dialog)
    assert dialog.selected_spec() == str(weights_file)
    assert dialog.list.count() == 3 and _ok(dialog).isEnabled()


def test_opening_the_dialog_does_not_import_torch(tmp_path: Path) -> None:
    # In a fresh interpreter: this one has torch loaded already. Importing torch takes
    # seconds; the dialog must open at once.
    code = ("import sys\n"
            "from PySide6.QtWidgets import QApplication\n"
            "app = QApplication([])\n"
            "from nst_desktop.gui.weights_dialog import WeightsDialog\n"
            "dialog = WeightsDialog('caffe')\n"
            "assert dialog._status['caffe'].available, dialog._status\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NST_DESKTOP_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]


def test_damaged_file_in_the_store_shows_damaged_and_cannot_be_chosen(qtbot: Any, store: FakeStore) -> None:
    """The real list and check (weights_store.damage) on a temporary store: one good VGG19 file
    and one that is not a weight file at all."""
    import torch

    from nst_desktop.engine.model.weights import CONV_LAYERS

    folder = paths.weights_dir()  # under the fixture's NST_DESKTOP_HOME
    good = {}
    for name, cin, cout in CONV_LAYERS:  # VGG19-shaped in a few bytes: expanded views of one number
        good[f"{name}.weight"] = torch.full((1,), 0.01).expand(cout, cin, 3, 3)
        good[f"{name}.bias"] = torch.zeros(1).expand(cout)
    torch.save(good, folder / "good.pth")
    (folder / "broken.pth").write_bytes(os.urandom(5000))
    imported_only = lambda: [row for row in list_weight_sets() if row.source == "import"]  # noqa: E731
    dialog = WeightsDialog("broken", lister=imported_only)
    qtbot.addWidget(dialog)
    assert any("broken" in text and "checking…" in text for text in _texts(dialog))
    _wait_checked(qtbot, dialog, timeout=60000)
    broken = next(text for text in _texts(dialog) if text.startswith("broken"))
    assert "damaged: " in broken and "ready" not in broken, broken
    assert "broken.pth" in broken  # the reason names the file
    assert dialog.selected_spec() == "broken" and not _ok(dialog).isEnabled()
    _select(dialog, "good")
    assert "— ready" in next(text for text in _texts(dialog) if text.startswith("good"))
    assert _ok(dialog).isEnabled()


def test_failed_check_is_reported_not_ready(qtbot: Any, store: FakeStore) -> None:
    store.damaged["caffe"] = "caffe.pth is not a weight file."
    dialog = _dialog(qtbot, store)
    _wait_checked(qtbot, dialog)
    assert "damaged: caffe.pth is not a weight file." in _texts(dialog)[0]
    assert "ready" not in _texts(dialog)[0] and not _ok(dialog).isEnabled()


def test_an_unforeseen_check_error_leaves_no_set_checking_for_ever(qtbot: Any, store: FakeStore) -> None:
    def check(row: WeightSetStatus) -> str | None:
        raise OSError(f"Permission denied: '/w/{row.name}.pth'")

    dialog = WeightsDialog("caffe", lister=store.list, checker=check)
    qtbot.addWidget(dialog)
    _wait_checked(qtbot, dialog)
    assert "damaged: " in _texts(dialog)[0] and "Permission denied" in _texts(dialog)[0]
    assert not _ok(dialog).isEnabled()
