"""The durable queue: persistence, steering, recovery of dead runners, concurrent claims."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nst_desktop.engine.spec.errors import ImageError
from nst_desktop.queue.store import LEASE_S, STALE_LEASE_S, Output, Place, QueueStore, Status, default_path
from tests.queue.conftest import Inputs, recipe_of

ROOT = Path(__file__).resolve().parents[2]


def out(tmp_path: Path, name: str = "a.png") -> Output:
    return Output(str(tmp_path / "out"), name)


def test_in_the_data_folder_in_wal_mode(tmp_path: Path) -> None:
    store = QueueStore()
    assert store.path == default_path() and str(store.path).startswith(str(tmp_path / "home"))
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_jobs_survive_a_restart(tmp_path: Path, inputs: Inputs) -> None:
    photo, wave, dots = inputs
    first = QueueStore()
    a = first.add(recipe_of(photo, wave), out(tmp_path, "a.png"), batch="b1", key="k1")
    b = first.add(recipe_of(photo, wave, dots), out(tmp_path, "b.jpg"))
    first.close()
    again = QueueStore()  # a new store object on the same file: as after a quit or a crash
    jobs = again.jobs()
    assert [j.id for j in jobs] == [a.id, b.id]
    assert jobs[0].recipe.same_as(a.recipe) and jobs[1].recipe.same_as(b.recipe)
    assert jobs[0].output == Output(str(tmp_path / "out"), "a.png") and jobs[1].output.format == "jpg"
    assert (jobs[0].batch, jobs[0].recipe_key, jobs[0].status) == ("b1", "k1", Status.WAITING)
    assert jobs[0].photo_hw == (48, 64)


def test_inputs_are_kept_by_content(tmp_path: Path, inputs: Inputs) -> None:
    photo, wave, _ = inputs
    store = QueueStore()
    job = store.add(recipe_of(photo, wave), out(tmp_path))
    same = store.add(recipe_of(photo, wave), out(tmp_path, "b.png"))
    assert job.inputs is not None and same.inputs is not None
    kept = Path(job.inputs["photo"])
    assert kept.read_bytes() == photo.read_bytes() and kept.name == "photo.png"
    assert same.inputs["photo"] == job.inputs["photo"]  # one copy per content
    photo.unlink()
    assert kept.is_file() and job.recipe.photo == str(photo)  # the record still names the artist's file


def test_bad_input_is_a_failed_job_with_its_reason(tmp_path: Path, inputs: Inputs) -> None:
    photo, wave, _ = inputs
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    store = QueueStore()
    gone = store.add(recipe_of(photo, tmp_path / "vanished.png"), out(tmp_path))
    bad = store.add(recipe_of(broken, wave), out(tmp_path, "b.png"))
    assert gone.status == bad.status == Status.FAILED
    assert "vanished.png" in gone.reason and "\n" not in gone.reason
    assert "broken.png" in bad.reason


def test_reorder_pause_cancel_retry_clear(tmp_path: Path, inputs: Inputs) -> None:
    photo, wave, _ = inputs
    store = QueueStore()
    a, b, c = (store.add(recipe_of(photo, wave), out(tmp_path, f"{n}.png")) for n in "abc")
    store.move(c.id, 0)
    assert [j.id for j in store.jobs()] == [c.id, a.id, b.id]
    store.pause("for a test")
    assert store.paused() == (True, "for a test") and store.claim("me") is None
    store.resume()
    assert store.claim("me").id == c.id  # type: ignore[union-attr]
    assert store.cancel(a.id) and store.get(a.id).status == Status.CANCELLED
    assert store.retry(a.id) and store.get(a.id).status == Status.WAITING
    store.mark_failed(c.id, "me", "it broke")
    assert store.get(c.id).reason == "it broke" and store.retry_failed() == 1
    assert store.cancel_all() == 3
    assert store.clear_finished() == 3 and store.jobs() == []


def test_a_dead_runners_job_goes_back_to_waiting(tmp_path: Path, inputs: Inputs) -> None:
    photo, wave, _ = inputs
    store = QueueStore()
    dead_job, live_job, far_job = (store.add(recipe_of(photo, wave), out(tmp_path, f"{n}.png"))
                                   for n in "abc")
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                           text=True, check=True)
    host = socket.gethostname()
    assert store.claim(f"{host}:{int(child.stdout)}:dead") is not None  # that process has ended
    assert store.claim(f"{host}:{os.getppid()}:alive") is not None  # pytest's parent: alive
    assert store.claim("elsewhere:1:x") is not None  # another computer: its lease decides
    again = QueueStore()  # opening recovers
    states = {j.id: j.status for j in again.jobs()}
    assert states == {dead_job.id: Status.WAITING, live_job.id: Status.RUNNING, far_job.id: Status.RUNNING}
    lapse = time.time() - 1  # a lease just run out (a laptop that slept): the living process keeps its job
    again._db.execute("UPDATE jobs SET lease_until = ? WHERE id IN (?, ?)", (lapse, far_job.id, live_job.id))
    assert again.recover() == [far_job.id]
    long_over = time.time() - STALE_LEASE_S - 1  # its process id is another program's by now
    again._db.execute("UPDATE jobs SET lease_until = ? WHERE id = ?", (long_over, live_job.id))
    assert again.recover() == [live_job.id]
    assert LEASE_S >= 30  # a long step never loses its lease between renewals


_CLAIMER = """
import json, sys
from nst_desktop.queue.store import QueueStore
store = QueueStore(sys.argv[1])
taken = []
while (job := store.claim(sys.argv[2])) is not None:
    taken.append(job.id)
