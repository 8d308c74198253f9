"""No merge-conflict markers are left in the project's text files (a merge once left them in
benchmarks/RESULTS.md, where no other test reads)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^(<{7} |={7}$|>{7} )", re.MULTILINE)
TEXT_SUFFIXES = {".py", ".md", ".toml", ".cfg", ".txt", ".spec", ".yml", ".yaml", ".json", ".sh", ""}


def _tracked_text_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / n for n in names.splitlines() if Path(n).suffix in TEXT_SUFFIXES and (ROOT / n).is_file()]


def test_no_tracked_text_file_holds_a_conflict_marker() -> None:
    marked = [str(p.relative_to(ROOT)) for p in _tracked_text_files()
              if MARKER.search(p.read_text(encoding="utf-8", errors="replace"))]
    assert marked == []
