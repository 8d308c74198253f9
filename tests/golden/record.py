"""Rewrite ``tests/golden/golden.json``: paint every recipe, print which pictures changed.

    python -m tests.golden.record            # from the repository root

Re-recording is allowed only for an intended change of pictures, and the commit says which
recipes changed and why (docs/ARCHITECTURE.md, "The golden set"). A recipe is painted twice
and nothing is written when the two hashes differ: a hash that does not repeat is useless.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from tests.golden.recipes import GOLDEN_FILE, RECIPES, RECORD_COMMAND, Recipe, fingerprint, hashes

ABOUT = (f"Hashes of the golden recipes' pictures (tests/golden/recipes.py), checked by test_golden.py on "
         f"the machine of 'fingerprint' only. Written by `{RECORD_COMMAND}`: only for an intended change of "
         f"pictures, said in the commit (docs/ARCHITECTURE.md, 'The golden set').")


def load_golden() -> dict[str, Any]:
    """The recorded set; an empty one when there is no file yet."""
    if not GOLDEN_FILE.is_file():
        return {"fingerprint": None, "recipes": {}}
    data: dict[str, Any] = json.loads(GOLDEN_FILE.read_text(encoding="utf-8"))
    return data


def change_of(old: dict[str, str] | None, new: dict[str, str]) -> str:
    """One word or phrase: how a recipe's picture compares with the recorded one."""
    if old is None:
        return "new"
    if old["float32"] == new["float32"]:
        return "unchanged"
    return "CHANGED in the last bits (8-bit picture the same)" if old["uint8"] == new["uint8"] \
        else "CHANGED visibly (8-bit picture differs)"


def _painted(recipe: Recipe, repeat: int) -> dict[str, str]:
    first = hashes(recipe)
    for _ in range(repeat - 1):
        if hashes(recipe) != first:
            raise SystemExit(f"{recipe.name}: two paintings of the same recipe differ; nothing written.")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.golden.record", description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2, help="paintings per recipe that must agree (2)")
    parser.add_argument("--dry-run", action="store_true", help="print the changes, write nothing")
    args = parser.parse_args(argv)
    old, here = load_golden(), fingerprint()
    if old["fingerprint"] not in (None, here):
        print(f"machine fingerprint changed:\n  was  {old['fingerprint']}\n  now  {here}")
    recipes: dict[str, dict[str, str]] = {}
    for recipe in RECIPES:
        start = time.perf_counter()
        recipes[recipe.name] = {"covers": recipe.covers, **_painted(recipe, max(1, args.repeat))}
        change = change_of(old["recipes"].get(recipe.name), recipes[recipe.name])
        print(f"{recipe.name:18s} {time.perf_counter() - start:5.1f} s  {change}", flush=True)
    for name in sorted(set(old["recipes"]) - set(recipes)):
        print(f"{name:18s} removed")
    if not args.dry_run:
        golden = {"about": ABOUT, "fingerprint": here, "recipes": recipes}
        GOLDEN_FILE.write_text(json.dumps(golden, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {GOLDEN_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
