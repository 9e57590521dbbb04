"""Mutation testing: seed one small bug at a time into the package and count how many the test suite catches.

    python bench/mutation.py                      # the whole package
    python bench/mutation.py parsers/shell.py     # one module (paths under fly_cluster_lint/)
    python bench/mutation.py --jobs 2 --limit 50  # two workers, at most 50 mutants per module

Not part of CI's default run (it takes a while). Needs `coverage` (pip install coverage).

How: the suite runs once under coverage with one context per test (the CLI tests' subprocesses included, named
by PYTEST_CURRENT_TEST), which says which tests execute each line. Then each mutant (a negated condition, a
swapped comparison or boolean operator, `not` dropped, an integer off by one, True/False swapped, a string the
code matches changed, `continue`/`break` dropped) is written into a private copy of the repository, and only the
tests that execute its line run (-x, stop at the first failure). A mutant is *killed* when a test fails (or the
run times out), *survives* when they all pass, and is *uncovered* when no test executes its line (counted as
surviving). The score per area (the package's folders: parsers, model, checks, reporters, fixes, and the
top-level modules such as discovery and suppressions) is killed / (killed + survived).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "fly_cluster_lint"
SWAPS = {ast.Eq: "!=", ast.NotEq: "==", ast.Lt: ">=", ast.GtE: "<", ast.Gt: "<=", ast.LtE: ">", ast.In: "not in",
         ast.NotIn: "in", ast.Is: "is not", ast.IsNot: "is"}
SKIP_STRINGS = 3  # strings shorter than this (separators, quotes) are left alone


class Mutant:
    __slots__ = ("module", "line", "start", "end", "replacement", "description", "outcome")

    def __init__(self, module: str, line: int, start: int, end: int, replacement: str, description: str) -> None:
        self.module, self.line, self.start, self.end = module, line, start, end
        self.replacement, self.description, self.outcome = replacement, description, None


def _offsets(text: str) -> list[int]:
    out, total = [0], 0
    for line in text.splitlines(keepends=True):
        total += len(line)
        out.append(total)
    return out


def mutants(module: str) -> list[Mutant]:
    """Every mutant of one module (a path relative to the package), at exact source positions."""
    path = PACKAGE / module
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    starts = _offsets(text)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}

    def at(node) -> tuple[int, int]:
        return starts[node.lineno - 1] + node.col_offset, starts[node.end_lineno - 1] + node.end_col_offset

    out: list[Mutant] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in SWAPS:
            left_end = at(node.left)[1]
            right_start = at(node.comparators[0])[0]
            between = text[left_end:right_start]
            op = SWAPS[type(node.ops[0])]
            out.append(Mutant(module, node.lineno, left_end, right_start, f" {op} ",
                              f"`{between.strip()}` -> `{op}`"))
        elif isinstance(node, ast.BoolOp) and len(node.values) == 2:
            left_end = at(node.values[0])[1]
            right_start = at(node.values[1])[0]
            op = " or " if isinstance(node.op, ast.And) else " and "
            out.append(Mutant(module, node.lineno, left_end, right_start, op,
                              f"`{text[left_end:right_start].strip()}` -> `{op.strip()}`"))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            start, end = at(node)
            operand = at(node.operand)
            out.append(Mutant(module, node.lineno, start, operand[0], "", "`not` dropped"))
        elif isinstance(node, (ast.If, ast.While)) and not isinstance(node.test, ast.UnaryOp):
            start, end = at(node.test)
            out.append(Mutant(module, node.lineno, start, end, f"not ({text[start:end]})", "condition negated"))
        elif isinstance(node, ast.Constant) and id(node) not in docstrings:
            start, end = at(node)
            if isinstance(node.value, bool):
                out.append(Mutant(module, node.lineno, start, end, str(not node.value), f"{node.value} -> {not node.value}"))
            elif isinstance(node.value, int) and text[start:end].isdigit():
                out.append(Mutant(module, node.lineno, start, end, str(node.value + 1), f"{node.value} -> {node.value + 1}"))
            elif isinstance(node.value, str) and len(node.value) >= SKIP_STRINGS and text[start:end][:1] in "\"'" \
                    and "\n" not in text[start:end] and not text[start:end].startswith(('"""', "'''")):
                quote = text[start:end][0]
                if text[start:end].endswith(quote) and quote not in node.value and "\\" not in text[start:end]:
                    out.append(Mutant(module, node.lineno, start, end, f"{quote}{node.value}_X{quote}",
                                      f"string {text[start:end][:30]} changed"))
        elif isinstance(node, (ast.Continue, ast.Break)):
            start, end = at(node)
            out.append(Mutant(module, node.lineno, start, end, "pass", f"`{text[start:end]}` dropped"))
    # f-strings and the like were skipped; keep only mutants whose text really parses
    kept = []
    for mutant in out:
        changed = text[:mutant.start] + mutant.replacement + text[mutant.end:]
        try:
            ast.parse(changed)
        except SyntaxError:
            continue
        kept.append(mutant)
    return sorted(kept, key=lambda m: (m.line, m.start))


