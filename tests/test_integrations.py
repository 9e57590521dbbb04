"""Where users run it: the pre-commit hook (real `pre-commit try-repo`) and the GitHub Action (its shell
steps run locally with the variables a runner sets). Both validate against the official schemas.

The runs are marked slow (they create virtual environments and install the package): CI runs them;
skip them locally with `-m 'not slow'`."""

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

SCHEMAS = ROOT.parent / "shared" / "schemas"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
ACTION = ROOT / "action.yml"


def validate(document, schema_name: str) -> list:
    jsonschema = pytest.importorskip("jsonschema")
    path = SCHEMAS / schema_name
    if not path.exists():
        pytest.skip("shared/schemas is not beside the checkout")
    schema = json.loads(path.read_text())
    return list(jsonschema.validators.validator_for(schema)(schema).iter_errors(document))


def test_hooks_file_validates_and_covers_the_files_rules_read() -> None:
    hooks = yaml.safe_load(HOOKS.read_text())
    assert validate(hooks, "pre-commit-hooks.json") == []
    (hook,) = hooks
    assert hook["id"] == "fly-cluster-lint" and hook["language"] == "python"
    pattern = re.compile(hook["files"])
    for path in ("fly.toml", "deploy/fly.staging.toml", "Dockerfile", "Dockerfile.fly", "rel/env.sh.eex",
                 "deploy/rel/vm.args.eex", "rel/env.ssh.eex", "config/runtime.exs", "config/prod.exs",
                 "lib/hello/application.ex", "apps/core/lib/core/cluster/supervisor.ex", "mix.exs", "apps/web/mix.exs",
                 "mix.lock", ".fly-cluster-lint.toml", ".dockerignore"):
        assert pattern.search(path), path
    for path in ("README.md", "assets/js/app.js", "lib/hello_web/templates/page.html.heex", "test/hello_test.exs",
                 "priv/repo/seeds.exs", "flyctl.md"):
        assert not pattern.search(path), path


def test_action_validates() -> None:
    action = yaml.safe_load(ACTION.read_text())
    assert validate(action, "github-action.json") == []
    assert set(action["inputs"]) == {"path", "args", "fail-on", "sarif-file", "version"}
    assert action["runs"]["using"] == "composite"


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


@pytest.mark.slow
def test_pre_commit_try_repo_fails_then_passes(tmp_path) -> None:
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")
    if pre_commit is None:
        pytest.skip("pre-commit is not installed (pip install '.[test]')")
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "hello_broken", repo)
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "broken", cwd=repo)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "FLY_CLUSTER_LINT_NO_CACHE": "1"}
    env.pop("GITHUB_ACTIONS", None)
    run = lambda: subprocess.run([pre_commit, "try-repo", str(ROOT), "fly-cluster-lint", "--all-files", "--color", "never"],
                                 cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    broken = run()
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "FCL203" in broken.stdout and "Failed" in broken.stdout
    shutil.rmtree(repo / "rel")
    shutil.copytree(ROOT / "examples" / "hello_cluster" / "rel", repo / "rel")
    runtime = repo / "config" / "runtime.exs"
    runtime.write_text(runtime.read_text().replace(
        "\nend\n", '\n  config :hello_broken, :dns_cluster_query, System.get_env("DNS_CLUSTER_QUERY")\nend\n', 1))
    (repo / ".fly-cluster-lint.toml").write_text('secrets = ["RELEASE_COOKIE"]\n')
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "fixed", cwd=repo)
    fixed = run()
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "Passed" in fixed.stdout


def action_steps() -> list[dict]:
    return yaml.safe_load(ACTION.read_text())["runs"]["steps"]


def expand(value: str, inputs: dict, action_path: Path) -> str:
    def sub(match: re.Match) -> str:
        expr = match.group(1).strip()
        if expr.startswith("inputs."):
            return inputs[expr[len("inputs."):]]
        if expr == "github.action_path":
            return str(action_path)
        raise AssertionError(f"unexpected expression {expr}")

    return re.sub(r"\$\{\{(.*?)\}\}", sub, value)


@pytest.mark.slow
def test_action_steps_annotate_and_write_sarif(tmp_path) -> None:
    workspace = tmp_path / "workspace"
    shutil.copytree(ROOT / "examples" / "hello_broken", workspace)
    defaults = {name: spec.get("default", "") for name, spec in yaml.safe_load(ACTION.read_text())["inputs"].items()}
    inputs = {**defaults, "sarif-file": "reports/fly-cluster-lint.sarif", "args": "--ignore FCL401"}
    runner_temp = tmp_path / "runner_temp"
    runner_temp.mkdir()
    github_env, github_output = tmp_path / "github_env", tmp_path / "github_output"
    github_env.touch()
    github_output.touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "FLY_CLUSTER_LINT"))}
    env.update({"GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_WORKSPACE": str(workspace), "RUNNER_TEMP": str(runner_temp),
                "GITHUB_ENV": str(github_env), "GITHUB_OUTPUT": str(github_output), "GITHUB_ACTION_PATH": str(ROOT),
                "FLY_CLUSTER_LINT_CACHE_DIR": str(tmp_path / "cache")})
    results = []
    for step in action_steps():
        step_env = dict(env)
        for line in github_env.read_text().splitlines():
            key, _, value = line.partition("=")
            step_env[key] = value
        step_env.update({k: expand(str(v), inputs, ROOT) for k, v in step.get("env", {}).items()})
        proc = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=workspace, env=step_env, capture_output=True,
                              text=True, timeout=900)
        results.append(proc)
        if proc.returncode != 0:
            break
    install, lint = results
    assert install.returncode == 0, install.stderr
    assert lint.returncode == 1, lint.stderr
    annotations = [l for l in lint.stdout.splitlines() if l.startswith("::")]
    assert len(annotations) == 5 and not any("FCL401" in a for a in annotations)
    assert "::error file=rel/env.sh.eex,line=22,col=21,endLine=22,endColumn=50,title=FCL203 node-host-not-private-ip::" in lint.stdout
    sarif = json.loads((workspace / "reports" / "fly-cluster-lint.sarif").read_text())
    assert sorted(r["ruleId"] for r in sarif["runs"][0]["results"]) == ["FCL101", "FCL201", "FCL203", "FCL304", "FCL501"]
    assert validate(sarif, "sarif-2.1.0.json") == []
    assert read_outputs(github_output.read_text()) == {"sarif-file": "reports/fly-cluster-lint.sarif"}


def read_outputs(text: str) -> dict:
    """$GITHUB_OUTPUT as the runner reads it: `name=value` lines and `name<<DELIMITER` blocks."""
    out, lines = {}, text.splitlines()
    while lines:
        line = lines.pop(0)
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value = []
            while lines and lines[0] != delimiter:
                value.append(lines.pop(0))
            assert lines, f"no closing delimiter for {name}"
            lines.pop(0)
            out[name] = "\n".join(value)
        else:
            name, _, value = line.partition("=")
            out[name] = value
    return out
