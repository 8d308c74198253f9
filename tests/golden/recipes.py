"""The golden set (issue 17.7): recipes whose pictures must stay bit-identical through refactors.

Each :class:`Recipe` is painted through the one render path (``service.render``: Job -> render ->
picture, after-touches included) at a tiny size, from pictures drawn here with integer arithmetic
only (no RNG, no sin, no JPEG decoder: the inputs are the same bytes on every NumPy and Pillow), so
a changed hash can only come from the engine, io or service code. ``test_golden.py`` compares the
hashes with ``golden.json``; ``python -m tests.golden.record`` rewrites that file.

The hash is of the final float32 picture's bytes (shape included), the most sensitive choice:
every bit of every pixel counts. It is deterministic on one machine with one torch thread (checked
in one process and in fresh ones); with two threads the reductions are split differently, so the
thread count is pinned (:func:`pinned_threads`) and part of the :func:`fingerprint`.
"""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nst_desktop.engine.spec.events import ImageArray, StyleInput
from nst_desktop.engine.spec.live import BLEND, Edit
from nst_desktop.engine.spec.params import DEFAULTS, Params
from nst_desktop.engine.spec.presets import PRESETS, apply_preset, quick_look
from nst_desktop.engine.spec.region_masks import MaskSettings, Region, RegionMask
from nst_desktop.engine.spec.touches import Touches

GOLDEN_FILE = Path(__file__).with_name("golden.json")
RECORD_COMMAND = "python -m tests.golden.record"
THREADS = 1  # see the module docstring: two threads change the last bits
PHOTO_HW = (48, 64)
#: Every recipe runs on the CPU: "auto" would pick a GPU where there is one, whose numbers differ.
BASE = DEFAULTS.with_changes(size=64, min_size=32, steps=6, coarse_steps=3, device="cpu")
#: CPU features that change which kernels torch runs, hence the last bits of a result.
NUMERIC_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_tile")


# --- inputs: drawn with integers, the same bytes everywhere ---------------------------------------------
def _grain(y: np.ndarray, x: np.ndarray, salt: int) -> np.ndarray:
    """Integer hash noise in 0..31 (a texture for the optimiser to work on)."""
    grain: np.ndarray = ((x * 73856093) ^ (y * 19349663) ^ (salt * 83492791)) % 32
    return grain


def _to_image(rgb: np.ndarray) -> ImageArray:
    image: ImageArray = np.clip(rgb, 0, 255).astype(np.uint8).astype(np.float32) / np.float32(255.0)
    return image


