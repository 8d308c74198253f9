"""The stipple measure (issue 20.1): how much fine, pixel-scale texture a painting carries against
the style image it was painted from, at the same pixels per feature. NumPy and Pillow only.

What is measured, and why this way:

* **Luminance** only: the dots read as light/dark speckle; the eye resolves fine detail in
  luminance far better than in colour, and the colour of a dot is the style's palette anyway.
* **The fine band** ``L - G_1(L)`` (a Gaussian of sigma 1 px subtracted): it keeps the texture of
  1-3 px period (half power near 0.19 cycles/px) and drops everything from brush strokes up.
* **Its typical local energy**: the RMS of the fine band in 8 x 8 px blocks, and the *median* over
  the blocks. Stipple is an area texture: it raises every block. A sharp edge is a line: it
  raises only the blocks it crosses (one in ``H/8`` of them for a straight edge), so the median
  does not see it, where a spectral energy share or a mean |Laplacian| would count every sharp
  edge as "high frequency" and penalise the sharpness the fix must keep.
* **Against the style at the same scale**: the engine matches the style image resized to the
  painting's area (``style_scale`` 1), so that is the texture the painting is asked for. The
  *stipple ratio* is the painting's fine energy over that resized style's: 1 means "as fine-grained
  as the painting it copies", well above 1 means dots the painting does not have.

The 90th percentile of the block energy is reported beside it as an *edge* figure: the few blocks
with the sharpest detail. A fix that only blurred would lower it with the stipple.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

FloatArray = NDArray[np.float64]

#: The Gaussian subtracted to keep the fine band; 1 px: the dots are 1-3 px apart.
SIGMA_PX = 1.0
#: The side of the blocks whose energies are ranked; small enough that an edge touches few.
BLOCK_PX = 8
EDGE_PERCENTILE = 90.0


@dataclass(frozen=True)
class Stipple:
    """A painting's fine-band energies against its style's (resized to the painting's area)."""

    painting: float  # median block RMS of the painting's fine band (luminance 0..1)
    style: float  # the same of the style, resized to the painting's area
    painting_edges: float  # 90th percentile block RMS of the painting
    style_edges: float

    @property
    def ratio(self) -> float:
        """The stipple ratio: painting over style (1: as fine-grained as the style)."""
        return self.painting / max(self.style, 1e-12)

    @property
    def edge_ratio(self) -> float:
        return self.painting_edges / max(self.style_edges, 1e-12)


def luminance(rgb: NDArray[np.generic]) -> FloatArray:
    """Rec. 601 luma of an (H, W, 3) image, uint8 or float 0..1, as float64 0..1."""
    image = np.asarray(rgb, dtype=np.float64)
    if np.asarray(rgb).dtype == np.uint8:
        image = image / 255.0
    if image.ndim == 2:
        return image
    return image[..., 0] * 0.299 + image[..., 1] * 0.587 + image[..., 2] * 0.114


def _gaussian_kernel(sigma: float) -> FloatArray:
    radius = max(1, math.ceil(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    return np.asarray(taps / taps.sum(), dtype=np.float64)


def _blur(plane: FloatArray, sigma: float) -> FloatArray:
    """Separable Gaussian blur, edges reflected (so the frame itself is no edge)."""
    kernel = _gaussian_kernel(sigma)
    radius = len(kernel) // 2
    padded = np.pad(plane, radius, mode="reflect")
    rows = sum(k * padded[:, i:i + plane.shape[1]] for i, k in enumerate(kernel))
    return np.asarray(sum(k * rows[i:i + plane.shape[0], :] for i, k in enumerate(kernel)))


def block_energy(rgb: NDArray[np.generic]) -> FloatArray:
    """RMS of the luminance's fine band in each whole ``BLOCK_PX`` square block (flat array)."""
    lum = luminance(rgb)
    fine = lum - _blur(lum, SIGMA_PX)
    h, w = (fine.shape[0] // BLOCK_PX) * BLOCK_PX, (fine.shape[1] // BLOCK_PX) * BLOCK_PX
    if h == 0 or w == 0:
        raise ValueError(f"an image of {lum.shape[1]}x{lum.shape[0]} px is smaller than one "
                         f"{BLOCK_PX} px block")
    blocks = fine[:h, :w].reshape(h // BLOCK_PX, BLOCK_PX, w // BLOCK_PX, BLOCK_PX)
    return np.asarray(np.sqrt((blocks**2).mean(axis=(1, 3))).ravel())


def fine_energy(rgb: NDArray[np.generic]) -> float:
    """The typical (median) block energy of the fine band: what stipple raises, an edge does not."""
    return float(np.median(block_energy(rgb)))


def style_at_scale(style: NDArray[np.generic], painting_hw: tuple[int, int]) -> NDArray[np.uint8]:
    """The style resized to the painting's area (keeping its aspect), as the engine sizes it at
    ``style_scale`` 1; bicubic, which Pillow antialiases when it shrinks, like the engine's resize."""
    source = np.asarray(style)
    if source.dtype != np.uint8:
        source = (np.clip(source, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    factor = math.sqrt(painting_hw[0] * painting_hw[1] / (source.shape[0] * source.shape[1]))
    size = (max(1, round(source.shape[1] * factor)), max(1, round(source.shape[0] * factor)))
    return np.asarray(Image.fromarray(source).resize(size, Image.Resampling.BICUBIC))


def measure(painting: NDArray[np.generic], style: NDArray[np.generic]) -> Stipple:
    """The painting's fine-band energies against the style's at the painting's scale."""
    return against(painting, style_at_scale(style, (painting.shape[0], painting.shape[1])))


def against(painting: NDArray[np.generic], style: NDArray[np.generic]) -> Stipple:
    """The painting's fine-band energies against a style already at the painting's scale, used as
    it is: a style the engine was given at its exact size must not be resampled again by a pixel."""
    styled = block_energy(style)
    painted = block_energy(painting)
    return Stipple(
        painting=float(np.median(painted)), style=float(np.median(styled)),
        painting_edges=float(np.percentile(painted, EDGE_PERCENTILE)),
        style_edges=float(np.percentile(styled, EDGE_PERCENTILE)),
    )


#: A pixel is a speck when it stands out of its 3 x 3 neighbourhood's median by more than this (in
#: 0..1, any channel) and from even its closest neighbour by half as much: a dot, not a line or an
#: edge (a pixel on a line or an edge has a neighbour like itself along it).
SPECK_CONTRAST = 0.12


def specks(rgb: NDArray[np.generic]) -> float:
    """Isolated one-pixel dots per 1000 pixels: the dots themselves, where the fine-band energy also
    counts the short strokes and the texture that paint should have (issue 20.1, second round)."""
    image = np.asarray(rgb, dtype=np.float64)
    if np.asarray(rgb).dtype == np.uint8:
        image = image / 255.0
    h, w = image.shape[:2]
    padded = np.pad(image, ((1, 1), (1, 1), (0, 0)), mode="reflect")
    neighbours = np.stack([padded[1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
                           for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx])
    off_median = np.abs(image - np.median(neighbours, axis=0)).max(axis=2)
    off_closest = np.abs(neighbours - image[None]).max(axis=3).min(axis=0)
    isolated = (off_median > SPECK_CONTRAST) & (off_closest > SPECK_CONTRAST / 2)
    return float(1000.0 * isolated.mean())
