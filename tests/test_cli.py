"""The real console script in a subprocess: exit codes, output formats, `rules`, `explain`, config errors."""

from __future__ import annotations

import json
import shutil

from fly_cluster_lint import __version__
from conftest import ROOT, expect_error, make_project, run_cli

BROKEN = ROOT / "examples" / "hello_broken"
CLUSTERED = ROOT / "examples" / "hello_cluster"


def test_broken_example_text_output_and_exit_1() -> None:
    proc = run_cli(str(BROKEN.relative_to(ROOT)), cwd=ROOT)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    frame = lines.index("examples/hello_broken/rel/env.sh.eex:22:21: FCL203 [*] error: the RELEASE_NODE host is "
                        "`$(hostname)`, not the private IPv6 address")
    assert lines[frame + 1: frame + 7] == [
        "    |",
        ' 22 | export RELEASE_NODE="${FLY_APP_NAME}@$(hostname)"',
        "    |                     " + "^" * 29,
        "  help: use `@${FLY_PRIVATE_IP}` as the host",
        f"  docs: https://github.com/fly-cluster-lint/fly-cluster-lint/blob/v{__version__}/docs/rules/FCL203.md",
        ""]
    assert lines[-2] == "5 errors, 1 warning in 1 app."
    assert lines[-1] == "[*] 5 fixable with `--fix` (`--diff` shows the change first)."
    assert "\033[" not in proc.stdout  # not a terminal: no colour
    assert proc.stderr == ""


def test_clustered_example_passes() -> None:
    proc = run_cli(str(CLUSTERED), cwd=ROOT)
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.strip().endswith("All checks passed: 1 app clustered correctly.")


def test_json_shape(tmp_path) -> None:
    proc = run_cli("--format", "json", "examples/hello_broken", cwd=ROOT)
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert set(doc) >= {"version", "apps", "diagnostics"}
    assert doc["apps"] == [{"root": "examples/hello_broken", "fly_toml": "examples/hello_broken/fly.toml",
                            "fly_app": "hello-broken", "mix_app": "hello_broken", "clustering_configured": True}]
    codes = sorted(d["code"] for d in doc["diagnostics"])
    assert codes == ["FCL101", "FCL203", "FCL208", "FCL304", "FCL401", "FCL501"]
    first = next(d for d in doc["diagnostics"] if d["code"] == "FCL203")
    assert first == {**first, "slug": "node-host-not-private-ip", "severity": "error",
                     "message": "the RELEASE_NODE host is `$(hostname)`, not the private IPv6 address",
                     "help": "use `@${FLY_PRIVATE_IP}` as the host",
                     "url": f"https://github.com/fly-cluster-lint/fly-cluster-lint/blob/v{__version__}/docs/rules/FCL203.md",
                     "file": "examples/hello_broken/rel/env.sh.eex", "line": 22, "column": 21, "end_line": 22,
                     "end_column": 50, "app": "examples/hello_broken/fly.toml"}
    for diag in doc["diagnostics"]:
        assert set(diag) == {"code", "slug", "severity", "message", "help", "url", "file", "line", "column",
                             "end_line", "end_column", "app", "fix"}
    assert doc["summary"] == {"apps": 1, "findings": 6, "errors": 5, "warnings": 1, "infos": 0, "fixable": 5,
                              "unsafe_fixable": 0, "by_code": {"FCL101": 1, "FCL203": 1, "FCL208": 1, "FCL304": 1,
                                                                "FCL401": 1, "FCL501": 1}}


def test_default_path_is_cwd_and_check_subcommand(tmp_path) -> None:
    project = make_project(tmp_path / "app")
    assert run_cli(cwd=project).returncode == 0
    assert run_cli("check", ".", cwd=project).returncode == 0
    assert run_cli("check", "fly.toml", cwd=project).returncode == 0


def test_file_path_selects_its_app(tmp_path) -> None:
    broken = tmp_path / "repo" / "broken"
    shutil.copytree(BROKEN, broken)
    shutil.copytree(CLUSTERED, tmp_path / "repo" / "clustered")
    (tmp_path / "repo" / ".git").mkdir()
    proc = run_cli("--format", "json", "clustered/config/runtime.exs", "broken/rel/env.sh.eex", cwd=tmp_path / "repo")
    doc = json.loads(proc.stdout)
    assert sorted(a["fly_app"] for a in doc["apps"]) == ["hello-broken", "hello-cluster"]
    proc = run_cli("--format", "json", "clustered/lib/hello_cluster/application.ex", cwd=tmp_path / "repo")
    assert [a["fly_app"] for a in json.loads(proc.stdout)["apps"]] == ["hello-cluster"]
    assert proc.returncode == 0


def test_no_app_is_not_an_error(tmp_path) -> None:
    (tmp_path / "README.md").write_text("hello\n")
    proc = run_cli(str(tmp_path))
    assert proc.returncode == 0
    assert "No Fly.io Elixir app found" in proc.stdout


def test_missing_path_exits_2_with_one_line() -> None:
    proc = run_cli("does/not/exist")
    assert proc.returncode == 2
    assert proc.stderr == "fly-cluster-lint: error: does/not/exist: no such file or directory\n"
    assert "Traceback" not in proc.stderr


