"""docs/ARCHITECTURE.md keeps up with the code: one line per module, and every import contract named.

A module added, renamed or deleted without its line in the doc fails here, as does a line left
behind for a module that is gone. Text only (no imports of the package): milliseconds.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "nst_desktop"
DOC = ROOT / "docs" / "ARCHITECTURE.md"
# A module's line: "- `engine/run/stylize.py` — what it is for."
MODULE_LINE = re.compile(r"^- `([\w/]+\.py)` — (.+)$")
MAX_WORDS = 30  # "one sentence (about 25 words)": a paragraph in a module's line belongs in its docstring


def _worth_a_line(path: Path) -> bool:
    """A module, or an ``__init__.py`` holding more than a docstring, imports and ``__all__``."""
    if path.name != "__init__.py":
        return True
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["__all__"]:
            continue
        return True
    return False


def _modules() -> set[str]:
    return {path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py") if _worth_a_line(path)}


def _module_lines() -> list[tuple[str, str]]:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    return [(m.group(1), m.group(2)) for m in map(MODULE_LINE.match, lines) if m]


def test_every_module_has_exactly_one_line() -> None:
    named = Counter(module for module, _ in _module_lines())
    missing = sorted(_modules() - set(named))
    gone = sorted(set(named) - _modules())
    twice = sorted(module for module, count in named.items() if count > 1)
    assert not missing, f"modules without a line in {DOC.name}: {missing}"
    assert not gone, f"lines in {DOC.name} for modules that do not exist: {gone}"
    assert not twice, f"modules with more than one line in {DOC.name}: {twice}"


def test_each_module_line_is_one_short_sentence() -> None:
    long = [module for module, text in _module_lines() if len(text.split()) > MAX_WORDS]
    assert not long, f"lines over {MAX_WORDS} words (put the detail in the module's docstring): {long}"


def test_every_import_contract_is_named() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    names = [contract["name"] for contract in config["tool"]["importlinter"]["contracts"]]
    doc = DOC.read_text(encoding="utf-8")
    assert names, "no import-linter contracts found in pyproject.toml"
    missing = [name for name in names if f'"{name}"' not in doc]
    assert not missing, f"import-linter contracts not named in {DOC.name}: {missing}"


def test_init_rule_keeps_code_and_drops_reexports(tmp_path: Path) -> None:
    reexports = tmp_path / "__init__.py"
    reexports.write_text('"""Doc."""\nfrom a import b\n\n__all__ = ["b"]\n', encoding="utf-8")
    assert not _worth_a_line(reexports)
    reexports.write_text('"""Doc."""\n\n__version__ = "1"\n', encoding="utf-8")
    assert _worth_a_line(reexports)
    assert _worth_a_line(PACKAGE / "cli" / "__init__.py")  # build_parser and main live there
