"""The farm on a real two-node Ray cluster on loopback (issue 19.5): batch, progress, cancel,
a killed worker, a bad token, the farm stopped mid-batch, bit-identical results."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nst_desktop import __version__
from nst_desktop.farm.client import request_for
from nst_desktop.farm.protocol import FarmJobLostError
from nst_desktop.farm.runner import FarmResult, paint_on_farm, progress_event
from tests.farm.conftest import Farm, tiny_recipe

pytestmark = [pytest.mark.farm,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="multi-node Ray is Linux-only")]


def test_a_batch_runs_across_both_nodes_with_progress_and_local_bits(
        farm: Farm, pictures: tuple[Path, Path]) -> None:
    client = farm.client()
    recipes = [tiny_recipe(pictures, seed=seed) for seed in range(4)]
    progress: list[list[dict[str, Any]]] = [[] for _ in recipes]
    results: list[FarmResult | None] = [None] * len(recipes)

    def run(i: int) -> None:
        results[i] = paint_on_farm(client, request_for(recipes[i], "full"), on_progress=progress[i].append)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(recipes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert all(r is not None for r in results)
    assert len({p[-1]["node"] for p in progress}) == 2  # both nodes painted
    steps = [item["step"] for item in progress[0] if item["phase"] == "step"]
    assert steps == sorted(steps) and steps[-1] == progress[0][-1]["steps"]
    last = progress_event(progress[0][-1])  # what a local progress bar shows, from the farm's item
    assert last.is_step and last.total_step == last.total_steps and last.losses["total"] > 0
    assert last.scale_index == last.scale_count - 1 and last.step == last.scale_steps
    first = results[0]
    assert first is not None
    assert first.record["farm"]["device"] == "cpu" and first.record["farm"]["precision"] == "float32"
    assert first.record["inputs"]["content"] == recipes[0].photo  # the client's path, not the farm's
    assert first.record["seed"] == 0 and results[1] is not None and results[1].record["seed"] == 1
    local = _local_render(recipes[0])
    assert first.image.dtype == np.float32 and np.array_equal(first.image, local)


def _local_render(recipe: Any) -> Any:
    """The same recipe painted here through the one render path, with the farm task's one thread."""
    import torch

    from nst_desktop.recipe.jobs import job_for
    from nst_desktop.service.render import render

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return render(job_for(recipe, "full")).image
    finally:
        torch.set_num_threads(threads)


def _follow(client: Any, job_id: str, until: Any, timeout_s: float = 120) -> list[dict[str, Any]]:
    """Progress items of a job until ``until(items, job)`` holds."""
    items: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        events, job = client.events(job_id, len(items), wait_s=1.0)
        items += [{**item, "received": time.time()} for item in events]
        if until(items, job):
            return items
    raise AssertionError(f"timed out; last state {job['state']}, {len(items)} items")


def test_progress_arrives_within_a_second_and_cancel_stops_within_a_step(
        farm: Farm, pictures: tuple[Path, Path]) -> None:
    client = farm.client()
    long_run = tiny_recipe(pictures, steps=400, coarse_steps=400)
    job = client.submit(request_for(long_run, "full", "cancel-me"))
    items = _follow(client, job["id"], lambda items, _job: len(items) >= 4)
    # Each item reached the client within a second of the step (one clock: the nodes are here).
    assert max(item["received"] - item["t"] for item in items) < 1.0
    gaps = [b["elapsed_s"] - a["elapsed_s"] for a, b in zip(items, items[1:], strict=False)]
    step_s = max(gaps)
    cancelled_at = time.monotonic()
    client.cancel(job["id"])
    after = _follow(client, job["id"], lambda _items, job: job["state"] == "cancelled")
    took = time.monotonic() - cancelled_at
    assert after[-1]["step"] < after[-1]["steps"]  # it did not run to its end
    # Stopped through the engine's RunControl: at most the step under way and one more report.
    assert len(after) - len(items) <= 2, (len(after), len(items))
    assert took < 5 + 3 * step_s, (took, step_s)
    # Ray marks the stream cancelled at once; the worker must really have stopped painting too.
    time.sleep(1.0 + 2 * step_s)
    assert _cpu_seconds_in(items[-1]["pid"], 1.0) < 0.3
    client.delete(job["id"])


def _cpu_seconds_in(pid: int, seconds: float) -> float:
    """CPU time process ``pid`` used over the next ``seconds`` (Linux /proc; 0 once it is gone)."""
    def used() -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    before = used()
    time.sleep(seconds)
    return max(0.0, used() - before)


def test_a_sigkilled_worker_is_retried_and_the_job_finishes_once(
        farm: Farm, pictures: tuple[Path, Path]) -> None:
    import signal

    client = farm.client()
    killed: list[int] = []
    progress: list[dict[str, Any]] = []

    def on_progress(item: dict[str, Any]) -> None:
        progress.append(item)
        if not killed and item["phase"] == "step" and item["step"] >= 2:
            killed.append(item["pid"])
            os.kill(item["pid"], signal.SIGKILL)

    recipe = tiny_recipe(pictures, steps=40, coarse_steps=20, seed=7)
    result = paint_on_farm(client, request_for(recipe, "full", "killed-once"), on_progress=on_progress)
    assert killed and {item["pid"] for item in progress[len(progress) - 3:]} != {killed[0]}
    assert result.record["steps"] > 0 and not result.record["stopped"]
    steps = [item["step"] for item in progress if item["phase"] == "step"]
    assert len(steps) == len(set(steps)) and steps[-1] == progress[-1]["steps"]  # each step once
    assert "done" not in client.status().jobs  # fetched once, then forgotten by the farm


