"""The GitHub Action: action.yml validates, its one run (fly_cluster_lint.action) derives annotations, SARIF,
the job summary and the outputs from one lint, and its composite steps run here as a runner would run them
(the `uses:` step excepted: uv comes from the test environment), with the variables a runner sets."""

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

from conftest import ROOT, console_script, run_cli
from invariants import read_github_output
from fly_cluster_lint import __version__

ACTION = ROOT / "action.yml"
SCHEMAS = ROOT / "tests" / "schemas"
BROKEN = ROOT / "examples" / "hello_broken"
DOCS = f"https://github.com/fly-cluster-lint/fly-cluster-lint/blob/v{__version__}/docs/rules"



def workspace_with_three_apps(root: Path) -> Path:
    """A monorepo with three copies of hello_broken: 18 errors, more than GitHub shows per step."""
    for name in ("one", "two", "three"):
        shutil.copytree(BROKEN, root / "apps" / name)
    return root


def runner_env(tmp_path: Path, workspace: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "FLY_CLUSTER_LINT", "INPUT_"))}
    files = {name: tmp_path / name for name in ("github_output", "github_step_summary", "github_env")}
    for path in files.values():
        path.touch()
    (tmp_path / "runner_temp").mkdir(exist_ok=True)
    env.update({"GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_WORKSPACE": str(workspace),
                "RUNNER_TEMP": str(tmp_path / "runner_temp"), "RUNNER_OS": "Linux",
                "GITHUB_OUTPUT": str(files["github_output"]), "GITHUB_STEP_SUMMARY": str(files["github_step_summary"]),
                "GITHUB_ENV": str(files["github_env"]), "FLY_CLUSTER_LINT_CACHE_DIR": str(tmp_path / "cache")})
    return env


def run_action_module(env: dict, cwd: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "fly_cluster_lint.action"], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


# -- action.yml ----------------------------------------------------------------------------------------------

def test_action_validates_against_the_schema() -> None:
    import jsonschema

    action = yaml.safe_load(ACTION.read_text())
    schema = json.loads((SCHEMAS / "github-action.json").read_text())
    assert list(jsonschema.validators.validator_for(schema)(schema).iter_errors(action)) == []
    assert set(action["inputs"]) == {"path", "args", "fail-on", "sarif-file", "secrets-from", "summary",
                                     "working-directory", "setup-python", "version"}
    assert set(action["outputs"]) == {"errors", "warnings", "infos", "findings", "exit-code", "sarif-file"}
    assert action["runs"]["using"] == "composite"


def test_every_action_used_is_pinned_to_a_commit() -> None:
    for step in yaml.safe_load(ACTION.read_text())["runs"]["steps"]:
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]


def test_action_requirements_are_pinned_hashed_and_inside_the_ranges() -> None:
    """The Action installs exactly these (hash-checked); each pin satisfies pyproject's range for it."""
    from packaging.markers import Marker
    from packaging.requirements import Requirement
    from packaging.version import Version

    sys.path.insert(0, str(ROOT / "tests" / "platforms"))
    import resolve

    ranges, _ = resolve.requirements()
    text = (ROOT / "action" / "requirements.txt").read_text()
    text = "\n".join(line for line in text.splitlines() if not line.strip().startswith("#"))
    entries = [e.strip() for e in re.sub(r"\\\n", " ", text).splitlines() if e.strip()]
    pins = []
    for entry in entries:
        spec, *hashes = entry.split(" --hash=")
        assert hashes and all(h.startswith("sha256:") for h in hashes), entry
        pins.append(Requirement(spec.strip()))
    for target, (_, markers) in resolve.TARGETS.items():
        for python in resolve.PYTHONS:
            env = dict(markers, python_version=python, python_full_version=f"{python}.0", extra="",
                       implementation_name="cpython", platform_python_implementation="CPython")
            chosen = {p.name.lower(): Version(str(p.specifier).lstrip("=")) for p in pins
                      if p.marker is None or Marker(str(p.marker)).evaluate(env)}
            for req in ranges:
                if req.marker is not None and not req.marker.evaluate(env):
                    continue
                assert req.name.lower() in chosen, (target, python, req.name)
                assert chosen[req.name.lower()] in req.specifier, (target, python, req, chosen[req.name.lower()])


