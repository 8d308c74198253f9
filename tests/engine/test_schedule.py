from nst_desktop.engine.params import Params
from nst_desktop.engine.schedule import fit_long_side, scale_sizes, steps_per_scale


def test_default_schedule_grows_by_sqrt2_to_the_output_size() -> None:
    sizes = scale_sizes(Params(size=512, min_size=128), (768, 1024))
    longs = [max(s) for s in sizes]
    assert longs == [128, 181, 256, 362, 512]
    assert sizes[-1] == (384, 512)
    for a, b in zip(longs, longs[1:], strict=False):
        assert 1.3 < b / a < 1.5


def test_min_size_at_or_above_size_means_one_scale() -> None:
    assert scale_sizes(Params(size=256, min_size=256), (100, 200)) == [(128, 256)]
    assert scale_sizes(Params(size=100, min_size=128), (200, 100)) == [(100, 50)]


def test_min_size_is_included_when_not_a_power_of_the_ratio() -> None:
    longs = [max(s) for s in scale_sizes(Params(size=1024, min_size=200), (1000, 1000))]
    assert longs[0] == 200 and longs[-1] == 1024
    assert longs == sorted(longs)


def test_steps_per_scale() -> None:
    assert steps_per_scale(Params(steps=7, coarse_steps=3), 4) == [3, 3, 3, 7]
    assert steps_per_scale(Params(steps=7), 1) == [7]


def test_fit_long_side_keeps_aspect_for_portrait() -> None:
    assert fit_long_side((1528, 1200), 256) == (256, 201)