# -- which tests run each line ----------------------------------------------------------------------------------

def coverage_map(python: str, cache: Path) -> dict:
    """{"fly_cluster_lint/x.py": {line: [test node ids]}}, from one coverage run of the suite (cached)."""
    if cache.exists():
        return json.loads(cache.read_text())
    work = Path(tempfile.mkdtemp(prefix="fcl-cov-"))
    rc = work / ".coveragerc"
    rc.write_text(f"[run]\nbranch = false\nparallel = true\ndata_file = {work}/.coverage\n"
                  f"source = fly_cluster_lint\ncontext = ${{FCL_COVERAGE_CONTEXT-}}\n")
    (work / "sitecustomize.py").write_text("import coverage\ncoverage.process_startup()\n")
    env = {**os.environ, "COVERAGE_PROCESS_START": str(rc), "PYTHONPATH": f"{work}{os.pathsep}{ROOT}",
           }
    env.pop("GITHUB_ACTIONS", None)
    plugin = work / "fcl_context.py"
    plugin.write_text(
        "import os, coverage\n\n"
        "def pytest_runtest_setup(item):\n"
        "    os.environ['FCL_COVERAGE_CONTEXT'] = item.nodeid\n"
        "    cov = coverage.Coverage.current()\n"
        "    if cov is not None:\n"
        "        cov.switch_context(item.nodeid)\n")
    subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "fcl_context", "-m", "not slow and not beam",
                    "--ignore=tests/lab"], cwd=ROOT, env=env, check=False)
    subprocess.run([python, "-m", "coverage", "combine", f"--rcfile={rc}"], cwd=work, env=env, check=True,
                   capture_output=True)
    report = work / "coverage.json"
    subprocess.run([python, "-m", "coverage", "json", f"--rcfile={rc}", "--show-contexts", "-o", str(report)],
                   cwd=work, env=env, check=True, capture_output=True)
    data = json.loads(report.read_text())
    out: dict = {}
    for name, info in data["files"].items():
        rel = Path(name).resolve()
        try:
            key = rel.relative_to(PACKAGE).as_posix()
        except ValueError:
            continue
        out[key] = {line: sorted({part for c in contexts for part in c.split("|") if "::" in part})
                    for line, contexts in info.get("contexts", {}).items()}
    cache.write_text(json.dumps(out))
    shutil.rmtree(work, ignore_errors=True)
    return out


# -- running mutants --------------------------------------------------------------------------------------------

def _copy(dest: Path) -> Path:
    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", "build",
                                                              "dist", ".pytest_cache", "lab"))
    return dest