# -- annotations ------------------------------------------------------------------------------------------------

def test_annotations_errors_first_at_most_ten_then_one_notice(tmp_path) -> None:
    workspace = workspace_with_three_apps(tmp_path / "ws")
    proc = run_cli("--format", "github", "--no-cache", ".", cwd=workspace, env={"GITHUB_WORKSPACE": str(workspace)})
    lines = proc.stdout.splitlines()
    errors = [l for l in lines if l.startswith("::error ")]
    warnings = [l for l in lines if l.startswith("::warning ")]
    notices = [l for l in lines if l.startswith("::notice ")]
    plain = [l for l in lines if not l.startswith("::")]
    assert len(errors) == 10 and len(warnings) == 3 and len(notices) == 1 and len(plain) == 5
    assert lines[:10] == errors  # errors first
    assert notices[0] == ("::notice title=fly-cluster-lint%3A more findings::5 more findings (5 errors) are not shown "
                          "as annotations: GitHub shows at most 10 of each level per step. They are listed below in this "
                          "step's log, and every finding is in the job summary and the SARIF report.")
    assert lines.index(notices[0]) == 13  # after the annotations, before the rest
    assert plain[0].startswith("apps/two/config/runtime.exs:44:1: FCL304 [error] ")
    # nothing is lost: every finding is either an annotation or a log line
    assert len(errors) + len(warnings) + len(plain) == 18


def test_annotations_put_errors_before_warnings_and_keep_a_notice_slot() -> None:
    from fly_cluster_lint.diagnostics import Diagnostic
    from fly_cluster_lint.reporters import github
    from fly_cluster_lint.source import Span

    def diag(severity, n):
        return Diagnostic("FCL999", "x", severity, f"m{n}", Span("f", n, 1, n, 2), "fly.toml")

    diagnostics = ([diag("info", i) for i in range(1, 11)] + [diag("warning", i) for i in range(11, 23)]
                   + [diag("error", 30)])
    shown, left = github.select(diagnostics)
    assert [d.severity for d in shown] == ["error"] + ["warning"] * 10 + ["info"] * 9
    assert [(d.severity, d.span.line) for d in left] == [("warning", 21), ("warning", 22), ("info", 10)]
    # no overflow: all ten notices are annotations and no notice of our own
    shown, left = github.select([diag("info", i) for i in range(1, 11)])
    assert len(shown) == 10 and left == []


def test_annotation_and_sarif_paths_are_relative_to_the_workspace_from_a_subfolder(tmp_path) -> None:
    workspace = workspace_with_three_apps(tmp_path / "ws")
    sub = workspace / "apps" / "two"
    env = {"GITHUB_WORKSPACE": str(workspace)}
    proc = run_cli("--format", "github", "--no-cache", "--select", "FCL203", ".", cwd=sub, env=env)
    assert proc.stdout.startswith("::error file=apps/two/rel/env.sh.eex,line=22,col=21,")
    sarif = json.loads(run_cli("--format", "sarif", "--no-cache", "--select", "FCL203", ".", cwd=sub, env=env).stdout)
    run = sarif["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == workspace.resolve().as_uri() + "/"
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "apps/two/rel/env.sh.eex", "uriBaseId": "%SRCROOT%"}
    # without GITHUB_WORKSPACE, paths stay relative to where the tool runs
    proc = run_cli("--format", "github", "--no-cache", "--select", "FCL203", ".", cwd=sub)
    assert "::error file=rel/env.sh.eex,line=22," in proc.stdout


# -- the job summary ---------------------------------------------------------------------------------------------

