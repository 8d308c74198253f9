"""Content-addressed copies of a job's inputs (queue.blobs)."""

from __future__ import annotations

import threading
from pathlib import Path

from nst_desktop.queue.blobs import BlobStore


def test_threads_keeping_the_same_file_at_once_all_get_the_one_copy(tmp_path: Path) -> None:
    """The window adds jobs in background threads: two adds of one photo used to share a temporary
    name, and one of them failed with 'cannot be kept for the queue'."""
    source = tmp_path / "photo.png"
    source.write_bytes(b"\x89PNG" + bytes(range(256)) * 40_000)
    store = BlobStore(tmp_path / "blobs")
    kept: list[Path] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def keep() -> None:
        start.wait()
        try:
            kept.append(store.keep(source))
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=keep) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(set(kept)) == 1 and kept[0].read_bytes() == source.read_bytes()
    assert [p.name for p in kept[0].parent.iterdir()] == ["photo.png"]  # no temporary left