def test_bad_arguments_exit_2() -> None:
    expect_error(run_cli("--format", "yaml", "."),
                 "argument --format: invalid choice: 'yaml' (choose from text, json, github, sarif, markdown)")


def test_select_ignore_and_secret(tmp_path) -> None:
    proc = run_cli("--format", "json", "--select", "FCL2,FCL401", "examples/hello_broken", cwd=ROOT)
    assert sorted(d["code"] for d in json.loads(proc.stdout)["diagnostics"]) == ["FCL203", "FCL208", "FCL401"]
    proc = run_cli("--format", "json", "--ignore", "FCL1,FCL2", "--secret", "RELEASE_COOKIE", "examples/hello_broken",
                   cwd=ROOT)
    assert sorted(d["code"] for d in json.loads(proc.stdout)["diagnostics"]) == ["FCL304", "FCL501"]


def test_config_file_severity_and_ignore(tmp_path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(BROKEN, broken)
    (broken / ".fly-cluster-lint.toml").write_text('ignore = ["FCL1"]\n\n[severity]\nFCL401 = "warning"\n')
    doc = json.loads(run_cli("--format", "json", str(broken)).stdout)
    by_code = {d["code"]: d["severity"] for d in doc["diagnostics"]}
    assert "FCL101" not in by_code and by_code["FCL401"] == "warning"


def test_config_errors_exit_2(tmp_path) -> None:
    project = make_project(tmp_path / "app")
    config = project / ".fly-cluster-lint.toml"
    cases = {
        'colour = "always"\n': f"{config}: unknown key `colour` (known keys: secrets, secrets_from, select, ignore, severity, exclude)",
        'ignore = ["FCL999"]\n': f"{config}: unknown rule code `FCL999` (see `fly-cluster-lint rules`)",
        '[severity]\nFCL401 = "fatal"\n': f"{config}: severity of FCL401 must be one of error, warning, info, not `fatal`",
        'secrets = "RELEASE_COOKIE"\n': f"{config}: `secrets` must be a list of strings",
        'select = ["FCL1O1"]\n': f"{config}: unknown rule code `FCL1O1`; did you mean `FCL101`?",
        '[severity]\nFCL41 = "warning"\n': f"{config}: unknown rule code `FCL41` in [severity]; did you mean `FCL401`?",
        f'ignore = ["{"x" * 3000}"]\n': f"{config}: unknown rule code `{'x' * 60}... (2940 more characters)` "
                                        "(see `fly-cluster-lint rules`)",
        "secrets = [\n": None,  # tomllib's own wording follows our `<file>:<line>:<col>: invalid TOML: `
    }
    for text, message in cases.items():
        config.write_text(text)
        proc = run_cli(str(project))
        if message is None:  # tomllib's own wording: the position and the prefix are ours
            assert proc.returncode == 2 and proc.stderr.startswith(f"fly-cluster-lint: error: {config}:2:1: invalid TOML: ")
            continue
        expect_error(proc, message)
    expect_error(run_cli("--config", str(tmp_path / "nope.toml"), str(project)),
                 f"{tmp_path / 'nope.toml'}: configuration file not found")


def test_nearest_config_wins(tmp_path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".fly-cluster-lint.toml").write_text('ignore = ["FCL401"]\n')
    app = make_project(repo / "services" / "app", {".fly-cluster-lint.toml": None})
    assert run_cli(str(app)).returncode == 0  # the root config ignores FCL401
    (app / ".fly-cluster-lint.toml").write_text("secrets = []\n")
    proc = run_cli("--format", "json", str(app))
    assert [d["code"] for d in json.loads(proc.stdout)["diagnostics"]] == ["FCL401"]


def test_rules_and_explain() -> None:
    proc = run_cli("rules")
    assert proc.returncode == 0
    line = next(l for l in proc.stdout.splitlines() if l.startswith("FCL101"))
    assert line.split()[:3] == ["FCL101", "proto-dist-missing", "error"]
    doc = json.loads(run_cli("rules", "--format", "json").stdout)
    assert {"code": "FCL401", "slug": "cookie-not-fixed"}.items() <= doc[[r["code"] for r in doc].index("FCL401")].items()
    proc = run_cli("explain", "FCL101")
    assert proc.returncode == 0
    assert proc.stdout.startswith("FCL101 proto-dist-missing (error)\n")
    for heading in ("What it does", "Why is this bad", "Example:", "Use instead:", "How to fix", "References"):
        assert heading in proc.stdout
    assert run_cli("explain", "proto-dist-missing").stdout == proc.stdout
    expect_error(run_cli("explain", "FCL999"), "unknown rule `FCL999` (see `fly-cluster-lint rules`)")


def test_color_only_when_forced_and_never_with_no_color() -> None:
    forced = run_cli("--color", "always", "examples/hello_broken", cwd=ROOT)
    assert "\033[1;31mFCL203 [*] error:\033[0m" in forced.stdout
    assert "\033[" not in run_cli("examples/hello_broken", cwd=ROOT, env={"NO_COLOR": "1"}).stdout


def test_python_dash_m_and_version() -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "fly_cluster_lint", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("fly-cluster-lint 0.")
