"""The same input gives byte-identical output in every format: under any hash seed, any order in which the file
system lists a folder, and any number of worker processes (`--jobs`).

The repository is a small monorepo built from the fixtures with the shapes that once made output depend on
iteration order: a line holding both a cookie key and a cookie (masking), suppressions used and unused
(FCL009), apps whose findings sort on the same line, a shared config, a skipped toml."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fly_cluster_lint import engine
from conftest import BASE, ROOT, main_in_process, make_project

FORMATS = {
    "text": ["check", "--no-cache", "--color", "never"],
    "color": ["check", "--no-cache", "--color", "always"],
    "json": ["check", "--no-cache", "--format", "json"],
    "sarif": ["check", "--no-cache", "--format", "sarif"],
    "github": ["check", "--no-cache", "--format", "github"],
    "markdown": ["check", "--no-cache", "--format", "markdown"],
    "quiet": ["check", "--no-cache", "-q", "--statistics"],
    "diff": ["check", "--no-cache", "--diff", "--unsafe-fixes"],
    "env-json": ["env", "--no-cache", "--format", "json"],
}
COOKIE = "Zq8sekritCookieValue77"


def monorepo(dest: Path, apps: int = 12) -> Path:
    (dest / ".git").mkdir(parents=True)
    (dest / ".fly-cluster-lint.toml").write_text('secrets = ["DNS_CLUSTER_QUERY"]\n')
    env = (BASE / "rel" / "env.sh.eex").read_text()
    for i in range(apps):
        overlay: dict = {"fly.toml": (BASE / "fly.toml").read_text().replace('app = "hello"', f'app = "hello-{i:02d}"')}
        if i % 3 == 0:  # a cookie key and a cookie on one line, a used and an unused suppression
            overlay["rel/env.sh.eex"] = env + (f'export RELEASE_COOKIE="{COOKIE}" RELEASE_NODE_COOKIE_NOTE=1'
                                               "  # fly-cluster-lint: ignore[FCL402, FCL101]\n")
        elif i % 3 == 1:  # several findings on one line of one file
            overlay["rel/env.sh.eex"] = env.replace("-proto_dist inet6_tcp", "").replace('@${FLY_PRIVATE_IP}', "@$(hostname)")
        else:
            overlay["fly.staging.toml"] = f'app = "hello-{i:02d}-staging"\n[build]\n  image = "x"\n'
        make_project(dest / "services" / f"app{i:02d}", overlay)
    return dest


def run_in_process(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    return main_in_process(*argv, cwd=cwd)


def outputs(repo: Path) -> dict:
    found = {name: run_in_process(argv + ["."], repo) for name, argv in FORMATS.items()}
    assert found["text"][0] == 1 and COOKIE not in "".join(o for _, o, e in found.values())
    assert "FCL402" not in found["json"][1] and "FCL009" in found["json"][1]  # used and unused suppressions
    return found


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return monorepo(tmp_path_factory.mktemp("determinism") / "repo")


def test_any_number_of_jobs_gives_the_same_bytes(repo, monkeypatch) -> None:
    results = {}
    for jobs in (1, 2, 3, 5):
        monkeypatch.setattr(engine, "_workers", lambda requested, apps, jobs=jobs: min(jobs, apps))
        results[jobs] = outputs(repo)
    for jobs in (2, 3, 5):
        for name in FORMATS:
            assert results[jobs][name] == results[1][name], (jobs, name)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="worker processes need fork")
def test_workers_really_run_in_other_processes(repo, monkeypatch) -> None:
    """The jobs test above means something: with 3 jobs the rules run in 3 processes, none of them this one."""
    from fly_cluster_lint import workers

    seen = []
    work = workers._work

    def spy(chosen, files, rules):
        seen.append(os.getpid())
        with open(repo.parent / f"pid-{os.getpid()}", "w") as handle:
            handle.write(str(len(chosen)))
        return work(chosen, files, rules)

    monkeypatch.setattr(workers, "_work", spy)
    monkeypatch.setattr(engine, "_workers", lambda requested, apps: 3)
    run_in_process(FORMATS["json"] + ["."], repo)
    pids = sorted(repo.parent.glob("pid-*"))
    assert len(pids) == 3 and str(os.getpid()) not in {p.name[4:] for p in pids}
    assert sorted(int(p.read_text()) for p in pids) == [4, 4, 4]
    for p in pids:
        p.unlink()


def test_shuffled_directory_listings_give_the_same_bytes(repo, monkeypatch) -> None:
    reference = outputs(repo)
    real_scandir = os.scandir

    class Shuffled:
        def __init__(self, path, rng):
            self._it = real_scandir(path)
            self._entries = list(self._it)
            rng.shuffle(self._entries)

        def __iter__(self):
            return iter(self._entries)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._it.close()

        def close(self):
            self._it.close()

    for seed in (1, 2, 3):
        rng = random.Random(seed)
        monkeypatch.setattr(os, "scandir", lambda path=".", rng=rng: Shuffled(path, rng))
        monkeypatch.setattr(os, "listdir", lambda path=".", rng=rng: _shuffled_listdir(path, rng))
        assert outputs(repo) == reference, seed
        monkeypatch.undo()


_real_listdir = os.listdir


def _shuffled_listdir(path, rng):
    names = _real_listdir(path)
    rng.shuffle(names)
    return names


_BASELINE: dict = {}  # the PYTHONHASHSEED=random run, made once for every seed compared with it


@pytest.mark.parametrize("seed", ["0", "1", "4242"])
def test_every_hash_seed_gives_the_same_bytes(repo, seed, tmp_path) -> None:
    """A fresh interpreter per seed (the seed is fixed at start-up), every format, against PYTHONHASHSEED=random."""
    def run(hash_seed: str) -> dict:
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "NO_COLOR": "", "FLY_CLUSTER_LINT_CACHE_DIR": str(tmp_path / "c")}
        env.pop("FORCE_COLOR", None)
        out = {}
        for name in ("text", "json", "sarif", "github", "markdown", "diff"):
            proc = subprocess.run([sys.executable, "-m", "fly_cluster_lint", *FORMATS[name], "."], cwd=repo, env=env,
                                  capture_output=True, text=True, timeout=120)
            out[name] = (proc.returncode, proc.stdout, proc.stderr)
        return out

    if not _BASELINE:
        _BASELINE.update(run("random"))
    assert run(seed) == _BASELINE
