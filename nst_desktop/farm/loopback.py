"""A farm on this one machine's loopback: a Ray cluster of ``ray start`` nodes on 127.0.0.1 and
``nst-desktop farm serve`` on it, each a subprocess (no Ray import here).

For the farm's tests and benchmark, and to try the farm before setting up machines. Each node
gets a small object store (the machine is shared); :func:`stop_cluster` runs ``ray stop``,
which ends every Ray process of this user on the machine. Linux only, like multi-node Ray.
Ray itself resolves ``--node-ip-address=127.0.0.1`` to the machine's own address
(``services.resolve_ip_for_localhost``) and its gRPC servers listen on every interface: the
nodes talk within this machine, but are not confined to the loopback interface. The farm's
HTTP service is (127.0.0.1).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from nst_desktop.farm.client import FarmClient
from nst_desktop.farm.protocol import FarmError

BIN = Path(sys.executable).parent  # the ray command of this environment
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ray_env() -> dict[str, str]:
    """The environment of the nodes and the service: this checkout importable by Ray's workers,
    no RAY_ADDRESS of another cluster, no usage reports, one torch thread per CPU Ray gives."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    path = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env.update(PYTHONPATH=os.pathsep.join(path), RAY_USAGE_STATS_ENABLED="0", OMP_NUM_THREADS="1")
    return env


def _ray(*args: str) -> None:
    done = subprocess.run([str(BIN / "ray"), *args], env=ray_env(), check=False, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, timeout=180)
    if done.returncode != 0:
        raise RuntimeError(f"ray {args[0]} failed: {done.stderr.decode(errors='replace')[-1500:]}")


def start_cluster(nodes: int = 2, cpus_per_node: int = 1, object_store_mb: int = 80) -> str:
    """Start ``nodes`` Ray nodes on 127.0.0.1 (the first the head); their address ``host:port``.
    Node ``i`` has a custom resource ``node<i>`` to pin work to it."""
    port = free_port()
    address = f"127.0.0.1:{port}"
    for i in range(nodes):
        common = ["--node-ip-address=127.0.0.1", f"--num-cpus={cpus_per_node}",
                  f"--object-store-memory={object_store_mb << 20}", "--disable-usage-stats",
                  f"--resources={json.dumps({f'node{i}': 1})}"]
        if i == 0:
            _ray("start", "--head", f"--port={port}", "--include-dashboard=false", *common)
        else:
            _ray("start", f"--address={address}", *common)
    return address


def stop_cluster() -> None:
    subprocess.run([str(BIN / "ray"), "stop", "--force"], env=ray_env(), check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180)


@dataclass
class LocalFarm:
    """``nst-desktop farm serve`` on a cluster of this machine: start(), stop(), start() again."""

    ray_address: str
    token_file: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, token: str | None = None) -> FarmClient:
        return FarmClient(self.url, token or self.token_file.read_text().strip(), timeout_s=20)

    def start(self, timeout_s: float = 60) -> None:
        command = [sys.executable, "-c", "import sys; from nst_desktop.cli import main; sys.exit(main())",
                   "farm", "serve", "--token-file", str(self.token_file), "--port", str(self.port),
                   "--address", self.ray_address]
        self.process = subprocess.Popen(command, env=ray_env(), stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read() if self.process.stderr else b""
                raise RuntimeError(f"farm serve ended: {err.decode(errors='replace')[-2000:]}")
            try:
                self.client().status()
                return
            except FarmError:
                time.sleep(0.3)
        raise RuntimeError(f"farm serve did not answer within {timeout_s:g} s")

    def stop(self) -> None:
        """SIGTERM, as a service manager stops it; the jobs' tasks die with the driver."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
