"""The app bundle never carries Ray (issue 19): build.spec excludes it and the farm's server side."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


class _AnalysedError(Exception):
    def __init__(self, options: dict[str, Any]) -> None:
        super().__init__("Analysis")
        self.options = options


def _analysis(*_args: Any, **options: Any) -> None:
    raise _AnalysedError(options)


def test_build_spec_excludes_ray_and_the_farm_server() -> None:
    saved = list(sys.path)
    code = compile((ROOT / "build.spec").read_text(encoding="utf-8"), "build.spec", "exec")
    try:
        with pytest.raises(_AnalysedError) as analysed:
            exec(code, {"SPECPATH": str(ROOT), "__name__": "build_spec", "Analysis": _analysis})
    finally:
        sys.path[:] = saved
    excludes = analysed.value.options["excludes"]
    server_side = {"ray", "nst_desktop.farm.service", "nst_desktop.farm.tasks", "nst_desktop.farm.jobs"}
    assert server_side <= set(excludes)
