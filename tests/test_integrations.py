"""The pre-commit hooks: the hooks file validates against pre-commit's schema, its patterns match every file
that matters, and real `pre-commit try-repo` runs show what a commit sees (marked slow: pre-commit builds a
virtual environment; CI runs them, skip them locally with `-m 'not slow'`). The GitHub Action is in
test_action.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

SCHEMAS = ROOT / "tests" / "schemas"
HOOKS = ROOT / ".pre-commit-hooks.yaml"


def validate(document, schema_name: str) -> list:
    import jsonschema
    path = SCHEMAS / schema_name
    schema = json.loads(path.read_text())
    return list(jsonschema.validators.validator_for(schema)(schema).iter_errors(document))


def test_hooks_file_validates_and_covers_the_files_that_matter() -> None:
    hooks = yaml.safe_load(HOOKS.read_text())
    assert validate(hooks, "pre-commit-hooks.json") == []
    assert [h["id"] for h in hooks] == ["fly-cluster-lint", "fly-cluster-lint-fix"]
    lint, fix = hooks
    assert lint["entry"] == "fly-cluster-lint check --" and fix["entry"] == "fly-cluster-lint check --fix --"
    for hook in hooks:
        assert hook["language"] == "python" and hook["always_run"] and hook["verbose"] and hook["require_serial"]
        assert hook["files"] == lint["files"]
        pattern = re.compile(hook["files"])
        for path in ("fly.toml", "fly.staging.toml", "deploy/fly/prod.toml", "deploy/staging.toml", "Dockerfile",
                     "Dockerfile.fly", "fly.Dockerfile", "prod.Containerfile", "Containerfile", "apps/api/Containerfile",
                     "rel/env.sh.eex", "deploy/rel/vm.args.eex", "rel/env.ssh.eex", "releases/env.sh.eex",
                     "rel/overlays/bin/server", "start.sh", "config/runtime.exs", "config/prod.exs",
                     "lib/hello/application.ex", "apps/core/lib/core/cluster/supervisor.ex", "mix.exs",
                     "apps/web/mix.exs", "mix.lock", ".fly-cluster-lint.toml", ".dockerignore"):
            assert pattern.search(path), path
        for path in ("README.md", "assets/js/app.js", "lib/hello_web/templates/page.html.heex", "test/hello_test.exs",
                     "priv/repo/seeds.exs", "flyctl.md", "config/dev.json", "docs/containers.md"):
            assert not pattern.search(path), path


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


def pre_commit() -> str:
    found = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")
    if found is None:
        pytest.skip("pre-commit is not installed (pip install '.[test]')")
    return found


def clean_repo(tmp_path: Path) -> Path:
    """hello_cluster, committed: a correctly configured app (its cookie declared as a Fly secret)."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "hello_cluster", repo)
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "clean", cwd=repo)
    return repo


def try_repo(repo: Path, hook: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "FLY_CLUSTER_LINT_NO_CACHE": "1"}
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run([pre_commit(), "try-repo", str(ROOT), hook, "--color", "never", *extra], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_pre_commit_hook_fails_on_errors_and_shows_warnings_on_a_pass(tmp_path) -> None:
    repo = clean_repo(tmp_path)
    # a staged change that breaks clustering fails the commit
    env_sh = repo / "rel" / "env.sh.eex"
    original = env_sh.read_text()
    env_sh.write_text(original.replace("@${FLY_PRIVATE_IP}", "@$(hostname)"))
    git("add", "-A", cwd=repo)
    broken = try_repo(repo, "fly-cluster-lint", tmp_path)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "Failed" in broken.stdout and "FCL203" in broken.stdout
    # only a warning (an unused suppression): the hook passes and still shows it
    env_sh.write_text(original + "# fly-cluster-lint: ignore[FCL101] -- nothing to ignore here\nexport X=1\n")
    git("add", "-A", cwd=repo)
    warned = try_repo(repo, "fly-cluster-lint", tmp_path)
    assert warned.returncode == 0, warned.stdout + warned.stderr
    assert "Passed" in warned.stdout and "FCL009" in warned.stdout


@pytest.mark.slow
def test_pre_commit_hook_runs_when_a_commit_only_deletes_env_sh(tmp_path) -> None:
    repo = clean_repo(tmp_path)
    git("rm", "-q", "rel/env.sh.eex", cwd=repo)
    proc = try_repo(repo, "fly-cluster-lint", tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Failed" in proc.stdout and "FCL101" in proc.stdout


@pytest.mark.slow
def test_pre_commit_hook_sees_a_containerfile(tmp_path) -> None:
    repo = clean_repo(tmp_path)
    (repo / "Dockerfile").rename(repo / "Containerfile")
    toml = repo / "fly.toml"
    toml.write_text(toml.read_text().replace("[build]", '[build]\n  dockerfile = "Containerfile"', 1))
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "containerfile", cwd=repo)
    containerfile = repo / "Containerfile"
    text = containerfile.read_text()
    containerfile.write_text(re.sub(r"(?m)^CMD .*$", 'CMD ["mix", "phx.server"]', text))
    git("add", "Containerfile", cwd=repo)
    proc = try_repo(repo, "fly-cluster-lint", tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Containerfile:72:1: FCL602 error" in proc.stdout


@pytest.mark.slow
def test_pre_commit_fix_hook_applies_safe_fixes(tmp_path) -> None:
    repo = clean_repo(tmp_path)
    env_sh = repo / "rel" / "env.sh.eex"
    env_sh.write_text(env_sh.read_text().replace("@${FLY_PRIVATE_IP}", "@$(hostname)"))
    git("add", "-A", cwd=repo)
    fixed = try_repo(repo, "fly-cluster-lint-fix", tmp_path)
    # pre-commit fails a hook that changed files, as for ruff --fix; the file is repaired
    assert fixed.returncode == 1, fixed.stdout + fixed.stderr
    assert "files were modified by this hook" in fixed.stdout
    assert "@${FLY_PRIVATE_IP}" in env_sh.read_text()
    git("add", "-A", cwd=repo)
    again = try_repo(repo, "fly-cluster-lint-fix", tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
