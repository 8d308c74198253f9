"""Settings: one defaults table, typed reads from an INI file, Params round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from nst_desktop.engine.spec.params import DEFAULTS
from nst_desktop.gui.settings import MAX_RECENT, Settings


def test_defaults_come_from_params(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "s.ini")
    assert settings.read_params() == DEFAULTS
    assert settings.read("recent/files") == []
    assert settings.read("inputs/initialised") is False


def test_params_round_trip_through_the_file(tmp_path: Path) -> None:
    params = DEFAULTS.with_changes(size=300, style_weight=2.5, style_layers=("relu1_1",),
                                   style_layer_weights=(0.5,), init_image=None, optimizer="adam")
    first = Settings(tmp_path / "s.ini")
    first.write_params(params)
    first.sync()
    assert Settings(tmp_path / "s.ini").read_params() == params


def test_invalid_stored_value_falls_back_to_default(tmp_path: Path) -> None:
    path = tmp_path / "s.ini"
    path.write_text('[params]\nsize=99999999\nsteps=77\ncolour="\\"nonsense\\""\n')
    params = Settings(path).read_params()
    assert params.size == DEFAULTS.size and params.steps == 77 and params.colour == DEFAULTS.colour


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        Settings(tmp_path / "s.ini").write("no/such", 1)


def test_recent_files_most_recent_first_without_duplicates(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "s.ini")
    for i in range(MAX_RECENT + 3):
        settings.add_recent(f"/p/{i}.jpg")
    settings.add_recent("/p/5.jpg")
    recent = settings.recent_files()
    assert recent[0] == "/p/5.jpg" and len(recent) == MAX_RECENT and len(set(recent)) == MAX_RECENT


def test_default_location_follows_nst_desktop_home(tmp_path: Path, _isolated_home: Path) -> None:
    settings = Settings()
    assert _isolated_home in settings.path.parents
