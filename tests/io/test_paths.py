"""Platform folders and the NST_DESKTOP_HOME override."""

from __future__ import annotations

from pathlib import Path

import pytest

from nst_desktop.io import paths

FOLDER_FUNCTIONS = (paths.data_dir, paths.library_dir, paths.weights_dir, paths.cache_dir, paths.settings_dir)


def test_home_override_puts_every_folder_under_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path / "home"))
    folders = [fn() for fn in FOLDER_FUNCTIONS]
    for folder in folders:
        assert folder.is_dir()
        assert folder.is_relative_to(tmp_path / "home")
    assert len(set(folders[1:])) == 4  # library, weights, cache and settings are distinct


def test_create_false_does_not_create(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path / "h"))
    folder = paths.library_dir(create=False)
    assert folder == tmp_path / "h" / "library"
    assert not folder.exists()


def test_without_override_uses_platformdirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(paths.HOME_ENV, raising=False)
    # Redirect the user folders platformdirs reads (XDG on Linux) so nothing real is touched.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert paths.home_override() is None
    assert paths.APP_NAME in paths.data_dir(create=False).parts
    assert paths.library_dir(create=False).parent == paths.data_dir(create=False)
    assert paths.APP_NAME in paths.cache_dir(create=False).parts
    assert paths.APP_NAME in paths.settings_dir(create=False).parts


def test_blank_override_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(paths.HOME_ENV, "  ")
    assert paths.home_override() is None