def test_markdown_summary_has_a_table_per_app_with_links_and_fixes(tmp_path) -> None:
    workspace = workspace_with_three_apps(tmp_path / "ws")
    shutil.rmtree(workspace / "apps" / "three")
    proc = run_cli("--format", "markdown", "--no-cache", "--select", "FCL203,FCL401", ".", cwd=workspace)
    assert proc.stdout == (
        "## fly-cluster-lint\n\n4 findings: 4 errors, 0 warnings, 0 info.\n\n"
        "### apps/one/fly.toml\n\n"
        "| Severity | Rule | Where | Finding | Fixed by |\n|---|---|---|---|---|\n"
        f"| error | [FCL401]({DOCS}/FCL401.md) cookie-not-fixed | apps/one/fly.toml&#58;6&#58;1 | "
        + row_message(proc.stdout, 0) + " | no (by hand) |\n"
        f"| error | [FCL203]({DOCS}/FCL203.md) node-host-not-private-ip | apps/one/rel/env.sh.eex&#58;22&#58;21 | "
        + row_message(proc.stdout, 1) + " | yes: `--fix` |\n\n"
        "### apps/two/fly.toml\n\n"
        "| Severity | Rule | Where | Finding | Fixed by |\n|---|---|---|---|---|\n"
        f"| error | [FCL401]({DOCS}/FCL401.md) cookie-not-fixed | apps/two/fly.toml&#58;6&#58;1 | "
        + row_message(proc.stdout, 2) + " | no (by hand) |\n"
        f"| error | [FCL203]({DOCS}/FCL203.md) node-host-not-private-ip | apps/two/rel/env.sh.eex&#58;22&#58;21 | "
        + row_message(proc.stdout, 3) + " | yes: `--fix` |\n")
    for row in range(4):
        assert "`" not in row_message(proc.stdout, row) and "|" not in row_message(proc.stdout, row)


def row_message(text: str, index: int) -> str:
    rows = [l for l in text.splitlines() if l.startswith("| error ")]
    return rows[index].split(" | ")[3]


def test_markdown_makes_repository_text_inert() -> None:
    from fly_cluster_lint.reporters.markdown import inert

    hostile = "x | y [click](https://evil.example) ![i](a) <img src=x> @everyone #1 `code` $x$ ~~s~~ \x1b[31m"
    shown = inert(hostile)
    bare = re.sub(r"&#\d+;", "", shown)
    for active in "|[]<>@#`$~&":
        assert active not in bare
    assert "\x1b" not in shown and "&#92;x1b" in shown


# -- the Action's one run ---------------------------------------------------------------------------------------

def test_action_run_writes_annotations_sarif_summary_and_outputs(tmp_path) -> None:
    workspace = workspace_with_three_apps(tmp_path / "ws")
    env = runner_env(tmp_path, workspace)
    env.update({"INPUT_PATH": "apps\n", "INPUT_ARGS": "--ignore 'FCL401' --secret \"DNS_CLUSTER_QUERY\"",
                "INPUT_FAIL_ON": "error", "INPUT_SARIF_FILE": "reports/fcl.sarif", "INPUT_SUMMARY": "true"})
    proc = run_action_module(env, workspace)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == ""
    assert sum(1 for l in proc.stdout.splitlines() if l.startswith("::error ")) == 10
    assert "FCL401" not in proc.stdout
    outputs = read_github_output(Path(env["GITHUB_OUTPUT"]).read_text())
    assert outputs == {"errors": "12", "warnings": "3", "infos": "0", "findings": "15", "exit-code": "1",
                       "sarif-file": "reports/fcl.sarif"}
    sarif = json.loads((workspace / "reports" / "fcl.sarif").read_text())
    assert len(sarif["runs"][0]["results"]) == 15
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert summary.startswith("## fly-cluster-lint\n\n15 findings: 12 errors, 3 warnings, 0 info.\n")
    assert summary.count("| error | [FCL") == 12 and summary.count("| warning | [FCL") == 3
    # one lint: the SARIF, the annotations and the summary hold the same findings
    assert sorted(r["ruleId"] for r in sarif["runs"][0]["results"]) == sorted(
        re.findall(r"\| (?:error|warning) \| \[(FCL\d+)\]", summary))


