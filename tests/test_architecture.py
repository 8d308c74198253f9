"""Architecture rules checked on the source itself (import-linter checks the layers too).

Each rule walks every module of ``nst_desktop/`` with :mod:`ast`, so a rule cannot be
dodged by a lazy import inside a function.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "nst_desktop"
QT_MODULES = ("PySide6", "shiboken6", "superqt")
# What each layer must never import (engine < io < service < recipe < queue < farm < cli < gui).
FORBIDDEN_BY_LAYER = {
    "engine": ("nst_desktop.io", "nst_desktop.service", "nst_desktop.cli", "nst_desktop.gui",
               "nst_desktop.selftest", "nst_desktop.queue"),
    "io": ("nst_desktop.service", "nst_desktop.cli", "nst_desktop.gui", "nst_desktop.selftest",
           "nst_desktop.queue"),
    "service": ("nst_desktop.cli", "nst_desktop.gui", "nst_desktop.selftest", "nst_desktop.queue"),
    "queue": ("nst_desktop.cli", "nst_desktop.gui", "nst_desktop.selftest", "nst_desktop.farm"),
    "farm": ("nst_desktop.cli", "nst_desktop.gui", "nst_desktop.selftest"),
    "cli": ("nst_desktop.gui",),
}
# The only modules that may import Ray: the farm's server side (the bundle carries no Ray).
RAY_MODULES = ("farm/service.py", "farm/tasks.py", "farm/jobs.py")


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _layer(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(tree: ast.AST, path: Path) -> Iterator[tuple[str, int]]:
    """Absolute names of every imported module, relative imports resolved."""
    package = ["nst_desktop", *path.relative_to(PACKAGE).parent.parts]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            yield module, node.lineno
            for alias in node.names:  # "from nst_desktop import gui" imports the gui package
                yield f"{module}.{alias.name}", node.lineno


def _parse(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_package_is_found() -> None:
    layers = {_layer(p) for p in _modules()}
    assert {"engine", "io", "service", "cli", "gui"} <= layers


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_rules(path: Path) -> None:
    tree = _parse(path)
    layer = _layer(path)
    problems = []
    for name, line in _imports(tree, path):
        if layer != "gui" and any(_matches(name, qt) for qt in QT_MODULES):
            problems.append(f"line {line}: Qt import {name} outside nst_desktop/gui")
        if _matches(name, "ray") and str(path.relative_to(PACKAGE)) not in RAY_MODULES:
            problems.append(f"line {line}: Ray import {name} outside the farm's server side {RAY_MODULES}")
        if _matches(name, "torchvision"):
            problems.append(f"line {line}: torchvision import {name} (no CPU wheel; never import it)")
        for forbidden in FORBIDDEN_BY_LAYER.get(layer, ()):
            if _matches(name, forbidden):
                problems.append(f"line {line}: layer {layer} imports {name}")
    assert not problems, f"{path.relative_to(PACKAGE)}: " + "; ".join(problems)


def _is_call_to(node: ast.Call, name: str) -> bool:
    func = node.func
    return (isinstance(func, ast.Attribute) and func.attr == name) or (
        isinstance(func, ast.Name) and func.id == name
    )


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_torch_load_is_weights_only(path: Path) -> None:
    bad = []
    for node in ast.walk(_parse(path)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "load" \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "torch":
            safe = any(k.arg == "weights_only" and isinstance(k.value, ast.Constant) and k.value.value is True
                       for k in node.keywords)
            if not safe:
                bad.append(node.lineno)
    assert not bad, f"{path.relative_to(PACKAGE)}: torch.load without weights_only=True at lines {bad}"


@pytest.mark.parametrize(
    "path", [p for p in _modules() if _layer(p) == "engine"], ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_engine_never_prints(path: Path) -> None:
    lines = [n.lineno for n in ast.walk(_parse(path)) if isinstance(n, ast.Call) and _is_call_to(n, "print")
             and isinstance(n.func, ast.Name)]
    assert not lines, f"{path.relative_to(PACKAGE)}: print() at lines {lines}; use logging"


def test_rules_catch_violations() -> None:
    """The checkers themselves must flag a bad module (else the tests above prove nothing)."""
    fake = PACKAGE / "engine" / "fake.py"
    tree = ast.parse("import torch\nfrom PySide6 import QtCore\nfrom ..io import images\n"
                     "def f():\n    import torchvision\n    print(torch.load('x'))\n")
    names = {name for name, _ in _imports(tree, fake)}
    assert "PySide6" in names and "torchvision" in names and "nst_desktop.io" in names
    loads = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _is_call_to(n, "load")]
    assert loads and not loads[0].keywords
    assert any(isinstance(n, ast.Call) and _is_call_to(n, "print") for n in ast.walk(tree))
