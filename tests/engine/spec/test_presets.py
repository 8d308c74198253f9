import math

from nst_desktop.engine.spec.params import DEFAULTS
from nst_desktop.engine.spec.presets import PRESETS, preset_names


def test_presets_are_valid_and_named() -> None:
    assert {"pastiche", "draft", "balanced", "fine", "portrait"} <= set(preset_names())
    assert PRESETS["balanced"] == DEFAULTS
    assert PRESETS["draft"].size < DEFAULTS.size < PRESETS["fine"].size
    # The portrait preset is the default look with the structure content term, nothing else.
    assert PRESETS["portrait"].content_loss == "structure" != DEFAULTS.content_loss
    assert PRESETS["portrait"].with_changes(content_loss=DEFAULTS.content_loss) == DEFAULTS


def test_pastiche_preset_matches_pastiche_defaults() -> None:
    p = PRESETS["pastiche"]
    assert p.loss_normalisation == "pastiche"
    assert p.content_layers == ("relu4_2",)
    assert p.style_layers == ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    assert p.tv_weight == 0 and p.optimizer == "lbfgs" and p.init == "content" and p.pooling == "max"
    assert p.steps == 1000 and p.lbfgs_history == 100
    # One warm-start scale at half the size before pastiche's own (presets.py says why).
    assert p.min_size == math.ceil(p.size / 2) and p.scale_ratio == 2.0 and p.coarse_steps == 100
    # 500^2 pixels of a 4:3 photo, as pastiche sizes it
    assert math.isclose(p.size * p.size * 3 / 4, 500**2, rel_tol=0.01)


#: jcjohnson/neural-style's neural_style.lua, its ``cmd:option`` defaults as the source has them.
NEURAL_STYLE_OPTIONS: dict[str, object] = {
    "-image_size": 512,
    "-content_weight": 5e0,
    "-style_weight": 1e2,
    "-tv_weight": 1e-3,
    "-num_iterations": 1000,
    "-init": "random",
    "-optimizer": "lbfgs",
    "-learning_rate": 1e1,
    "-lbfgs_num_correction": 0,  # 0: optim.lbfgs's own nCorrection, 100
    "-style_scale": 1.0,
    "-original_colors": 0,
    "-pooling": "max",
    "-content_layers": "relu4_2",
    "-style_layers": "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1",
}
OPTIM_LBFGS_DEFAULT_N_CORRECTION = 100


def test_classic_preset_matches_neural_style_source() -> None:
    p, ns = PRESETS["classic"], NEURAL_STYLE_OPTIONS
    assert p.size == ns["-image_size"] and p.min_size >= p.size and p.coarse_steps == 0  # one scale
    assert p.content_weight == ns["-content_weight"]
    assert p.style_weight == ns["-style_weight"]
    assert p.tv_weight == ns["-tv_weight"]
    assert p.steps == ns["-num_iterations"]
    assert ns["-init"] == "random" and p.init == "noise" and p.init_noise == 0.0
    assert p.optimizer == ns["-optimizer"]
    assert ns["-lbfgs_num_correction"] == 0 and p.lbfgs_history == OPTIM_LBFGS_DEFAULT_N_CORRECTION
    assert math.isclose(p.learning_rate * 255.0, float(ns["-learning_rate"]))  # its units are 0..255
    assert p.style_scale == ns["-style_scale"]
    assert ns["-original_colors"] == 0 and p.colour == "style"
    assert p.pooling == ns["-pooling"]
    assert ",".join(p.content_layers) == ns["-content_layers"]
    assert ",".join(p.style_layers) == ns["-style_layers"]
    # one strength per loss module: every layer gets the same weight
    assert set(p.content_layer_weights) == {1.0} and set(p.style_layer_weights) == {1.0}
    assert p.loss_normalisation == "classic" and p.style_loss == "gram" and p.precision == "float32"


def test_every_preset_is_one_of_the_shown_names_and_classic_is_not_the_default() -> None:
    assert "classic" in preset_names()
    assert PRESETS["classic"] != DEFAULTS