def photo() -> ImageArray:
    """A landscape: sky gradient, a sun, a house with a roof, a field; 48x64."""
    h, w = PHOTO_HW
    y, x = np.mgrid[0:h, 0:w].astype(np.int64)
    sky = np.stack([90 + 2 * y, 140 + 2 * y, 230 - y], axis=-1)
    field_ = np.stack([40 + x, 120 + (x * y) % 40, 30 + 0 * x], axis=-1)
    rgb = np.where((y > 30)[..., None], field_, sky)
    sun = (x - 50) ** 2 + (y - 10) ** 2 < 36
    rgb[sun] = (250, 220, 80)
    house = (x > 12) & (x < 32) & (y > 18) & (y <= 34)
    rgb[house] = (200, 180, 150)
    roof = (y > 8) & (y <= 18) & (abs(x - 22) < (y - 8))
    rgb[roof] = (150, 40, 30)
    rgb[(x > 19) & (x < 24) & (y > 26) & (y <= 34)] = (70, 50, 40)  # the door
    return _to_image(rgb + _grain(y, x, 1)[..., None] // 4)


def style(name: str) -> ImageArray:
    """Two paintings of other sizes: bold swirls (56x56) and diagonal bands (40x64)."""
    if name == "swirls":
        y, x = np.mgrid[0:56, 0:56].astype(np.int64)
        ring = ((x - 28) ** 2 + (y - 28) ** 2) // 40 % 4
        rgb = np.stack([30 + 50 * ring, 50 + 30 * ring, 140 + 25 * ring], axis=-1)
        return _to_image(rgb + _grain(y, x, 2)[..., None] * np.array([2, 1, 1]))
    y, x = np.mgrid[0:40, 0:64].astype(np.int64)
    band = (x + 2 * y) // 9 % 3
    rgb = np.stack([240 - 60 * band, 120 + 50 * band, 40 + 30 * band], axis=-1)
    return _to_image(rgb + _grain(y, x, 3)[..., None])


def half_mask(settings: MaskSettings) -> RegionMask:
    """Region 1 on the photo's right half, nothing painted on the left."""
    labels = np.zeros(PHOTO_HW, np.uint8)
    labels[:, PHOTO_HW[1] // 2:] = 1
    return RegionMask(labels, settings)


KEEP_PHOTO = MaskSettings((Region(1, (0,)),), unpainted="keep_photo", feather_px=3.0)
TWO_STYLES = MaskSettings((Region(1, (1, 0), (3.0, 1.0), strength=2.0),), unpainted="style",
                          unpainted_style=0, feather_px=3.0)


# --- the recipes --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Recipe:
    """One picture of the golden set and what it covers."""

    name: str
    covers: str
    params: Params = BASE
    styles: tuple[str, ...] = ("swirls",)
    blend: tuple[float, ...] = (1.0,)
    edits: tuple[Edit, ...] = ()
    mask: MaskSettings | None = None
    tile: int = 0  # force tiles of this many px on every scale longer than it (0: as planned)
    promote_from: int = 0  # first paint a quick look this long, then go on from it
    touches: Touches = field(default_factory=Touches)


def shrunk(params: Params) -> Params:
    """A preset at the golden size: its look, and its schedule cut down in proportion."""
    single_scale = params.min_size >= params.size
    return params.with_changes(
        size=64, min_size=64 if single_scale else 32, device="cpu",
        steps=min(10, max(2, params.steps // 20)), coarse_steps=min(4, params.coarse_steps // 15))


def _preset(name: str) -> Recipe:
    return Recipe(f"preset-{name}", f"the {name} preset", shrunk(apply_preset(DEFAULTS, name)))


W2 = BASE.with_changes(style_loss="wasserstein")
#: Tiled passes cost a window per tile, each with its halo: fewer steps keep the set quick.
TILED = BASE.with_changes(coarse_steps=1, steps=3)

RECIPES: tuple[Recipe, ...] = (
    Recipe("default", "the default settings, three scales 32-45-64 px"),
    *(_preset(name) for name in PRESETS),
    Recipe("w2", "the Wasserstein-2 style loss", W2),
    Recipe("blend-3-1", "two styles blended 3:1", styles=("swirls", "bands"), blend=(3.0, 1.0)),
    Recipe("colour-histogram", "histogram-matched colours, Adam",
           BASE.with_changes(colour="histogram", optimizer="adam", learning_rate=0.05)),
    Recipe("mask-keep-photo", "a region mask, the unpainted half kept as the photo", mask=KEEP_PHOTO),
    Recipe("mask-w2-blend", "a masked W2 run: a 3:1 blend at strength 2 on one half, a style on the other",
           W2.with_changes(coarse_steps=1, steps=3), styles=("swirls", "bands"), blend=(1.0, 1.0),
           mask=TWO_STYLES),
    Recipe("tiled", "tiles of 32 px at the 45 and 64 px scales", TILED, tile=32),
    Recipe("tiled-w2", "the W2 loss in tiles", TILED.with_changes(style_loss="wasserstein", steps=2),
           tile=32),
    Recipe("tiled-mask", "a keep-photo mask in tiles (masked tiling)", TILED, mask=KEEP_PHOTO, tile=32),
    Recipe("tiled-structure", "the structure content term in tiles (its grid gathered across them)",
           TILED.with_changes(content_loss="structure"), tile=32),
    Recipe("live-edits", "a timeline of live edits, one landing at a scale's start",
           styles=("swirls", "bands"), blend=(1.0, 1.0),
           edits=(Edit(1, {"style_weight": 20.0}), Edit(3, {BLEND: [1.0, 3.0], "tv_weight": 4.0}),
                  Edit(8, {"colour": "luminance", "content_weight": 2.0}))),
    Recipe("promote", "a 45 px quick look promoted to 64 px (start_from)", promote_from=45),
    Recipe("touches", "after-touches applied by the service: photo colours and a fade",
           BASE.with_changes(seed=7), touches=Touches(keep_photo_colours=True, fade=0.3)),
)
#: Recipes equal by definition, whose pictures are the same: the balanced preset is the default.
RECIPE_ALIASES: tuple[tuple[str, ...], ...] = (("default", "preset-balanced"),)


# --- painting and hashing -------------------------------------------------------------------------------
@contextmanager
def forced_tiles(tile: int) -> Iterator[None]:
    """Paint every scale longer than ``tile`` px in tiles of ``tile`` px (as benchmarks.common.force_tile),
    undone afterwards; 0 changes nothing."""
    from nst_desktop.engine.run import tiled_pass

    planned = tiled_pass.plan_tile
    if tile:
        tiled_pass.plan_tile = lambda p, hw, d: tile if max(hw) > tile else 0  # type: ignore[assignment]
    try:
        yield
    finally:
        tiled_pass.plan_tile = planned


@contextmanager
def pinned_threads() -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _job(recipe: Recipe, params: Params, **more: Any) -> Any:
    from nst_desktop.service.job import Job

    styles = tuple(StyleInput(style(name), weight, name) for name, weight in zip(recipe.styles, recipe.blend,
                                                                                strict=True))
    mask = half_mask(recipe.mask) if recipe.mask is not None else None
    return Job(photo(), styles, params, edits=recipe.edits, touches=recipe.touches, mask=mask, **more)


def paint(recipe: Recipe) -> ImageArray:
    """The recipe's final picture, as the window shows it and the CLI saves it."""
    from nst_desktop.service.render import picture, render

    with pinned_threads(), forced_tiles(recipe.tile):
        more: dict[str, Any] = {}
        if recipe.promote_from:
            look = _job(recipe, quick_look(recipe.params, recipe.promote_from))
            quick = render(look)
            more = {"start_from": quick.image, "continued_from": quick.metadata}
        job = _job(recipe, recipe.params, **more)
        return picture(render(job), job)


def picture_hash(image: ImageArray) -> str:
    """sha256 of the float32 picture's shape and bytes."""
    array = np.ascontiguousarray(image, dtype=np.float32)
    return hashlib.sha256(repr(array.shape).encode() + array.tobytes()).hexdigest()


def uint8_hash(image: ImageArray) -> str:
    """sha256 of the 8-bit picture: tells a change in the last bits from a visible one."""
    from nst_desktop.engine.spec.events import to_uint8

    return hashlib.sha256(to_uint8(image).tobytes()).hexdigest()


def hashes(recipe: Recipe) -> dict[str, str]:
    image = paint(recipe)
    return {"float32": picture_hash(image), "uint8": uint8_hash(image)}


def _cpu_model_and_flags() -> tuple[str, list[str]]:
    try:
        lines = Path("/proc/cpuinfo").read_text(errors="replace").splitlines()
    except OSError:  # not Linux: the processor's name is all there is
        return platform.processor() or platform.machine(), []
    first_cpu: dict[str, str] = {}
    for line in lines:
        key, _, value = line.partition(":")
        first_cpu.setdefault(key.strip(), value.strip())
    flags = first_cpu.get("flags", "").split()
    return first_cpu.get("model name", platform.machine()), [flag for flag in NUMERIC_FLAGS if flag in flags]


def fingerprint() -> dict[str, Any]:
    """What the hashes depend on besides our code: the machine and the numeric libraries."""
    import PIL
    import torch

    model, flags = _cpu_model_and_flags()
    return {"torch": torch.__version__, "numpy": np.__version__, "pillow": PIL.__version__,
            "machine": platform.machine(), "cpu": model, "cpu_flags": flags,
            "cpu_capability": torch.backends.cpu.get_cpu_capability(), "torch_threads": THREADS}


def mismatch(recorded: dict[str, Any] | None, here: dict[str, Any]) -> str | None:
    """Why the recorded hashes cannot be checked on this machine (None: they can), for a loud skip:
    what differs, both fingerprints and the command that records the set here."""
    if recorded == here:
        return None
    was = recorded or {}
    differ = sorted(key for key in set(here) | set(was) if was.get(key) != here.get(key))
    return (f"GOLDEN SET NOT CHECKED: its hashes were recorded on another machine (differs in "
            f"{', '.join(differ)}): recorded on {recorded}, this is {here}. To check a refactor here, "
            f"record the set on this machine first, before the change: `{RECORD_COMMAND}`.")
