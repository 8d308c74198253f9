#!/usr/bin/env python3
"""One-command set-up of NST Desktop in ./.venv, then start the app or run every check.

    python3 scripts/bootstrap.py app  [APP ARGS...]    # install, then start the app
    python3 scripts/bootstrap.py test [PYTEST ARGS...] # install, then ruff, mypy, lint-imports, pytest
    python3 scripts/bootstrap.py bundle                # install, then build the one-folder app

Needs only Python 3.11+. Idempotent: the virtual environment is reused, and packages are
installed again only when pyproject.toml changed. PyTorch is installed first and pinned, so
that a machine without an NVIDIA GPU never downloads the multi-gigabyte CUDA build. PySide6
is checked against its pin in pyproject.toml every time and replaced if it differs (6.12.0
aborts the app in a long session).
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import venv
from collections.abc import Callable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
TORCH = "torch==2.13.0"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# The render farm's tests start a two-node Ray cluster, which Ray allows only on Linux: there
# the test set-up installs the farm extra (Ray, ~285 MB), elsewhere those tests are skipped.
EXTRAS = {"app": "", "test": "[test,dev,farm]" if sys.platform.startswith("linux") else "[test,dev]",
          "bundle": "[build]"}
QT_PACKAGES = ("PySide6-Essentials", "shiboken6")  # pinned together in pyproject.toml (issue 16.1)


def _say(text: str) -> None:
    print(f"[bootstrap] {text}", flush=True)


def _venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _run(*args: str | Path, check: bool = True, env: dict[str, str] | None = None) -> int:
    return subprocess.run([str(a) for a in args], cwd=ROOT, check=check, env=env).returncode


def _pip(*args: str, check: bool = True) -> int:
    pip = (_venv_python(), "-m", "pip", "install", "--disable-pip-version-check", "-q")
    return _run(*pip, *args, check=check)


def _has_nvidia_gpu() -> bool:
    return shutil.which("nvidia-smi") is not None


def _install_torch() -> None:
    """torch 2.13.0, CPU-only unless this Linux machine has an NVIDIA GPU."""
    probe = "import torch, sys; sys.exit(0 if torch.__version__.startswith('2.13.0') else 1)"
    found = subprocess.run([str(_venv_python()), "-c", probe], stderr=subprocess.DEVNULL, check=False)
    if found.returncode == 0:
        return
    _say(f"installing {TORCH} ...")
    # A wheel in pip's configured --find-links folder (offline machines, CI caches) wins; its
    # own dependencies come from the index in the next step.
    if _pip("--no-index", "--no-deps", TORCH, check=False) == 0:
        return
    if sys.platform.startswith("linux") and not _has_nvidia_gpu():
        # The default Linux wheel is the CUDA build; PyTorch's CPU index has a +cpu wheel without
        # CUDA. Only torch itself comes from there (--no-deps): its dependencies are installed
        # with the project in the next step, from whatever index pip is configured to use.
        _pip("--no-deps", TORCH, "--index-url", TORCH_CPU_INDEX)
    else:
        _pip(TORCH)  # macOS (CPU/MPS), Windows (CPU) and Linux with a GPU


# System libraries that Qt 6's xcb platform plugin (PySide6/Qt/plugins/platforms/libqxcb.so and
# libQt6XcbQpa, read with ldd) loads, outside the ones every desktop has (libc, libstdc++): soname ->
# (Debian/Ubuntu package, Fedora package). A fresh Debian 12 lacks the first three.
XCB_LIBRARIES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
}


def _library_found(soname: str) -> bool:
    """Whether the dynamic loader finds ``soname``: the same search Qt's plugin loader gets
    (LD_LIBRARY_PATH, the ldconfig cache, the default folders)."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def needs_xcb(env: Mapping[str, str], platform_name: str) -> bool:
    """Whether Qt will use its xcb (X11) plugin: Linux, and no other platform chosen
    (QT_QPA_PLATFORM=offscreen/minimal/wayland...) and not a Wayland session."""
    if not platform_name.startswith("linux"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        return "xcb" in chosen.split(";")[:1]  # only the first choice must load; others are fallbacks
    return not (env.get("XDG_SESSION_TYPE") == "wayland" and env.get("WAYLAND_DISPLAY"))


def missing_gui_libraries(env: Mapping[str, str], platform_name: str | None = None,
                          found: Callable[[str], bool] | None = None) -> list[str]:
    """Sonames the window needs that this machine lacks (empty when nothing is missing)."""
    if not needs_xcb(env, platform_name or sys.platform):
        return []
    lookup = found or _library_found
    return [soname for soname in XCB_LIBRARIES if not lookup(soname)]


def missing_libraries_text(missing: list[str]) -> str:
    """What to tell the user: which libraries, and the one command that installs them."""
    debian = sorted({XCB_LIBRARIES[s][0] for s in missing})
    fedora = sorted({XCB_LIBRARIES[s][1] for s in missing})
    return (f"The window cannot open: Qt needs system libraries that are missing ({', '.join(missing)}).\n"
            f"  Debian/Ubuntu: sudo apt install {' '.join(debian)}\n"
            f"  Fedora:        sudo dnf install {' '.join(fedora)}\n"
            "Then run this command again.")


def pinned_qt_version(pyproject: Path | None = None) -> str:
    """The one PySide6 version the app runs with: pyproject.toml's exact pin of PySide6-Essentials
    (the comment there says why), read here so that the pin is written once."""
    import tomllib  # here, not at the top: an older Python must reach ensure_installed's message

    text = (pyproject or ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for requirement in tomllib.loads(text)["project"]["dependencies"]:
        name, _, version = requirement.replace(" ", "").partition("==")
        if name.lower() == QT_PACKAGES[0].lower() and version:
            return version
    raise SystemExit("pyproject.toml must pin PySide6-Essentials exactly (==): see the comment there.")


def installed_qt_versions() -> dict[str, str | None]:
    """The versions of :data:`QT_PACKAGES` in the Python running this (None: not installed)."""
    from importlib import metadata

    found: dict[str, str | None] = {}
    for name in QT_PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def qt_version_problem(installed: Mapping[str, str | None], pinned: str) -> str | None:
    """None when every Qt package is at the pinned version, else one line saying what to do.
    Any other version is refused, not only 6.12.0: only the pin is known to survive a long session."""
    wrong = [f"{name} {installed.get(name) or '(missing)'}" for name in QT_PACKAGES
             if installed.get(name) != pinned]
    if not wrong:
        return None
    return (f"{', '.join(wrong)} found, but NST Desktop needs {pinned}: PySide6 6.12.0 loses a reference "
            "to True on every signal and aborts the app (bool_dealloc). Install the pin: pip install "
            + " ".join(f"{name}=={pinned}" for name in QT_PACKAGES))


def _venv_qt_versions() -> dict[str, str | None]:
    probe = (f"import json, runpy; ns = runpy.run_path({str(Path(__file__).resolve())!r}); "
             "print(json.dumps(ns['installed_qt_versions']()))")
    out = subprocess.run([str(_venv_python()), "-c", probe], capture_output=True, text=True, check=False)
    try:
        found = json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return dict.fromkeys(QT_PACKAGES)
    return {name: found.get(name) for name in QT_PACKAGES}


def ensure_pinned_qt() -> None:
    """Put the pinned PySide6 in .venv even where pip kept another one (a venv made before the
    pin, or upgraded by hand): pip replaces a version the pin excludes, a downgrade included."""
    pinned = pinned_qt_version()
    if qt_version_problem(_venv_qt_versions(), pinned) is None:
        return
    _say(f"installing PySide6 {pinned} (other versions abort the app in a long session) ...")
    _pip(*(f"{name}=={pinned}" for name in QT_PACKAGES))
    problem = qt_version_problem(_venv_qt_versions(), pinned)
    if problem is not None:
        sys.exit(problem)


def ensure_installed(mode: str) -> None:
    """Create .venv if needed and install the project with the extras ``mode`` needs."""
    if sys.version_info < (3, 11):  # noqa: UP036 (this script may be started by an older Python)
        sys.exit(f"NST Desktop needs Python 3.11 or newer; this is {platform.python_version()}.")
    if not _venv_python().exists():
        _say(f"creating {VENV} ...")
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + TORCH.encode()).hexdigest()
    stamp = VENV / f".nst-desktop-{mode}.stamp"
    if not (stamp.exists() and stamp.read_text() == digest):
        started = time.monotonic()
        _install_torch()
        _say(f"installing NST Desktop{EXTRAS[mode]} (editable) ...")
        _pip("-e", f".{EXTRAS[mode]}")
        stamp.write_text(digest)
        _say(f"installed in {time.monotonic() - started:.0f} s")
    ensure_pinned_qt()  # checked every time (one short probe): a hand-upgraded PySide6 aborts the app


def run_checks(pytest_args: list[str]) -> int:
    """ruff, mypy (strict, all of nst_desktop/), lint-imports, pytest: all run; non-zero if any fails."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONDONTWRITEBYTECODE="1")
    py = str(_venv_python())
    checks = [
        ("ruff", [py, "-m", "ruff", "check", "."]),
        ("mypy", [py, "-m", "mypy"]),  # files and --strict come from pyproject.toml
        ("lint-imports", [str(_venv_python().with_name("lint-imports"))]),
        ("pytest", [py, "-m", "pytest", "-q", *pytest_args]),
    ]
    results = []
    for name, cmd in checks:
        _say(f"--- {name}")
        started = time.monotonic()
        rc = subprocess.run(cmd, cwd=ROOT, env=env).returncode
        if name == "pytest" and rc == 5:
            _say("pytest collected no tests: treated as a failure")
        results.append((name, rc, time.monotonic() - started))
    _say("summary: " + ", ".join(f"{n} {'ok' if rc == 0 else f'FAILED ({rc})'} {t:.0f}s"
                                  for n, rc, t in results))
    return next((rc for _n, rc, _t in results if rc != 0), 0)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in EXTRAS:
        print(__doc__, file=sys.stderr)
        return 2
    mode, rest = argv[0], argv[1:]
    if mode == "app" and "--self-test" not in rest:
        # Checked before the install, so a missing library costs seconds, not the install's minutes;
        # otherwise Qt aborts later with "could not load the Qt platform plugin xcb".
        missing = missing_gui_libraries(os.environ)
        if missing:
            print(missing_libraries_text(missing), file=sys.stderr)
            return 1
    ensure_installed(mode)
    if mode == "test":
        return run_checks(rest)
    if mode == "bundle":
        return _run("bash", ROOT / "scripts" / "build_bundle.sh", check=False)
    return _run(_venv_python(), "-c", "import sys; from nst_desktop.gui.app import main; sys.exit(main())",
                *rest, check=False)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