def test_action_run_clean_project_and_summary_off(tmp_path) -> None:
    workspace = tmp_path / "ws"
    shutil.copytree(ROOT / "examples" / "hello_cluster", workspace)
    env = runner_env(tmp_path, workspace)
    env.update({"INPUT_PATH": ".", "INPUT_ARGS": "--secret RELEASE_COOKIE", "INPUT_SUMMARY": "false"})
    proc = run_action_module(env, workspace)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert Path(env["GITHUB_STEP_SUMMARY"]).read_text() == ""
    assert read_github_output(Path(env["GITHUB_OUTPUT"]).read_text())["exit-code"] == "0"


@pytest.mark.parametrize("args, message", [
    ("--select 'FCL1", "the action's `args` input cannot be split as a shell would: No closing quotation"),
    ("--format json", "the action's `args` input may not hold `--format`: the action sets the output formats "
                      "itself (use the `sarif-file` input for SARIF)"),
    ("--colour never", "unrecognized option `--colour` for `check`; did you mean `--color`? "
                       "(see `fly-cluster-lint help check`)"),
])
def test_action_run_bad_args_exit_2_with_outputs(tmp_path, args, message) -> None:
    workspace = tmp_path / "ws"
    shutil.copytree(BROKEN, workspace)
    env = runner_env(tmp_path, workspace)
    env.update({"INPUT_PATH": ".", "INPUT_ARGS": args})
    proc = run_action_module(env, workspace)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == f"fly-cluster-lint: error: {message}\n"
    outputs = read_github_output(Path(env["GITHUB_OUTPUT"]).read_text())
    assert outputs["exit-code"] == "2" and outputs["findings"] == "0"


def test_action_run_reads_fly_secrets_list(tmp_path) -> None:
    workspace = tmp_path / "ws"
    shutil.copytree(BROKEN, workspace)
    (workspace / "secrets.json").write_text('[{"Name": "RELEASE_COOKIE", "Digest": "5f3a9c2e1b7d4a60", '
                                            '"CreatedAt": "2026-11-02T10:00:00Z"}]')
    env = runner_env(tmp_path, workspace)
    env.update({"INPUT_PATH": ".", "INPUT_SECRETS_FROM": "secrets.json"})
    proc = run_action_module(env, workspace)
    assert proc.returncode == 1 and "FCL401" not in proc.stdout and "FCL203" in proc.stdout
    assert "5f3a9c2e1b7d4a60" not in proc.stdout + Path(env["GITHUB_STEP_SUMMARY"]).read_text()


# -- the composite steps, as a runner runs them ---------------------------------------------------------------

def expand(value: str, context: dict) -> str:
    def sub(match: re.Match) -> str:
        expr = match.group(1).strip()
        assert expr in context, f"unexpected expression {expr}"
        return context[expr]

    return re.sub(r"\$\{\{(.*?)\}\}", sub, value)


def condition(expr: str, context: dict) -> bool:
    left, op, right = re.fullmatch(r"\s*([\w.-]+)\s*(==|!=)\s*'([^']*)'\s*", expr).groups()
    return (context[left] == right) == (op == "==")


