"""The result cache: a warm run answers from the user's cache folder without parsing; any change to a
file the result depends on, a new file in a folder it listed, or a changed option is a miss; a corrupt
entry is ignored; --no-cache bypasses it; nothing is ever written inside the project."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import BASE, make_project

WARM_PROBE = """
import sys
from fly_cluster_lint.cli import main
status = main(sys.argv[1:])
loaded = sorted(m for m in sys.modules if m.startswith(("tree_sitter", "fly_cluster_lint.parsers", "pathlib")))
print("MODULES:" + ",".join(loaded), file=sys.stderr)
sys.exit(status)
"""


def repo_project(path, overlay=None):
    """A project in its own repository: the cache then depends on nothing above it (not on /tmp)."""
    project = make_project(path, overlay)
    (project / ".git").mkdir()
    return project


def run(project, cache, *args):
    env = {**os.environ, "FLY_CLUSTER_LINT_CACHE_DIR": str(cache)}
    env.pop("GITHUB_ACTIONS", None)
    proc = subprocess.run([sys.executable, "-c", WARM_PROBE, *args, str(project)], env=env, capture_output=True,
                          text=True, timeout=120)
    modules = proc.stderr.rsplit("MODULES:", 1)[-1].strip()
    return proc, modules


def test_warm_run_skips_parsing_and_tree_sitter(tmp_path) -> None:
    project = repo_project(tmp_path / "app", {"rel/env.sh.eex": (BASE / "rel/env.sh.eex").read_text().replace(
        '@${FLY_PRIVATE_IP}"', '@$(hostname)"')})
    cache = tmp_path / "cache"
    before = sorted(str(p.relative_to(project)) for p in project.rglob("*"))  # .git included
    cold, cold_modules = run(project, cache)
    warm, warm_modules = run(project, cache)
    assert cold.returncode == warm.returncode == 1
    assert cold.stdout == warm.stdout and "FCL203" in warm.stdout
    assert "tree_sitter" in cold_modules and warm_modules == ""
    assert sorted(str(p.relative_to(project)) for p in project.rglob("*")) == before  # nothing written there
    assert any(name.startswith("results-") for name in os.listdir(cache))


def test_changes_are_misses(tmp_path) -> None:
    project = repo_project(tmp_path / "app")
    cache = tmp_path / "cache"
    assert run(project, cache)[0].returncode == 0
    env_sh = project / "rel" / "env.sh.eex"
    env_sh.write_text(env_sh.read_text().replace('@${FLY_PRIVATE_IP}"', '@$(hostname)"'))
    changed, modules = run(project, cache)
    assert changed.returncode == 1 and "FCL203" in changed.stdout and "tree_sitter" in modules
    (project / "lib" / "hello" / "second.ex").write_text(
        'defmodule Hello.Second do\n  def child, do: {DNSCluster, query: "hello.internal"}\nend\n')
    new_file, _ = run(project, cache)
    assert "FCL313" in new_file.stdout  # a new lib file in a listed folder
    (project / ".fly-cluster-lint.toml").write_text('secrets = ["RELEASE_COOKIE"]\nignore = ["FCL2", "FCL3"]\n')
    config, _ = run(project, cache)
    assert config.returncode == 0 and "FCL203" not in config.stdout
    option, _ = run(project, cache, "--select", "FCL4")
    assert option.stdout.strip().endswith("clustered correctly.")


def test_corrupt_entry_and_no_cache(tmp_path) -> None:
    project = repo_project(tmp_path / "app")
    cache = tmp_path / "cache"
    run(project, cache)
    for name in os.listdir(cache):
        (cache / name).write_bytes(b"\x00garbage")
    proc, modules = run(project, cache)
    assert proc.returncode == 0 and "tree_sitter" in modules
    proc, modules = run(project, cache, "--no-cache")
    assert proc.returncode == 0 and "tree_sitter" in modules
    proc, modules = run(project, cache)
    assert modules == ""


def test_warm_run_hits_outside_a_repository_in_a_busy_folder(tmp_path) -> None:
    """No .git anywhere above: the key and the record depend on the app's own files and on the few names
    probed above it (.git, mix.exs, fly.toml, .fly-cluster-lint.toml), not on what else the parent folders
    hold. Files coming and going beside the project (a downloads folder, /tmp) keep the warm run a hit."""
    busy = tmp_path / "busy"
    project = make_project(busy / "app")
    cache = tmp_path / "cache"
    cold, cold_modules = run(project, cache)
    assert "tree_sitter" in cold_modules
    for i in range(3):
        (busy / f"download-{i}.zip").write_bytes(b"x" * i)
        (tmp_path / f"scratch-{i}").mkdir()
        warm, warm_modules = run(project, cache)
        assert warm_modules == "" and warm.stdout == cold.stdout, i
    (busy / "fly.toml").write_text('app = "above"\n')  # a name that is probed: now a miss
    assert "tree_sitter" in run(project, cache)[1]
