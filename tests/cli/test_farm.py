"""``nst-desktop farm``: one line for a farm that is down and for a machine without Ray."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from nst_desktop.cli import main
from tests.farm.conftest import free_port


def _token(tmp_path: Path) -> Path:
    file = tmp_path / "token"
    file.write_text("0123456789abcdefXYZ\n")
    return file


def test_status_of_a_farm_that_is_down_is_one_line(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    assert main(["farm", "status", "--farm", url, "--token-file", str(_token(tmp_path))]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("nst-desktop: error: The farm at") and "cannot be reached" in err
    assert "\n" not in err


def test_serve_without_ray_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # "import ray" fails as where it is not installed
    monkeypatch.delitem(sys.modules, "nst_desktop.farm.service", raising=False)
    assert main(["farm", "serve", "--token-file", str(_token(tmp_path))]) == 1
    err = capsys.readouterr().err.strip()
    assert 'needs Ray' in err and 'pip install "nst-desktop[farm]"' in err and "\n" not in err


def test_serve_with_a_short_token_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "token").write_text("secret\n")
    assert main(["farm", "serve", "--token-file", str(tmp_path / "token"), "--address", "127.0.0.1:1"]) == 1
    assert "at least 16 characters" in capsys.readouterr().err


def test_batch_farm_options_need_a_token_and_a_farm_that_is_down_is_waited_for(tmp_path: Path) -> None:
    import argparse
    import io

    from nst_desktop.cli.common import UsageError
    from nst_desktop.cli.farm_options import farm_render
    from nst_desktop.farm.batch import FarmRender

    assert farm_render(argparse.Namespace(farm=None, token_file=None), io.StringIO()) is None  # paint here
    with pytest.raises(UsageError, match="--token-file"):
        farm_render(argparse.Namespace(farm="http://127.0.0.1:9", token_file=None), io.StringIO())
    said = io.StringIO()
    url = f"http://127.0.0.1:{free_port()}"
    render = farm_render(argparse.Namespace(farm=url, token_file=_token(tmp_path)), said)
    assert isinstance(render, FarmRender) and "cannot be reached" in said.getvalue()
    assert "The jobs wait for it." in said.getvalue()
