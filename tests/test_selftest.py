"""The installation self-test: passes on a good install, fails with a reason on a broken one."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from nst_desktop import selftest
from nst_desktop.cli import main
from nst_desktop.io.images import read_metadata
from nst_desktop.io.metadata import params_from_metadata


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the real user folders (weights store, library)."""
    monkeypatch.setenv("NST_DESKTOP_HOME", str(tmp_path / "home"))


def test_self_test_command_passes_and_keeps_its_image(capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path) -> None:
    assert main(["self-test", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "Self-test passed" in text
    assert text.count("  ok   ") == len(selftest.CHECKS)
    meta = read_metadata(tmp_path / "self-test.png")
    assert meta is not None
    params, _inputs = params_from_metadata(meta)
    assert params.size == selftest.TEST_SIZE and params.steps == selftest.TEST_STEPS


def test_self_test_reports_a_missing_resource(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bundle without its resources folder must fail with the missing path, not crash."""
    monkeypatch.setattr(selftest, "resource_path", lambda *parts: tmp_path.joinpath("gone", *parts))
    report = io.StringIO()
    assert selftest.run_self_test(tmp_path, stream=report) == 1
    text = report.getvalue()
    assert "FAIL bundled sample images" in text and "tubingen.jpg" in text
    assert "Self-test FAILED." in text


def test_self_test_reports_an_unexpected_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Any exception in a check (a broken bundle raises anything) becomes a FAIL line and 1."""
    def broken(state: dict[str, object]) -> str:
        raise OSError("libtorch_cpu.so: cannot open shared object file")

    monkeypatch.setattr(selftest, "CHECKS", (("environment", broken),))
    report = io.StringIO()
    assert selftest.run_self_test(None, stream=report) == 1
    assert "FAIL environment: OSError: libtorch_cpu.so" in report.getvalue()
