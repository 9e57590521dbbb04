#!/usr/bin/env python3
"""Benchmark whole `fly-cluster-lint` processes (a plain script, not a test).

Measures the median wall time and the peak memory (max RSS) of repeated runs, beside `python3 -c pass` on
the same interpreter, and prints the ratios. Scenarios:

  examples   the two bundled example apps (examples/hello_broken, examples/hello_cluster)
  monorepo   a generated repository of 200 apps (copies of the broken example)
  large      a generated tree of 20,000 unrelated files with one app in it

"cold" runs pass --no-cache; "warm" runs repeat a run whose inputs did not change (what a pre-commit hook
sees most of the time) and are answered from the result cache.

Usage: python bench/run.py [--runs N] [--only examples,monorepo,large] [--cli PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# Measure what an installed tool does: Python may write and then reuse its bytecode cache (pip compiles it
# at install time; an editable checkout writes it on the first run unless this variable forbids it).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
# The result cache of the benchmark goes to a folder of its own, so that runs do not disturb a user's cache.
ENV["FLY_CLUSTER_LINT_CACHE_DIR"] = tempfile.mkdtemp(prefix="fly-cluster-lint-bench-cache-")


def measure(cmd: list[str], runs: int, cwd: Path) -> tuple[float, float]:
    """(median wall seconds, peak RSS MiB) over runs of one command."""
    times, peaks = [], []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        times.append(time.perf_counter() - start)
        peaks.append(usage.ru_maxrss / 1024)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}")
    return statistics.median(times), max(peaks)


def make_monorepo(dest: Path, apps: int) -> Path:
    for i in range(apps):
        target = dest / "services" / f"app{i:03d}"
        shutil.copytree(ROOT / "examples" / "hello_broken", target)
        toml = target / "fly.toml"
        toml.write_text(toml.read_text().replace("hello-broken", f"hello-broken-{i:03d}"))
    (dest / ".git").mkdir()
    return dest


def make_large_tree(dest: Path, files: int) -> Path:
    shutil.copytree(ROOT / "examples" / "hello_cluster", dest / "app")
    for i in range(files):
        folder = dest / "assets" / f"d{i // 200:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i:05d}.js").write_text(f"export const value{i} = {i};\n")
    (dest / ".git").mkdir()
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--only", default="examples,monorepo,large")
    parser.add_argument("--cli", default=str(Path(sys.executable).parent / "fly-cluster-lint"))
    args = parser.parse_args()
    cli = [args.cli] if Path(args.cli).exists() else [sys.executable, "-m", "fly_cluster_lint"]
    wanted = args.only.split(",")
    base_time, base_mem = measure([sys.executable, "-c", "pass"], args.runs, ROOT)
    rows = [("python3 -c pass", base_time, base_mem)]
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        scenarios = []
        cold = ["--no-cache"]
        if "examples" in wanted:
            scenarios.append(("cold: examples/hello_broken", cli + cold + ["examples/hello_broken"], ROOT, args.runs))
            scenarios.append(("cold: examples/hello_cluster", cli + cold + ["examples/hello_cluster"], ROOT, args.runs))
            scenarios.append(("cold: examples (2 apps)", cli + cold + ["examples"], ROOT, args.runs))
            scenarios.append(("warm: examples/hello_broken", cli + ["examples/hello_broken"], ROOT, args.runs))
            scenarios.append(("warm: examples (2 apps)", cli + ["examples"], ROOT, args.runs))
        if "monorepo" in wanted:
            repo = make_monorepo(tmp_path / "mono", 200)
            few = make_monorepo(tmp_path / "mono20", 20)
            scenarios.append(("cold: monorepo of 20 apps", cli + cold + ["."], few, max(3, args.runs // 3)))
            scenarios.append(("cold: monorepo of 200 apps", cli + cold + ["."], repo, max(3, args.runs // 5)))
            scenarios.append(("warm: monorepo of 200 apps", cli + ["."], repo, max(3, args.runs // 3)))
        if "large" in wanted:
            tree = make_large_tree(tmp_path / "large", 20_000)
            scenarios.append(("cold: 20,000 files, 1 app", cli + cold + ["."], tree, max(3, args.runs // 3)))
            scenarios.append(("warm: 20,000 files, 1 app", cli + ["."], tree, max(3, args.runs // 3)))
        for name, cmd, cwd, runs in scenarios:
            # warm-up: OS file cache, bytecode cache, the rule index in the user's cache folder
            subprocess.run(cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wall, mem = measure(cmd, runs, cwd)
            rows.append((name, wall, mem))
    print(f"{'scenario':<32} {'median wall':>12} {'x bare python':>14} {'peak RSS':>10}")
    for name, wall, mem in rows:
        print(f"{name:<32} {wall * 1000:>9.1f} ms {wall / base_time:>13.1f}x {mem:>7.1f} MiB")


if __name__ == "__main__":
    main()
