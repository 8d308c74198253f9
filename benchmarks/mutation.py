"""Mutation testing of the engine and io layers with mutmut: do the tests notice a changed line?

mutmut changes one thing at a time in the code under test (``<`` to ``<=``, ``+`` to ``-``, a
constant, a string, a dropped argument ...) and runs the tests that reach the changed function;
a mutant the tests do not fail on "survives" and is either an equivalent change (no behaviour
differs) or a missing test. The run happens in a copy of the working tree (tracked and
untracked, not ignored files) under ``benchmarks/out/mutation/`` so that neither the mutated
copies mutmut writes (``mutants/``) nor its cache ever touch the working tree, and so that
other work going on in the tree does not change the code under test half-way.

Fast test selection: only ``tests/engine`` and ``tests/io``, ``-x``; torch is not fork-safe
once it has run, so mutmut's fork server runs each mutant's tests in a fresh fork of a
process that only imported and collected them (``process_isolation = "forkserver"``).

    python benchmarks/mutation.py                         # default scope (~20 min, 2 busy cores)
    python benchmarks/mutation.py --scope nst_desktop/engine/schedule.py --max-children 2
    python benchmarks/mutation.py --report               # summarise the last run again

Writes ``benchmarks/out/mutation/summary.json`` and prints the score and every survivor
(file:line, the mutated line) for RESULTS.md. Needs ``pip install -e .[dev]`` (mutmut).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKDIR = ROOT / "benchmarks" / "out" / "mutation"
DEFAULT_SCOPE = (
    "nst_desktop/engine/losses.py",
    "nst_desktop/engine/schedule.py",
    "nst_desktop/engine/colour.py",
    "nst_desktop/io/metadata.py",
)
TESTS = ("tests/engine", "tests/io")


def copy_tree(dest: Path) -> int:
    """Copy the working tree's tracked and untracked-but-not-ignored files to ``dest``."""
    if dest.exists():
        shutil.rmtree(dest)
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, check=True, capture_output=True).stdout.decode()
    count = 0
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # deleted-but-tracked files are listed too
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
            count += 1
    return count


def mutmut_config(scope: list[str]) -> str:
    """The [tool.mutmut] section appended to the copy's pyproject.toml."""
    def toml_list(items: list[str] | tuple[str, ...]) -> str:
        return "[" + ", ".join(json.dumps(i) for i in items) + "]"

    return "\n".join([
        "", "[tool.mutmut]",
        'source_paths = ["nst_desktop"]',
        f"only_mutate = {toml_list(scope)}",
        f"pytest_add_cli_args_test_selection = {toml_list(TESTS)}",
        'pytest_add_cli_args = ["-x", "-q", "-p", "no:cacheprovider"]',
        'process_isolation = "forkserver"',
        'also_copy = ["resources"]',  # the sample images the engine tests paint with
        "use_git_change_detection = false",
        "",
    ])


def run_mutmut(workdir: Path, max_children: int) -> float:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    mutmut = Path(sys.executable).with_name("mutmut")
    start = time.perf_counter()
    subprocess.run([str(mutmut), "run", "--max-children", str(max_children)], cwd=workdir, env=env,
                   check=False)
    return time.perf_counter() - start


def results(workdir: Path) -> dict[str, str]:
    """Mutant name -> status (killed, survived, timeout, suspicious, no tests, ...)."""
    out = subprocess.run([str(Path(sys.executable).with_name("mutmut")), "results", "--all", "true"],
                         cwd=workdir, check=True, capture_output=True, text=True).stdout
    statuses = {}
    for line in out.splitlines():
        match = re.match(r"^\s*([\w.]+__mutmut_\d+):\s*(.+?)\s*$", line)
        if match:
            statuses[match.group(1)] = match.group(2)
    return statuses


def describe(workdir: Path, name: str) -> dict[str, str]:
    """file:line and the original and mutated lines of one mutant, from ``mutmut show``."""
    diff = subprocess.run([str(Path(sys.executable).with_name("mutmut")), "show", name], cwd=workdir,
                          check=True, capture_output=True, text=True).stdout
    module = name.split(".x", 1)[0] if ".x" in name else name.rsplit(".", 1)[0]
    path = module.replace(".", "/") + ".py"
    removed = [ln[1:] for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    added = [ln[1:] for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    line = ""
    source = workdir / path
    if removed and source.is_file():
        wanted = removed[0].strip()
        for number, text in enumerate(source.read_text().splitlines(), 1):
            if text.strip() == wanted:
                line = str(number)
                break
    return {"name": name, "where": f"{path}:{line}", "original": " / ".join(s.strip() for s in removed),
            "mutant": " / ".join(s.strip() for s in added)}


def report(workdir: Path, scope: list[str], seconds: float | None) -> dict[str, object]:
    statuses = results(workdir)
    counts: dict[str, int] = {}
    for status in statuses.values():
        counts[status] = counts.get(status, 0) + 1
    survivors = [describe(workdir, n) for n, s in sorted(statuses.items()) if s != "killed"]
    summary: dict[str, object] = {"scope": scope, "tests": list(TESTS), "counts": counts,
                                  "killed": counts.get("killed", 0), "total": len(statuses),
                                  "seconds": seconds, "not_killed": survivors}
    if seconds is None and (workdir / "summary.json").is_file():
        summary["seconds"] = json.loads((workdir / "summary.json").read_text()).get("seconds")
    (workdir / "summary.json").write_text(json.dumps(summary, indent=2))
    print(f"\nscope: {', '.join(scope)}; tests: {' '.join(TESTS)} -x")
    print(f"score: {summary['killed']}/{summary['total']} killed  {counts}")
    for s in survivors:
        print(f"  {statuses[s['name']]:>10}  {s['where']:<40} {s['original']}  ->  {s['mutant']}")
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scope", nargs="+", default=list(DEFAULT_SCOPE), help="files to mutate")
    parser.add_argument("--max-children", type=int, default=2, help="mutants tested in parallel")
    parser.add_argument("--workdir", type=Path, default=WORKDIR)
    parser.add_argument("--report", action="store_true", help="only summarise the last run")
    args = parser.parse_args()
    if args.report:
        scope = json.loads((args.workdir / "summary.json").read_text())["scope"] \
            if (args.workdir / "summary.json").is_file() else args.scope
        report(args.workdir, scope, None)
        return 0
    files = copy_tree(args.workdir)
    with (args.workdir / "pyproject.toml").open("a") as f:
        f.write(mutmut_config(args.scope))
    print(f"copied {files} files to {args.workdir}; mutating {', '.join(args.scope)}", flush=True)
    seconds = run_mutmut(args.workdir, args.max_children)
    report(args.workdir, args.scope, seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