def run_composite(tmp_path: Path, workspace: Path, inputs: dict, path_dirs: list[str]) -> tuple[list, dict, dict]:
    action = yaml.safe_load(ACTION.read_text())
    values = {name: spec.get("default", "") for name, spec in action["inputs"].items()}
    values.update(inputs)
    env = runner_env(tmp_path, workspace)
    env["PATH"] = os.pathsep.join(path_dirs + [env.get("PATH", "")])
    env["UV_CACHE_DIR"] = str(Path(os.environ.get("FCL_TEST_UV_CACHE", tmp_path / "uv-cache")))
    env["GITHUB_ACTION_PATH"] = str(ROOT)
    context = {f"inputs.{k}": v for k, v in values.items()}
    context["github.action_path"] = str(ROOT)
    results, step_outputs = [], {}
    output_file = Path(env["GITHUB_OUTPUT"])
    for step in action["runs"]["steps"]:
        if "if" in step and not condition(step["if"], context):
            continue
        if "uses" in step:
            assert step["uses"].startswith("astral-sh/setup-uv@")  # provides `uv` on PATH: the test's own
            continue
        step_env = dict(env)
        step_env.update({k: expand(str(v), context) for k, v in step.get("env", {}).items()})
        output_file.write_text("")
        cwd = workspace / expand(step.get("working-directory", "."), context)
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step["run"]], cwd=cwd,
                              env=step_env, capture_output=True, text=True, timeout=900)
        results.append(proc)
        outputs = read_github_output(output_file.read_text())
        if "id" in step:
            step_outputs[step["id"]] = outputs
            context.update({f"steps.{step['id']}.outputs.{k}": v for k, v in outputs.items()})
        if proc.returncode != 0:
            break
    action_outputs = {name: re.sub(r"\$\{\{(.*?)\}\}", lambda m: context.get(m.group(1).strip(), ""), spec["value"])
                      for name, spec in action["outputs"].items()}
    return results, action_outputs, env


def _offline(proc: subprocess.CompletedProcess) -> bool:
    return any(w in proc.stderr for w in ("Failed to fetch", "Network is unreachable", "NewConnectionError",
                                          "Temporary failure in name resolution", "dns error"))


@pytest.mark.slow
def test_composite_steps_with_uv_from_a_subfolder(tmp_path) -> None:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed (pip install '.[test]')")
    workspace = workspace_with_three_apps(tmp_path / "ws")
    results, outputs, env = run_composite(tmp_path, workspace, {
        "working-directory": "apps", "path": "one\ntwo", "args": "--ignore FCL401 --select 'FCL1,FCL2,FCL3'",
        "sarif-file": "fcl.sarif"}, [str(Path(uv).parent)])
    install, lint = results
    if install.returncode and _offline(install):
        pytest.skip("no network for the install step")
    assert install.returncode == 0, install.stderr
    assert lint.returncode == 1, lint.stderr
    annotations = [l for l in lint.stdout.splitlines() if l.startswith("::error ")]
    assert len(annotations) == 6  # per app FCL101, FCL203, FCL304; FCL208 (short names) is a warning
    assert len([l for l in lint.stdout.splitlines() if l.startswith("::warning ")]) == 2
    assert "::error file=apps/one/rel/env.sh.eex,line=22,col=21,endLine=22,endColumn=50,title=FCL203 " \
           "node-host-not-private-ip::" in lint.stdout
    assert outputs == {"errors": "6", "warnings": "2", "infos": "0", "findings": "8", "exit-code": "1",
                       "sarif-file": "fcl.sarif"}
    sarif = json.loads((workspace / "apps" / "fcl.sarif").read_text())
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert uris == {"apps/one/rel/env.sh.eex", "apps/one/config/runtime.exs", "apps/two/rel/env.sh.eex",
                    "apps/two/config/runtime.exs"}
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert summary.count("| error | [FCL") == 6 and summary.count("| warning | [FCL") == 2 and "### apps/two/fly.toml" in summary


@pytest.mark.slow
def test_composite_steps_with_the_python_on_path(tmp_path) -> None:
    workspace = tmp_path / "ws"
    shutil.copytree(BROKEN, workspace)
    results, outputs, env = run_composite(tmp_path, workspace, {"setup-python": "false", "fail-on": "never"},
                                          [str(Path(sys.executable).parent)])
    install, lint = results
    if install.returncode and _offline(install):
        pytest.skip("no network for the install step")
    assert install.returncode == 0, install.stderr
    assert lint.returncode == 0, lint.stderr
    assert outputs["errors"] == "5" and outputs["warnings"] == "1" and outputs["exit-code"] == "0" and outputs["sarif-file"] == ""
