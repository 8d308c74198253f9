"""The render farm's costs, side by side in one run on this machine (issue 19.6).

1. Per-job overhead, farm against local, for a tiny render (64 px, 9 steps): the same recipe
   painted here through ``service.render`` (one torch thread, as a farm task with one CPU) and
   through the farm (HTTP upload, checks, Ray task, progress, result download), both warm,
   alternately: the median of the paired differences.
2. N quick looks (the app's ``quick`` kind) on a one-node against a two-node cluster, each node
   one CPU, all submitted at once (one client thread per look, as the queue would).
3. Bringing back a 4096 px 16-bit result: a 4096x4096x3 float32 picture (192 MB) fetched by the
   driver from a task on the other node (Ray's object transfer), then encoded as a 16-bit PNG
   and sent over HTTP by the service's own code (``FarmServer``) and decoded by the client.
4. The cluster's idle memory: the summed RSS of the Ray processes of one node, of two nodes,
   and of the service's driver.
5. A paper estimate for a studio of 4 GPU machines (no GPU measured: see ``--gpu-tflops``).

    python benchmarks/bench_farm.py                    # ~4 minutes on 2 cores
    python benchmarks/bench_farm.py --looks 2 --look-size 64 --repeats 2   # a quick check
    python benchmarks/bench_farm.py --queue --looks 8 --look-size 64        # 2. through the queue

``--queue``: figure 2 again, through the app's queue: ``nst-desktop batch ... --farm URL`` (a
seed sweep of N looks: the queue claims, leases and delivers them, as many at once as the farm
paints: ``queue.pool``), on a one-node and then a two-node cluster, each warmed by one job first.

Linux only (multi-node Ray); needs the farm extra. It runs ``ray stop`` at the end, which ends
every Ray process of this user on the machine.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, replace_block, today  # noqa: E402

from nst_desktop.engine.spec.params import DEFAULTS  # noqa: E402
from nst_desktop.farm.client import request_for  # noqa: E402
from nst_desktop.farm.loopback import LocalFarm, free_port, start_cluster, stop_cluster  # noqa: E402
from nst_desktop.farm.runner import paint_on_farm  # noqa: E402
from nst_desktop.recipe.recipe import Recipe, StyleRef  # noqa: E402

TINY = DEFAULTS.with_changes(size=64, min_size=32, steps=6, coarse_steps=3, device="cpu", precision="float32")


def _pictures(folder: Path) -> tuple[str, str]:
    from PIL import Image

    y, x = np.mgrid[0:300, 0:400]
    photo = np.stack([(x * 255) // 399, (y * 255) // 299, ((x + y) * 7) % 256], axis=2).astype(np.uint8)
    style = np.stack([(x * y) % 256, (x * 3) % 256, (y * 5) % 256], axis=2).astype(np.uint8)[:256, :256]
    Image.fromarray(photo).save(folder / "photo.png")
    Image.fromarray(style).save(folder / "style.png")
    return str(folder / "photo.png"), str(folder / "style.png")


def _overhead_seconds(farm: LocalFarm, recipe: Recipe, repeats: int) -> dict[str, Any]:
    """The tiny render locally and on the farm, alternately (the machine is shared: a slow
    moment then costs both sides), after one warm-up of each; (local, farm, farm's first) times."""
    import torch

    from nst_desktop.recipe.jobs import job_for
    from nst_desktop.service.render import render

    torch.set_num_threads(1)  # as the farm's one-CPU task
    client, local, remote = farm.client(), [], []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        render(job_for(recipe, "full"))
        local.append(time.perf_counter() - started)
        started = time.perf_counter()
        paint_on_farm(client, request_for(recipe, "full"))
        remote.append(time.perf_counter() - started)
    return {"local": local[1:], "farm": remote[1:], "farm_first": remote[0]}


def _looks_seconds(farm: LocalFarm, recipe: Recipe, looks: int) -> float:
    client = farm.client()
    seeds = [recipe.with_params(recipe.params.with_changes(seed=i)) for i in range(looks)]
    requests = [request_for(r, "quick") for r in seeds]
    threads = [threading.Thread(target=paint_on_farm, args=(client, r)) for r in requests]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def _ray_rss_mib(exclude: set[int]) -> float:
    """Summed RSS of this user's processes whose command line names Ray (shared pages counted
    in each process: an upper bound)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in exclude:
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            status = (entry / "status").read_text()
        except OSError:
            continue
        rss = [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")]
        if entry.stat().st_uid == os.getuid() and "ray" in command.lower() and rss:
            total += rss[0]
    return total / 1024


def _pid_rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")) / 1024


def _big_result_seconds(address: str, side: int) -> dict[str, float]:
    """Ray's transfer of a side x side float32 picture from node 1, then the service's encode,
    HTTP send and the client's decode of its 16-bit PNG."""
    import ray

    from nst_desktop.farm.jobs import FarmJob, encode_result
    from nst_desktop.farm.service import FarmServer
    from nst_desktop.io.images import load_image_from_bytes

    ray.init(address=address, logging_level="ERROR", log_to_driver=False)

    @ray.remote(num_cpus=0, resources={"node1": 1})
    def painted(side: int) -> Any:
        return np.random.default_rng(0).random((side, side, 3), dtype=np.float32)

    ray.get(painted.remote(8))  # a worker started on node 1 first: transfer, not start-up, is timed
    started = time.perf_counter()
    image = ray.get(painted.remote(side))
    transfer = time.perf_counter() - started
    ray.shutdown()
    token = secrets.token_urlsafe()
    with FarmServer(("127.0.0.1", 0), token, 1) as server:
        job = FarmJob("big", "big", "full", state="done", image=image, record={"seed": 0})
        server.jobs._jobs[job.id] = job  # the picture as a finished task leaves it
        threading.Thread(target=server.serve_forever, daemon=True).start()
        from nst_desktop.farm.client import FarmClient

        client = FarmClient(f"http://127.0.0.1:{server.server_address[1]}", token, timeout_s=300)
        started = time.perf_counter()
        encode_result(job, "png16")
        encoded = time.perf_counter() - started
        started = time.perf_counter()
        data = client.result("big", "png16")
        fetched = time.perf_counter() - started
        started = time.perf_counter()
        load_image_from_bytes(data, "result.png", max_pixels=None)
        decoded = time.perf_counter() - started
        server.shutdown()
    return {"transfer_s": transfer, "encode_s": encoded, "encode_and_http_s": fetched, "decode_s": decoded,
            "png_mb": len(data) / 1e6, "array_mb": image.nbytes / 1e6}


def _cluster(nodes: int, store_mb: int, folder: Path) -> tuple[str, LocalFarm, float, float]:
    """Start a cluster and the service; (address, farm, idle Ray RSS, the driver's RSS)."""
    mine = {int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()}
    address = start_cluster(nodes=nodes, cpus_per_node=1, object_store_mb=store_mb)
    time.sleep(10)  # let the nodes settle (workers prestarted, agents up)
    idle = _ray_rss_mib(mine)
    token = folder / "token"
    token.write_text(secrets.token_urlsafe() + "\n")
    farm = LocalFarm(address, token, free_port())
    farm.start()
    assert farm.process is not None
    return address, farm, idle, _pid_rss_mib(farm.process.pid)


def run(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        photo, style = _pictures(Path(folder))
        tiny = Recipe(photo, (StyleRef(style, 1.0),), TINY)
        looks = tiny.with_params(TINY.with_changes(size=args.look_size, steps=500, coarse_steps=200))
        try:
            _address, farm, out["idle_1_node_mib"], out["driver_mib"] = _cluster(1, 80, Path(folder))
            out.update(_overhead_seconds(farm, tiny, args.repeats))
            out["looks_1_node"] = _looks_seconds(farm, looks, args.looks)
            farm.stop()
        finally:
            stop_cluster()
        try:
            address, farm, out["idle_2_nodes_mib"], _ = _cluster(2, args.store_mb, Path(folder))
            _looks_seconds(farm, looks, 2)  # each node's worker warmed, as on the one node above
            out["looks_2_nodes"] = _looks_seconds(farm, looks, args.looks)
            farm.stop()
            out["big"] = _big_result_seconds(address, args.result_side)
        finally:
            stop_cluster()
    return out


def _batch_seconds(farm: LocalFarm, photo: str, style: str, out: Path, looks: int, size: int,
                   steps: int) -> float:
    """``nst-desktop batch --farm``: ``looks`` seeds of one photo and style, at ``size`` px."""
    from nst_desktop.cli import main as cli

    argv = ["batch", photo, "--styles", style, "-o", str(out), "--size", str(size), "--min-size", "32",
            "--steps", str(steps), "--coarse-steps", str(max(1, steps // 2)), "--device", "cpu",
            "--precision", "float32", "--sweep", "seed=" + ",".join(str(i) for i in range(looks)), "-q",
            "--farm", farm.url, "--token-file", str(farm.token_file)]
    started = time.perf_counter()
    if cli(argv) != 0:
        raise SystemExit(f"the batch on the farm failed: {argv}")
    return time.perf_counter() - started


def run_queue(args: argparse.Namespace) -> dict[str, float]:
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        os.environ["NST_DESKTOP_HOME"] = str(Path(folder) / "home")  # a queue and history of its own
        photo, style = _pictures(Path(folder))
        for nodes in (1, 2):
            try:
                _address, farm, _idle, _driver = _cluster(nodes, 80, Path(folder))
                _batch_seconds(farm, photo, style, Path(folder) / f"warm{nodes}", nodes, args.look_size,
                               args.look_steps)  # each node's worker warmed (torch, VGG loaded)
                out[f"batch_{nodes}"] = _batch_seconds(farm, photo, style, Path(folder) / f"out{nodes}",
                                                       args.looks, args.look_size, args.look_steps)
                farm.stop()
            finally:
                stop_cluster()
    return out


def report_queue(out: dict[str, float], args: argparse.Namespace) -> str:
    one, two = out["batch_1"], out["batch_2"]
    return "\n".join([
        f"Measured {today()} on: {machine()}. Ray 2.60.0 on 127.0.0.1, 1 CPU per node (the farm "
        "paints as many jobs at once as it has nodes here); the machine's 2 cores were shared with "
        "other engineers' work, and with 2 cores two nodes can at best paint twice as fast (the "
        "client, the service and Ray's own processes share the same 2 cores).",
        "",
        f"Command: `python benchmarks/bench_farm.py {shlex.join(sys.argv[1:])}`",
        "",
        "| through the queue: `nst-desktop batch ... --farm URL` | wall time |",
        "| --- | ---: |",
        f"| {args.looks} looks ({args.look_size} px, {args.look_steps} steps), one node | {one:.1f} s |",
        f"| the same, two nodes (two jobs in flight) | {two:.1f} s (x{one / two:.2f}) |",
    ])


def paper_estimate(tflops: float, gib: float) -> list[str]:
    """Jobs per hour for 4 GPU machines from the engine's own cost model at an assumed speed,
    tiled as the engine tiles on a card of ``gib`` GiB (``tiled_pass.plan_tile``'s rule)."""
    from nst_desktop.engine.run.cost import Speed, estimate_peak_bytes, estimate_seconds
    from nst_desktop.engine.spec import tile_plan

    gpu = Speed(flops_per_s=tflops * 1e12, pass_overhead_s=0.002, new_size_s=0.2, float32=False, cpu=False)
    rows = []
    for name, params in (("512 px", DEFAULTS.with_changes(size=512)),
                         ("A3 at 300 dpi (4961 px)", DEFAULTS.with_changes(size=4961))):
        deepest = tile_plan.deepest(set(params.content_layers) | set(params.style_layers))

        def plan(hw: tuple[int, int], deepest: str = deepest) -> int:
            return tile_plan.choose_tile(hw, deepest, tile_plan.MEMORY_SHARE * gib * 2**30)

        seconds = estimate_seconds(params, (3000, 4000), 1, gpu, plan=plan)
        peak = estimate_peak_bytes(params, (3000, 4000), 1, plan) / 2**30
        tile = plan((3508, 4961) if params.size > 4000 else (384, 512))
        rows.append(f"| {name} | {params.steps} + {params.coarse_steps} per coarse scale | "
                    f"{'tiles of ' + str(tile) + ' px' if tile else 'whole'} | {seconds:.0f} s | "
                    f"{peak:.1f} GiB | {4 * 3600 / seconds:.0f} |")
    return rows


def report(out: dict[str, Any], args: argparse.Namespace) -> str:
    local, farm, big = statistics.median(out["local"]), statistics.median(out["farm"]), out["big"]
    paired = [f - loc for f, loc in zip(out["farm"], out["local"], strict=True)]
    lines = [
        f"Measured {today()} on: {machine()}. Ray 2.60.0, nodes started with `ray start` on 127.0.0.1, "
        "1 CPU and one torch thread per node; the machine's 2 cores were shared with other work.",
        "",
        f"Command: `python benchmarks/bench_farm.py {shlex.join(sys.argv[1:])}`",
        "",
        "| what | figure |",
        "| --- | ---: |",
        f"| tiny render (64 px, 9 steps) locally, median of {len(out['local'])} | {local:.2f} s |",
        f"| the same on the farm (upload, check, Ray task, progress, download), median | {farm:.2f} s |",
        f"| **per-job overhead of the farm**, median of the {len(paired)} paired differences | "
        f"**{statistics.median(paired):+.2f} s** (from {min(paired):+.2f} to {max(paired):+.2f}) |",
        f"| the farm's first job (a fresh worker imports torch) | {out['farm_first']:.2f} s |",
        f"| {args.looks} quick looks ({args.look_size} px) on one node (1 CPU) | "
        f"{out['looks_1_node']:.1f} s |",
        f"| {args.looks} quick looks on two nodes (1 CPU each) | {out['looks_2_nodes']:.1f} s "
        f"(x{out['looks_1_node'] / out['looks_2_nodes']:.2f}) |",
        f"| {args.result_side} px float32 picture ({big['array_mb']:.0f} MB) from the other node to the "
        f"driver (Ray) | {big['transfer_s']:.2f} s |",
        f"| encoded as a 16-bit PNG ({big['png_mb']:.0f} MB) and sent over HTTP to the client | "
        f"{big['encode_and_http_s']:.2f} s (of which encoding {big['encode_s']:.2f} s) |",
        f"| decoded by the client (16 bits kept) | {big['decode_s']:.2f} s |",
        f"| **{args.result_side} px 16-bit result brought back, in all** | "
        f"**{big['transfer_s'] + big['encode_and_http_s'] + big['decode_s']:.1f} s** |",
        f"| idle memory, head node (summed RSS of its Ray processes) | {out['idle_1_node_mib']:.0f} MiB |",
        f"| idle memory, head + one more node | {out['idle_2_nodes_mib']:.0f} MiB |",
        f"| the service's driver (`farm serve`) | {out['driver_mib']:.0f} MiB |",
        "",
        f"Paper estimate, 4 GPU machines, one job each at a time (the engine's cost model, "
        f"`engine.run.cost.estimate_seconds`, at an assumed {args.gpu_tflops:g} TFLOP/s sustained "
        f"per GPU with {args.gpu_gib:g} GiB, tiled as the engine would tile there; no GPU measured):",
        "",
        "| job | steps | painted | seconds per job | peak memory | jobs per hour, 4 machines |",
        "| --- | --- | --- | ---: | ---: | ---: |",
        *paper_estimate(args.gpu_tflops, args.gpu_gib),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--looks", type=int, default=8)
    parser.add_argument("--look-size", type=int, default=128, help="output size of the quick looks")
    parser.add_argument("--result-side", type=int, default=4096)
    parser.add_argument("--store-mb", type=int, default=400, help="object store per node, two-node run")
    parser.add_argument("--gpu-tflops", type=float, default=58.0,
                        help="assumed sustained TFLOP/s of one GPU for the paper estimate")
    parser.add_argument("--gpu-gib", type=float, default=24.0, help="memory of that GPU (tiling)")
    parser.add_argument("--dry-run", action="store_true", help="print, do not write RESULTS.md")
    parser.add_argument("--queue", action="store_true", help="only the looks, through batch --farm")
    parser.add_argument("--look-steps", type=int, default=40, help="steps of each look with --queue")
    args = parser.parse_args()
    if args.queue:
        text = report_queue(run_queue(args), args)
        print(text)
        if not args.dry_run:
            replace_block("bench_farm_queue", "## Render farm (issue 19)", text)
        return
    text = report(run(args), args)
    print(text)
    if not args.dry_run:
        replace_block("bench_farm", "## Render farm (issue 19)", text)


if __name__ == "__main__":
    main()
