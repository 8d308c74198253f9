"""scripts/bootstrap.py: the missing-library check before the window starts on Linux, and no
package index address written into the script (pip uses its configured index)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "bootstrap.py"
DEBIAN_12_GAPS = {"libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"}


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("nst_bootstrap", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bootstrap = _load()


def _fresh_debian(soname: str) -> bool:
    return soname not in DEBIAN_12_GAPS


def test_missing_xcb_libraries_are_named_with_both_install_commands() -> None:
    missing = bootstrap.missing_gui_libraries({}, "linux", found=_fresh_debian)
    assert set(missing) == DEBIAN_12_GAPS
    text = bootstrap.missing_libraries_text(missing)
    assert "sudo apt install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in text
    assert "sudo dnf install xcb-util-cursor xcb-util-keysyms xcb-util-wm" in text


def test_nothing_missing_when_every_library_is_found() -> None:
    assert bootstrap.missing_gui_libraries({}, "linux", found=lambda soname: True) == []


@pytest.mark.parametrize(
    ("env", "platform_name", "checked"),
    [
        ({}, "linux", True),
        ({"QT_QPA_PLATFORM": "xcb"}, "linux", True),
        ({"QT_QPA_PLATFORM": "offscreen"}, "linux", False),
        ({"QT_QPA_PLATFORM": "minimal"}, "linux", False),
        ({"QT_QPA_PLATFORM": "wayland;xcb"}, "linux", False),
        ({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        ({}, "darwin", False),
        ({}, "win32", False),
    ],
)
def test_only_an_x11_start_on_linux_is_checked(env: dict[str, str], platform_name: str,
                                               checked: bool) -> None:
    missing = bootstrap.missing_gui_libraries(env, platform_name, found=lambda soname: False)
    assert bool(missing) is checked


def test_every_listed_library_has_both_package_names() -> None:
    for soname, (debian, fedora) in bootstrap.XCB_LIBRARIES.items():
        assert re.fullmatch(r"lib[\w.+-]+\.so\.\d+", soname)
        assert debian and fedora


def test_app_mode_stops_before_installing_when_libraries_are_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(bootstrap, "_library_found", _fresh_debian)

    def no_install(mode: str) -> None:
        raise AssertionError("installed although the window could not open")

    monkeypatch.setattr(bootstrap, "ensure_installed", no_install)
    assert bootstrap.main(["app"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "libxcb-icccm.so.4" in err and "apt install" in err


def test_no_package_index_address_is_written_in_the_repository() -> None:
    """pip's configured index (a mirror, a proxy) must be used; PyTorch's CPU index may stay."""
    pattern = re.compile(r"pypi\.org|pythonhosted\.org")
    tracked = [ROOT / "README.md", SCRIPT, ROOT / "pyproject.toml", *ROOT.glob("docs/**/*.md"),
               *ROOT.glob("scripts/*"), *ROOT.glob(".ci/*"), *ROOT.glob("nst_desktop/**/*.py")]
    offenders = [str(p) for p in tracked if p.is_file() and pattern.search(p.read_text(errors="replace"))]
    assert offenders == []


def test_only_torch_comes_from_pytorch_s_cpu_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """Linux without an NVIDIA GPU: torch (alone, --no-deps) from PyTorch's CPU index; every
    other package later from pip's configured index, so no other index is named."""
    calls: list[tuple[str, ...]] = []

    class NotInstalled:
        returncode = 1

    monkeypatch.setattr(bootstrap.subprocess, "run", lambda *a, **k: NotInstalled())
    monkeypatch.setattr(bootstrap, "_pip", lambda *args, check=True: calls.append(args) or 1)
    monkeypatch.setattr(bootstrap, "_has_nvidia_gpu", lambda: False)
    monkeypatch.setattr(sys, "platform", "linux")
    bootstrap._install_torch()
    cpu_index = calls[-1]
    assert "--no-deps" in cpu_index and bootstrap.TORCH in cpu_index
    assert cpu_index[cpu_index.index("--index-url") + 1] == bootstrap.TORCH_CPU_INDEX
    assert "--extra-index-url" not in cpu_index


# --- the PySide6 pin (issue 16.1) --------------------------------------------------------------
def _venv_with(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, versions: list[str], *,
               stamp_current: bool) -> list[tuple[str, ...]]:
    """A fake .venv whose PySide6 reads as ``versions`` one probe after another; pip calls recorded."""
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    monkeypatch.setattr(bootstrap, "VENV", venv)
    if stamp_current:
        digest = bootstrap.hashlib.sha256((ROOT / "pyproject.toml").read_bytes()
                                          + bootstrap.TORCH.encode()).hexdigest()
        (venv / ".nst-desktop-app.stamp").write_text(digest)
    probes = iter(versions)
    monkeypatch.setattr(bootstrap, "_venv_qt_versions",
                        lambda: dict.fromkeys(bootstrap.QT_PACKAGES, next(probes)))
    monkeypatch.setattr(bootstrap, "_install_torch", lambda: None)
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(bootstrap, "_pip", lambda *args, check=True: calls.append(args) or 0)
    return calls


def test_pyproject_pins_pyside6_exactly_with_the_reason() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    pinned = bootstrap.pinned_qt_version()
    assert re.fullmatch(r"6\.\d+\.\d+", pinned) and pinned != "6.12.0"
    assert f'"shiboken6=={pinned}"' in text
    assert "bool_dealloc" in text  # the why, next to the pin


def test_a_venv_with_pyside6_6_12_0_is_downgraded_to_the_pin(monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    pinned = bootstrap.pinned_qt_version()
    calls = _venv_with(monkeypatch, tmp_path, ["6.12.0", pinned], stamp_current=True)
    bootstrap.ensure_installed("app")
    assert calls == [(f"PySide6-Essentials=={pinned}", f"shiboken6=={pinned}")]


def test_a_changed_pyproject_reinstalls_the_project_then_checks_the_pin(monkeypatch: pytest.MonkeyPatch,
                                                                       tmp_path: Path) -> None:
    pinned = bootstrap.pinned_qt_version()
    calls = _venv_with(monkeypatch, tmp_path, [pinned], stamp_current=False)
    bootstrap.ensure_installed("app")
    assert calls == [("-e", ".")]  # pip replaces a version the pin excludes; the probe found the pin


def test_a_pyside6_that_cannot_be_replaced_stops_with_one_line(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    _venv_with(monkeypatch, tmp_path, ["6.12.0", "6.12.0"], stamp_current=True)
    with pytest.raises(SystemExit) as stop:
        bootstrap.ensure_installed("app")
    message = str(stop.value)
    assert "PySide6-Essentials 6.12.0" in message and "\n" not in message
    assert f"pip install PySide6-Essentials=={bootstrap.pinned_qt_version()}" in message


def test_the_venv_probe_reads_the_installed_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real probe (a subprocess), run with this test's Python as the venv's."""
    monkeypatch.setattr(bootstrap, "_venv_python", lambda: Path(sys.executable))
    pinned = bootstrap.pinned_qt_version()
    assert bootstrap._venv_qt_versions() == dict.fromkeys(bootstrap.QT_PACKAGES, pinned)
