from nst_desktop.engine.cost import estimate
from nst_desktop.engine.params import Params


def test_estimate_grows_with_size_steps_and_styles() -> None:
    base = Params(size=256, device="cpu")
    small = estimate(base, (768, 1024), 1, "cpu")
    big = estimate(base.with_changes(size=512), (768, 1024), 1, "cpu")
    longer = estimate(base.with_changes(steps=400), (768, 1024), 1, "cpu")
    more_styles = estimate(base, (768, 1024), 3, "cpu")
    assert 0 < small.seconds < big.seconds and small.seconds < longer.seconds < small.seconds * 3
    assert small.seconds < more_styles.seconds
    assert 50e6 < small.peak_bytes < big.peak_bytes < 8e9


def test_adam_needs_less_memory_than_lbfgs() -> None:
    lbfgs = estimate(Params(size=512, device="cpu"), (512, 512), 1, "cpu")
    adam = estimate(Params(size=512, device="cpu", optimizer="adam"), (512, 512), 1, "cpu")
    assert adam.peak_bytes < lbfgs.peak_bytes
