"""A real two-node Ray cluster on loopback and the farm service on it, started once per session.

Both nodes are ``ray start`` processes on 127.0.0.1 with one CPU and a small object store
each (the machine is shared); the service is ``nst-desktop farm serve`` in a subprocess, so a
test can stop and start it again. ``ray stop`` always runs in teardown. Linux only: Ray's
multi-node clusters are refused on macOS and Windows.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_desktop.engine.spec.params import DEFAULTS
from nst_desktop.farm.client import FarmClient
from nst_desktop.farm.protocol import FarmError
from nst_desktop.recipe.recipe import Recipe, StyleRef

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
OBJECT_STORE = str(80 << 20)  # bytes per node: the machine is shared; results here are tiny
TINY = DEFAULTS.with_changes(size=64, min_size=32, steps=6, coarse_steps=3, device="cpu", precision="float32")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    # Ray's workers import nst_desktop from this checkout; the cluster of another run is never joined.
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env.update(PYTHONPATH=str(ROOT), RAY_USAGE_STATS_ENABLED="0", OMP_NUM_THREADS="1")
    return env


def _ray(*args: str) -> None:
    subprocess.run([str(BIN / "ray"), *args], env=_env(), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE, timeout=120)


@dataclass
class Farm:
    """The running service: its URL, token and process (stop() and start() it again)."""

    ray_address: str
    token_file: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, token: str | None = None) -> FarmClient:
        return FarmClient(self.url, token or self.token_file.read_text().strip(), timeout_s=20)

    def start(self) -> None:
        command = [sys.executable, "-c", "import sys; from nst_desktop.cli import main; sys.exit(main())",
                   "farm", "serve", "--token-file", str(self.token_file), "--port", str(self.port),
                   "--address", self.ray_address]
        self.process = subprocess.Popen(command, env=_env(), stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"farm serve ended: {self.process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                self.client().status()
                return
            except FarmError:
                time.sleep(0.3)
        raise RuntimeError("farm serve did not answer within 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if shutil.which("ray", path=str(BIN)) is None:
        pytest.fail("Ray is not installed: the farm tests need the farm extra (pip install -e '.[farm]')")
    port = free_port()
    address = f"127.0.0.1:{port}"
    common = ["--node-ip-address=127.0.0.1", "--num-cpus=1", f"--object-store-memory={OBJECT_STORE}",
              "--disable-usage-stats"]
    try:
        _ray("start", "--head", f"--port={port}", "--include-dashboard=false",
             '--resources={"nodeA": 1}', *common)
        _ray("start", f"--address={address}", '--resources={"nodeB": 1}', *common)
        yield address
    finally:
        subprocess.run([str(BIN / "ray"), "stop", "--force"], env=_env(), check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)


@pytest.fixture(scope="session")
def farm(ray_cluster: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Farm]:
    token_file = tmp_path_factory.mktemp("farm") / "token"
    token_file.write_text(secrets.token_urlsafe() + "\n")
    running = Farm(ray_cluster, token_file, free_port())
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A photo and a style drawn with integer arithmetic (no file from outside the test)."""
    folder = tmp_path_factory.mktemp("pictures")
    y, x = np.mgrid[0:72, 0:96]
    photo = np.stack([(x * 255) // 95, (y * 255) // 71, ((x + y) * 7) % 256], axis=2).astype(np.uint8)
    style = np.stack([(x * y) % 256, (x * 3) % 256, (y * 5) % 256], axis=2).astype(np.uint8)[:64, :64]
    Image.fromarray(photo).save(folder / "photo.png")
    Image.fromarray(style).save(folder / "style.png")
    return folder / "photo.png", folder / "style.png"


def tiny_recipe(pictures: tuple[Path, Path], **changes: object) -> Recipe:
    photo, style = pictures
    return Recipe(str(photo), (StyleRef(str(style), 1.0),), TINY.with_changes(**changes))
