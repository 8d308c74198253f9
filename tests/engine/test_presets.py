import math

from nst_desktop.engine.params import DEFAULTS
from nst_desktop.engine.presets import PRESETS, preset_names


def test_presets_are_valid_and_named() -> None:
    assert {"pastiche", "draft", "balanced", "fine"} <= set(preset_names())
    assert PRESETS["balanced"] == DEFAULTS
    assert PRESETS["draft"].size < DEFAULTS.size < PRESETS["fine"].size


def test_pastiche_preset_matches_pastiche_defaults() -> None:
    p = PRESETS["pastiche"]
    assert p.loss_normalisation == "pastiche"
    assert p.content_layers == ("relu4_2",)
    assert p.style_layers == ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    assert p.tv_weight == 0 and p.optimizer == "lbfgs" and p.init == "content" and p.pooling == "max"
    assert p.steps == 1000 and p.min_size >= p.size and p.lbfgs_history == 100
    # 500^2 pixels of a 4:3 photo, as pastiche sizes it
    assert math.isclose(p.size * p.size * 3 / 4, 500**2, rel_tol=0.01)


def test_presets_module_does_not_import_torch() -> None:
    import subprocess
    import sys

    code = "import sys, nst_desktop.engine.presets; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
