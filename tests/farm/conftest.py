"""A real two-node Ray cluster on loopback and the farm service on it, started once per session
(farm.loopback): one CPU and an 80 MB object store per node (the machine is shared); the
service is ``nst-desktop farm serve`` in a subprocess, so a test can stop and start it again.
``ray stop`` always runs in teardown. Linux only: Ray refuses multi-node clusters elsewhere.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_desktop.engine.spec.params import DEFAULTS
from nst_desktop.farm.loopback import BIN, LocalFarm, free_port, start_cluster, stop_cluster
from nst_desktop.recipe.recipe import Recipe, StyleRef

__all__ = ["Farm", "free_port", "tiny_recipe"]
Farm = LocalFarm
TINY = DEFAULTS.with_changes(size=64, min_size=32, steps=6, coarse_steps=3, device="cpu", precision="float32")


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[str]:
    if shutil.which("ray", path=str(BIN)) is None:
        pytest.fail("Ray is not installed: the farm tests need the farm extra (pip install -e '.[farm]')")
    try:
        yield start_cluster(nodes=2, cpus_per_node=1, object_store_mb=80)
    finally:
        stop_cluster()


@pytest.fixture(scope="session")
def farm(ray_cluster: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalFarm]:
    token_file = tmp_path_factory.mktemp("farm") / "token"
    token_file.write_text(secrets.token_urlsafe() + "\n")
    running = LocalFarm(ray_cluster, token_file, free_port())
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