def test_a_bad_token_and_another_version_are_refused_with_one_line(
        farm: Farm, pictures: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from nst_desktop.farm.protocol import FarmAuthError, FarmVersionError

    intruder = farm.client(token="x" * 43)
    with pytest.raises(FarmAuthError, match="refused the token"):
        intruder.status()
    with pytest.raises(FarmAuthError):
        intruder.submit(request_for(tiny_recipe(pictures), "full", "intruder"))
    monkeypatch.setattr("nst_desktop.farm.client.__version__", "0.0.1")
    with pytest.raises(FarmVersionError, match=r"app is NST Desktop 0\.0\.1 but the farm runs") as caught:
        farm.client().status()
    assert "\n" not in caught.value.user_text()


def test_the_farm_stopped_mid_batch_then_resumed_finishes_every_job(
        farm: Farm, pictures: tuple[Path, Path]) -> None:
    client = farm.client()
    recipes = [tiny_recipe(pictures, steps=30, coarse_steps=15, seed=20 + i) for i in range(2)]
    waiting: list[str] = []
    progress: list[list[dict[str, Any]]] = [[], []]
    results: list[Any] = [None, None]

    def run(i: int) -> None:
        results[i] = paint_on_farm(client, request_for(recipes[i], "full", f"restart-{i}"),
                                   on_progress=progress[i].append, on_waiting=waiting.append, retry_s=0.5)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    while not all(progress) and time.monotonic() < deadline:
        time.sleep(0.2)
    farm.stop()  # the jobs' tasks die with the service's driver
    time.sleep(2)
    farm.start()
    for thread in threads:
        thread.join(timeout=240)
    assert all(r is not None and not r.record["stopped"] for r in results)
    assert waiting and waiting[0].startswith("farm unreachable since ")
    assert all(p[-1]["step"] == p[-1]["steps"] for p in progress)


def test_the_service_refuses_bad_uploads_in_one_line_naming_the_clients_file(
        farm: Farm, pictures: tuple[Path, Path]) -> None:
    import http.client

    from nst_desktop.farm.protocol import FarmError, InputFile

    request = request_for(tiny_recipe(pictures), "full", "truncated")
    broken = InputFile(request.photo.name, request.photo.data[:80])
    with pytest.raises(FarmError) as refused:
        farm.client().submit(type(request)(request.record, "full", "truncated", broken, request.styles))
    assert str(pictures[0]) in refused.value.user_text() and "nst-farm" not in refused.value.user_text()
    connection = http.client.HTTPConnection("127.0.0.1", farm.port, timeout=10)
    token = farm.token_file.read_text().strip()
    connection.putrequest("POST", "/v1/jobs")
    for name, value in {"Authorization": f"Bearer {token}", "X-NST-Version": __version__,
                        "Content-Length": str(1 << 40)}.items():
        connection.putheader(name, value)
    connection.endheaders()  # no body follows: the farm must answer without reading one
    assert connection.getresponse().status == 413
    connection.close()
    connection = http.client.HTTPConnection("127.0.0.1", farm.port, timeout=10)
    connection.request("GET", "/v1/jobs/x/events?after=many", headers={
        "Authorization": f"Bearer {token}", "X-NST-Version": __version__})
    answer = connection.getresponse()
    assert answer.status == 400 and b"Malformed" in answer.read()
    connection.close()


def test_farm_status_on_the_command_line(farm: Farm, capsys: pytest.CaptureFixture[str]) -> None:
    from nst_desktop.cli import main

    assert main(["farm", "status", "--farm", farm.url, "--token-file", str(farm.token_file)]) == 0
    out = capsys.readouterr().out
    assert f"NST Desktop {__version__} on Ray 2.60.0: 2 nodes, 2 CPUs, 0 GPUs" in out


def test_a_job_sent_again_under_its_key_is_the_same_job_not_a_second_one(
        farm: Farm, pictures: tuple[Path, Path]) -> None:
    client = farm.client()
    request = request_for(tiny_recipe(pictures, seed=99), "full", "queue-job-uid-1")
    first = client.submit(request)
    again = client.submit(request)  # the app restarted and claims its queued job again
    assert again["id"] == first["id"]
    result = paint_on_farm(client, request)  # follows that job to its picture
    assert result.record["seed"] == 99
    with pytest.raises(FarmJobLostError):
        client.job(first["id"])  # fetched once, then forgotten


def test_the_head_node_restarted_mid_job_the_job_is_sent_again_and_finishes(
        farm: Farm, pictures: tuple[Path, Path]) -> None:
    """Last in this file: it replaces the session's cluster (same service port afterwards)."""
    from nst_desktop.farm.loopback import start_cluster, stop_cluster

    client = farm.client()
    progress: list[dict[str, Any]] = []
    waiting: list[str] = []
    results: list[FarmResult] = []
    request = request_for(tiny_recipe(pictures, steps=30, coarse_steps=15, seed=5), "full", "head-restart")
    thread = threading.Thread(target=lambda: results.append(paint_on_farm(
        client, request, on_progress=progress.append, on_waiting=waiting.append, retry_s=0.5)))
    thread.start()
    deadline = time.monotonic() + 120
    while not progress and time.monotonic() < deadline:
        time.sleep(0.2)
    farm.stop()
    stop_cluster()  # the whole cluster's state is gone, as when the head machine restarts
    farm.ray_address = start_cluster(nodes=2, cpus_per_node=1, object_store_mb=80)
    farm.start()
    thread.join(timeout=240)
    assert results and not results[0].record["stopped"] and waiting
    assert progress[-1]["step"] == progress[-1]["steps"]