def run_mutant(python: str, workspace: Path, mutant: Mutant, tests: list[str], timeout: float) -> str:
    target = workspace / "fly_cluster_lint" / mutant.module
    original = target.read_text(encoding="utf-8")
    target.write_text(original[:mutant.start] + mutant.replacement + original[mutant.end:], encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(workspace), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("GITHUB_ACTIONS", None)
    try:
        proc = subprocess.run([python, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests], cwd=workspace,
                              env=env, capture_output=True, timeout=timeout)
        return "survived" if proc.returncode == 0 else "killed"
    except subprocess.TimeoutExpired:
        return "killed"
    finally:
        target.write_text(original, encoding="utf-8")


def area(module: str) -> str:
    return module.split("/", 1)[0] if "/" in module else module.rsplit(".", 1)[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="modules under fly_cluster_lint/ (default: all)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--limit", type=int, default=0, help="at most this many mutants per module (sampled)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--report", default=str(ROOT / "bench" / "mutation-report.json"))
    parser.add_argument("--coverage-cache", default=str(Path(tempfile.gettempdir()) / "fcl-mutation-coverage.json"))
    args = parser.parse_args()
    python = sys.executable
    modules = args.modules or sorted(p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
                                     if p.name != "__main__.py")
    lines_to_tests = coverage_map(python, Path(args.coverage_cache))
    rng = random.Random(args.seed)
    todo: list[Mutant] = []
    for module in modules:
        found = mutants(module)
        if args.limit and len(found) > args.limit:
            found = sorted(rng.sample(found, args.limit), key=lambda m: (m.line, m.start))
        todo.extend(found)
    print(f"{len(todo)} mutants in {len(modules)} modules, {args.jobs} jobs", flush=True)
    workspaces = [_copy(Path(tempfile.mkdtemp(prefix="fcl-mut-")) / "repo") for _ in range(args.jobs)]
    free = list(workspaces)
    started = time.monotonic()

    def one(mutant: Mutant) -> Mutant:
        tests = lines_to_tests.get(mutant.module, {}).get(str(mutant.line), [])
        if not tests:
            mutant.outcome = "uncovered"
            return mutant
        workspace = free.pop()
        try:
            mutant.outcome = run_mutant(python, workspace, mutant, tests, args.timeout)
        finally:
            free.append(workspace)
        return mutant

    done = 0
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for mutant in pool.map(one, todo):
            done += 1
            if mutant.outcome != "killed":
                print(f"  {mutant.outcome:9} {mutant.module}:{mutant.line} {mutant.description}", flush=True)
            if done % 50 == 0:
                print(f"  ... {done}/{len(todo)} in {time.monotonic() - started:.0f} s", flush=True)
    for workspace in workspaces:
        shutil.rmtree(workspace.parent, ignore_errors=True)
    by_area: dict[str, dict[str, int]] = {}
    for mutant in todo:
        counts = by_area.setdefault(area(mutant.module), {"killed": 0, "survived": 0, "uncovered": 0})
        counts[mutant.outcome] += 1
    print(f"\n{'area':<14} {'killed':>7} {'survived':>9} {'uncovered':>10} {'score':>6}")
    total = {"killed": 0, "survived": 0, "uncovered": 0}
    for name, counts in sorted(by_area.items()):
        for key in total:
            total[key] += counts[key]
        score = counts["killed"] / max(1, sum(counts.values()))
        print(f"{name:<14} {counts['killed']:>7} {counts['survived']:>9} {counts['uncovered']:>10} {score:>6.0%}")
    score = total["killed"] / max(1, sum(total.values()))
    print(f"{'all':<14} {total['killed']:>7} {total['survived']:>9} {total['uncovered']:>10} {score:>6.0%}")
    Path(args.report).write_text(json.dumps({
        "areas": by_area, "total": total,
        "survivors": [{"module": m.module, "line": m.line, "mutation": m.description, "outcome": m.outcome}
                      for m in todo if m.outcome != "killed"]}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
