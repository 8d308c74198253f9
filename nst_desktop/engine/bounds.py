"""Keeping the image in 0..1 while L-BFGS optimises it (a projected L-BFGS step).

Gatys et al. optimise unconstrained pixels; an image clamped only when it is shown or saved
is then not the image whose loss the optimiser drove down (with the ``pastiche`` preset the
saved 8-bit picture scored 2.4x the engine's loss). Here every step is projected back into
0..1 and L-BFGS is told the step it actually took. Measured against this
(benchmarks/bench_lbfgs_bounds.py, RESULTS.md): a plain clamp that leaves L-BFGS's history
as it is, the same with a projected gradient (L-BFGS-B's active set in its simplest form:
its curvature pairs then mix gradients with and without the blocked components, and on a
box-constrained quadratic it stalled where this converged), a bounded parametrisation
(sigmoid) and a range penalty.
"""

from __future__ import annotations

import torch
from torch import Tensor


@torch.no_grad()
def record_projected_step(opt: torch.optim.Optimizer, x: Tensor, before: Tensor) -> None:
    """After clamping ``x``, make L-BFGS's stored step the one actually taken.

    torch's L-BFGS forms its next curvature pair from ``s = t * d`` (the step it meant to
    take); after a projection the image moved by ``x - before`` instead, and a pair built
    from the intended step would describe a move that never happened.
    """
    if not isinstance(opt, torch.optim.LBFGS):
        return
    state = opt.state[opt.param_groups[0]["params"][0]]
    t = state.get("t")  # a float, or a 0-d tensor after the first step (min(1, 1/|g|_1))
    if t is None or "d" not in state or float(t) == 0.0:
        return
    state["d"] = (x - before).reshape(-1).div(float(t))
