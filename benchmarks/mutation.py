"""Mutation testing of the engine and io layers with mutmut: do the tests notice a changed line?

mutmut changes one thing at a time in the code under test (``<`` to ``<=``, ``+`` to ``-``, a
constant, a string, a dropped argument ...) and runs the tests that reach the changed function;
a mutant the tests do not fail on "survives" and is either an equivalent change (no behaviour
differs) or a missing test. The run happens in a copy of the working tree (tracked and
untracked, not ignored files; or of a commit, ``--ref``) under ``benchmarks/out/mutation/``
(replaced by the next run) so that neither the mutated
copies mutmut writes (``mutants/``) nor its cache ever touch the working tree, and so that
other work going on in the tree does not change the code under test half-way.

Fast test selection: only ``tests/engine`` and ``tests/io``, ``-x``; torch is not fork-safe
once it has run, so mutmut's fork server runs each mutant's tests in a fresh fork of a
process that only imported and collected them (``process_isolation = "forkserver"``).

    python benchmarks/mutation.py                         # default scope (207 mutants, ~25 min)
    python benchmarks/mutation.py --scope nst_desktop/engine/spec/schedule.py --max-children 2
    python benchmarks/mutation.py --scope nst_desktop/engine/losses/terms.py \
        --only 'nst_desktop.engine.losses.terms.x_tv_loss*'    # one function's mutants
    python benchmarks/mutation.py --ref HEAD --with tests/engine/test_new.py   # a commit + new tests
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
#: What a ~25 minute run on 2 busy cores affords. The whole of engine/ and io/ is ~15x that
#: (losses.py alone has 286 mutants, io/metadata.py 312): pass them with --scope/--only.
DEFAULT_SCOPE = (
    "nst_desktop/engine/spec/schedule.py",
    "nst_desktop/engine/losses/colour.py",
)
TESTS = ("tests/engine", "tests/io")


def copy_tree(dest: Path, ref: str | None, extra: list[str]) -> int:
    """Copy the working tree's tracked and untracked-but-not-ignored files to ``dest``, or the
    commit ``ref`` plus the working tree's copies of the ``extra`` files."""
    if dest.exists():
        shutil.rmtree(dest)
    if ref is not None:
        dest.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", ref], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        for name in extra:
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
        return sum(1 for p in dest.rglob("*") if p.is_file())
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


def mutmut_config(scope: list[str], ignore: list[str]) -> str:
    """The [tool.mutmut] section appended to the copy's pyproject.toml."""
    def toml_list(items: list[str] | tuple[str, ...]) -> str:
        return "[" + ", ".join(json.dumps(i) for i in items) + "]"

    return "\n".join([
        "", "[tool.mutmut]",
        'source_paths = ["nst_desktop"]',
        f"only_mutate = {toml_list(scope)}",
        f"pytest_add_cli_args_test_selection = {toml_list(TESTS)}",
        f"pytest_add_cli_args = {toml_list(['-x', '-q', '-p', 'no:cacheprovider', *ignore])}",
        # mutmut's default timeout (15x a mutant's tests' normal time) stays: on a busy machine
        # a forked child that first loads the weights can take 5x, and would pass for a kill.
        'process_isolation = "forkserver"',
        'also_copy = ["resources"]',  # the sample images the engine tests paint with
        "use_git_change_detection = false",
        "",
    ])


ENV = dict(os.environ, QT_QPA_PLATFORM="offscreen", OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def run_mutmut(workdir: Path, max_children: int, only: list[str]) -> tuple[int, float]:
    """(mutmut's exit status, seconds); ``only``: mutant name patterns (all when empty)."""
    mutmut = Path(sys.executable).with_name("mutmut")
    start = time.perf_counter()
    done = subprocess.run([str(mutmut), "run", "--max-children", str(max_children), *only], cwd=workdir,
                          env=ENV, check=False)
    return done.returncode, time.perf_counter() - start


def show_failing_tests(workdir: Path, ignore: list[str]) -> None:
    """mutmut only says that the unmutated tests failed; show which (the score would be void)."""
    print("\nThe tests fail on the unmutated copy, so no mutant can be judged:", flush=True)
    subprocess.run([sys.executable, "-m", "pytest", *TESTS, "-x", "-q", "-p", "no:cacheprovider", *ignore],
                   cwd=workdir, env=ENV, check=False)


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
    # Timeouts are detected mutants too (a mutant that loops forever), but worth a look.
    survivors = [describe(workdir, n) for n, s in sorted(statuses.items())
                 if s not in ("killed", "not checked")]
    checked = len(statuses) - counts.get("not checked", 0)
    summary: dict[str, object] = {"scope": scope, "tests": list(TESTS), "counts": counts,
                                  "killed": counts.get("killed", 0), "total": checked,
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
    parser.add_argument("--only", nargs="+", default=[],
                        help="mutant name patterns, e.g. 'nst_desktop.engine.losses.terms.x_tv_loss*'")
    parser.add_argument("--ref", help="mutate this commit (e.g. HEAD) instead of the working tree: "
                        "other work in progress may leave the tree's tests failing")
    parser.add_argument("--with", dest="extra", nargs="+", default=[], metavar="FILE",
                        help="with --ref: working-tree files to use instead of the commit's (new tests)")
    parser.add_argument("--ignore", nargs="+", default=[], metavar="TEST_FILE",
                        help="test files to leave out (e.g. one that fails for unrelated work in progress)")
    parser.add_argument("--report", action="store_true", help="only summarise the last run")
    args = parser.parse_args()
    if args.report:
        scope = json.loads((args.workdir / "summary.json").read_text())["scope"] \
            if (args.workdir / "summary.json").is_file() else args.scope
        report(args.workdir, scope, None)
        return 0
    ignore = [f"--ignore={name}" for name in args.ignore]
    files = copy_tree(args.workdir, args.ref, args.extra)
    with (args.workdir / "pyproject.toml").open("a") as f:
        f.write(mutmut_config(args.scope, ignore))
    what = f"{args.ref} + {' '.join(args.extra)}" if args.ref else "the working tree"
    print(f"copied {files} files of {what} to {args.workdir}; mutating {', '.join(args.scope)}", flush=True)
    status, seconds = run_mutmut(args.workdir, args.max_children, args.only)
    summary = report(args.workdir, args.scope, seconds)
    if status != 0 or not summary["total"]:
        show_failing_tests(args.workdir, ignore)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
