"""A content term that keeps the photo's structure, not its pixels: self-similarity.

The Gatys content loss asks every feature of the painting to equal the photo's at the same
place. Deep features still hold the photo's local textures (skin, fur, the grain of a wall), so
with enough content weight to keep a likeness, a face stays a photograph in the painting's
colours. Kolkin et al. (STROTSS, CVPR 2019) keep instead *which places look alike*: the matrix of
cosine distances between the features at every pair of positions. Two cheeks stay alike and
unlike the background whatever texture paints them, so the style is free to repaint the
surfaces in its own strokes while the planes, edges and proportions of the face stay put.

Written from the paper's description (its code is not used). Per content layer:

* the features at a fixed grid of at most :data:`MAX_POSITIONS` positions (every ``stride``-th
  row and column: the whole frame, evenly; the same grid for the painting and the photo);
* ``D[i, j] = 1 - cos(f_i, f_j)``, each column divided by its sum (as the paper does), so a
  column says how position ``j``'s dissimilarity is shared among the others whatever the
  features' scale;
* the loss: the mean over columns of the L1 distance between the painting's and the photo's
  normalised columns. Each column sums to 1, so the term lies in [0, 2] at every size and with
  every weight set: it is size invariant as it stands. L1 is smoothed (Charbonnier, as TV is)
  so L-BFGS sees a gradient that does not jump at zero.

``content_loss="structure"`` adds :data:`STRUCTURE_FEATURE_SHARE` of the features term to it
(engine.losses.terms.content_loss): alone it let flat areas drift to a grey speckle.

The cost is a P x C by C x P product per layer (P <= 1024): about 1 GFLOP at relu4_2, a few
percent of a 512 px VGG step.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

#: The most positions whose pairwise distances are kept per layer: 1024^2 pairs (4 MB).
MAX_POSITIONS = 1024
#: Charbonnier smoothing of |x| in units of one normalised entry's mean (1 / P): a fraction of
#: the typical difference, so the term is L1 where it matters and smooth at zero.
SMOOTHING = 0.05
#: The share of the features content term kept beside the structure term. Structure alone lets
#: flat areas (a studio backdrop, a sky) drift to a grey speckle: cosine distances ignore how
#: bright and how coloured a place is, and a flat area's places are all alike whatever covers
#: them. A small pull toward the photo's features keeps their tone without making a face a photo.
STRUCTURE_FEATURE_SHARE = 0.25
#: Size-invariant gain: the term (in [0, 2]) times this. Set once, not swept: with it and the
#: share above, content weight 1 against style weight 8 kept the astronaut's likeness on the
#: portrait sheets (docs/quality/README.md); the content weight scales it like any content term.
SELF_SIMILARITY_GAIN = 4.0


def grid_stride(height: int, width: int, max_positions: int | None = None) -> int:
    """The smallest stride whose grid over an ``height`` x ``width`` map has at most
    ``max_positions`` (:data:`MAX_POSITIONS`) positions."""
    max_positions = max_positions or MAX_POSITIONS
    stride = max(1, math.ceil(math.sqrt(height * width / max_positions)))
    while math.ceil(height / stride) * math.ceil(width / stride) > max_positions:
        stride += 1
    return stride


def grid_rows(features: Tensor, stride: int) -> Tensor:
    """The features (1, C, H, W) at every ``stride``-th row and column, as (P, C) float32."""
    picked = features[0, :, ::stride, ::stride].float()
    return picked.reshape(picked.shape[0], -1).T


def normalised_distances(rows: Tensor) -> Tensor:
    """Cosine distances between the (P, C) ``rows``, each column divided by its sum."""
    unit = rows / rows.norm(dim=1, keepdim=True).clamp_min(1e-8)
    distances: Tensor = (1.0 - unit @ unit.T).clamp_min(0.0)
    return distances / distances.sum(0, keepdim=True).clamp_min(1e-8)


def self_similarity_loss(features: Tensor, target: Tensor) -> Tensor:
    """The term for one layer: ``features`` of the painting and ``target`` (the photo's), both
    (1, C, H, W) of one size; 0 when their self-similarities agree, at most ~2."""
    stride = grid_stride(features.shape[-2], features.shape[-1])
    return structure_loss(grid_rows(features, stride), grid_rows(target, stride))


def structure_loss(rows: Tensor, target_rows: Tensor) -> Tensor:
    """:func:`self_similarity_loss` from the grid's (P, C) rows of the painting and of the photo,
    in the same order (the tiled pass gathers them tile by tile)."""
    ours = normalised_distances(rows)
    with torch.no_grad():
        theirs = normalised_distances(target_rows.float())
    eps = SMOOTHING / ours.shape[0]
    difference = torch.sqrt((ours - theirs).square() + eps * eps) - eps
    loss: Tensor = SELF_SIMILARITY_GAIN * difference.sum() / ours.shape[0]
    return loss
