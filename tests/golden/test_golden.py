"""The golden set (issue 17.7): every recipe still paints its recorded picture, bit for bit.

A refactor must not change a single bit of any recipe's picture (tests/golden/recipes.py says
what each covers). The hashes hold on the machine they were recorded on only: elsewhere (another
CPU's kernels, another torch) every test here is skipped with both fingerprints and the command
that records the set for that machine, shown by pytest's ``-ra`` summary (on in pyproject.toml).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.golden import recipes as golden
from tests.golden.recipes import RECIPES, RECORD_COMMAND, Recipe, fingerprint, hashes
from tests.golden.record import change_of, load_golden

GOLDEN = load_golden()


@pytest.fixture(scope="module")
def recorded_here() -> dict[str, Any]:
    """The recorded hashes, when they were recorded on a machine like this one; else a loud skip."""
    reason = golden.mismatch(GOLDEN["fingerprint"], fingerprint())
    if reason is not None:
        pytest.skip(reason)
    recipes: dict[str, Any] = GOLDEN["recipes"]
    return recipes


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda recipe: recipe.name)
def test_the_picture_is_bit_identical(recipe: Recipe, recorded_here: dict[str, Any]) -> None:
    recorded = recorded_here.get(recipe.name)
    assert recorded is not None, f"{recipe.name} is not in the golden set: record it with `{RECORD_COMMAND}`"
    painted = hashes(recipe)
    assert painted["float32"] == recorded["float32"], (
        f"golden recipe {recipe.name!r} ({recipe.covers}) {change_of(recorded, painted)}. Only an intended "
        f"change of pictures may re-record it (`{RECORD_COMMAND}`), and its commit says so.")


def test_the_set_has_every_recipe_and_nothing_else() -> None:
    assert sorted(GOLDEN["recipes"]) == sorted(recipe.name for recipe in RECIPES)
    assert len(RECIPES) >= 12


def test_each_recipe_paints_its_own_picture() -> None:
    """No two recipes paint the same picture, so none of them silently stopped taking its path (a
    preset, a loss, a mask, an edit or a promote that no longer changes anything shows up here as
    the same hash as another recipe). Only the recipes equal by definition share a hash."""
    by_hash: dict[str, list[str]] = {}
    for name, recorded in GOLDEN["recipes"].items():
        by_hash.setdefault(recorded["float32"], []).append(name)
    shared = sorted(sorted(names) for names in by_hash.values() if len(names) > 1)
    assert shared == sorted(sorted(names) for names in golden.RECIPE_ALIASES)


def test_another_machine_is_named_in_a_skip_never_checked_against_these_hashes() -> None:
    here = fingerprint()
    assert golden.mismatch(dict(here), here) is None
    elsewhere = {**here, "cpu_flags": [*here["cpu_flags"], "amx_bf16"], "torch": "9.9.9"}
    reason = golden.mismatch(elsewhere, here)
    assert reason is not None and reason.startswith("GOLDEN SET NOT CHECKED")
    assert "differs in cpu_flags, torch" in reason and "9.9.9" in reason and here["torch"] in reason
    assert RECORD_COMMAND in reason
    assert golden.mismatch(None, here) is not None  # no set recorded yet


def test_a_change_says_whether_it_shows_in_the_8_bit_picture() -> None:
    old = {"float32": "a", "uint8": "b"}
    assert change_of(old, dict(old)) == "unchanged"
    assert change_of(old, {"float32": "c", "uint8": "b"}).startswith("CHANGED in the last bits")
    assert change_of(old, {"float32": "c", "uint8": "d"}).startswith("CHANGED visibly")
    assert change_of(None, old) == "new"
