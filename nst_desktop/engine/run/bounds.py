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

Without a line search L-BFGS can also overshoot: early in a scale its curvature comes from a
few tiny steps, and one step then throws the picture to a saturated image whose loss is
1000x the best (seen in the ``pastiche`` race, Tübingen + Starry Night in float32: 33 of its
first 100 steps). :func:`cap_step` shortens such a step to :data:`STEP_CAP_RMS` before the
projection, and L-BFGS is told the step it took, as for the clamp.
"""

from __future__ import annotations

import torch
from torch import Tensor


@torch.no_grad()
def project(opt: torch.optim.Optimizer, x: Tensor, before: Tensor) -> None:
    """Clamp ``x`` into 0..1 after a step from ``before``, and tell L-BFGS the step it took
    (the cap's and the clamp's: :func:`record_projected_step`)."""
    x.clamp_(0.0, 1.0)
    record_projected_step(opt, x, before)


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


#: The longest step allowed, as the root mean square of the pixel change (pixels in 0..1).
#: Measured (benchmarks/RESULTS.md, "Valid pixels"): ordinary steps of the default, classic
#: and pastiche presets stay below 0.035 (median 0.003), so the cap never touches them (their
#: pictures are bit-identical with it); the overshooting steps were far above it. 0.02-0.1
#: all cured the overshoot; 0.2 no longer did.
STEP_CAP_RMS = 0.1


@torch.no_grad()
def cap_step(x: Tensor, before: Tensor, cap: float | None = None) -> bool:
    """Shorten the step ``x - before`` to an RMS of ``cap`` (default :data:`STEP_CAP_RMS`),
    keeping its direction; True if it was shortened."""
    limit = STEP_CAP_RMS if cap is None else cap
    step = x - before
    rms = float(step.square().mean().sqrt())
    if limit <= 0 or rms <= limit:
        return False
    x.copy_(before + step * (limit / rms))
    return True