print(json.dumps(taken))
"""


def test_two_processes_never_claim_one_job_twice(tmp_path: Path, inputs: Inputs) -> None:
    photo, wave, _ = inputs
    store = QueueStore()
    ids = {store.add(recipe_of(photo, wave), out(tmp_path, f"{n}.png")).id for n in range(40)}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    owners = [f"{socket.gethostname()}:{os.getpid()}:{n}" for n in range(2)]
    runs = [subprocess.Popen([sys.executable, "-c", _CLAIMER, str(store.path), owner],
                             stdout=subprocess.PIPE, text=True, env=env) for owner in owners]
    taken = [json.loads(run.communicate(timeout=120)[0]) for run in runs]
    assert sorted(taken[0] + taken[1]) == sorted(ids)  # every job once, none twice
    assert all(j.status == Status.RUNNING for j in store.jobs())


@pytest.mark.parametrize("status", [Status.DONE, Status.FAILED])
def test_only_the_owner_records_a_jobs_end(tmp_path: Path, inputs: Inputs, status: Status) -> None:
    photo, wave, _ = inputs
    store = QueueStore()
    job = store.add(recipe_of(photo, wave), out(tmp_path))
    store.claim("me")
    mark = store.mark_done if status == Status.DONE else lambda i, o: store.mark_failed(i, o, "x")
    assert not mark(job.id, "someone else")
    assert mark(job.id, "me") and store.get(job.id).status == status


def test_another_stores_change_is_seen(tmp_path: Path, inputs: Inputs) -> None:
    photo, wave, _ = inputs
    window, cli = QueueStore(), QueueStore()
    before = window.data_version()
    assert window.data_version() == before
    job = cli.add(recipe_of(photo, wave), out(tmp_path))
    assert window.data_version() != before and window.get(job.id).status == Status.WAITING


def test_a_damaged_queue_file_is_one_line(tmp_path: Path) -> None:
    damaged = tmp_path / "queue.sqlite3"
    damaged.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ImageError, match="cannot open the render queue") as caught:
        QueueStore(damaged)
    assert str(damaged) in caught.value.user_text() and "\n" not in caught.value.user_text()


def test_where_a_job_is_painted_is_kept_and_a_running_one_moved_is_given_back(tmp_path: Path,
                                                                              inputs: Inputs) -> None:
    photo, wave, _ = inputs
    store = QueueStore()
    here = store.add(recipe_of(photo, wave), out(tmp_path, "a.png"))
    there = store.add(recipe_of(photo, wave), out(tmp_path, "b.png"), place=Place.FARM)
    assert (here.place, there.place) == (Place.LOCAL, Place.FARM)
    # Each painter claims only its place's jobs.
    claimed = store.claim("farm-runner", place=Place.FARM)
    assert claimed is not None and claimed.id == there.id
    assert store.claim("farm-runner", place=Place.FARM) is None
    assert store.set_place([there.id], Place.LOCAL) == 1  # moved while it ran (waiting for the farm)
    moved = store.get(there.id)
    assert (moved.status, moved.place, moved.owner) == (Status.WAITING, Place.LOCAL, None)
    assert not store.renew(there.id, "farm-runner")  # its runner finds it is no longer its own
    store.close()
    assert QueueStore().get(there.id).place == Place.LOCAL  # kept across a restart


def test_a_queue_file_from_before_the_farm_paints_its_jobs_here(tmp_path: Path, inputs: Inputs) -> None:
    photo, wave, _ = inputs
    store = QueueStore()
    job = store.add(recipe_of(photo, wave), out(tmp_path))
    store._db.execute("ALTER TABLE jobs DROP COLUMN place")  # as an older version wrote it
    store.close()
    again = QueueStore()
    assert again.get(job.id).place == Place.LOCAL
    assert again.add(recipe_of(photo, wave), out(tmp_path, "b.png"), place=Place.FARM).place == Place.FARM
