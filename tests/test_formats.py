"""Output formats: SARIF validated against the official schema on every fixture, GitHub workflow commands
and their escaping, --fail-on, --quiet, --statistics, --output-file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import BASE, FIXTURES, ROOT, lint, make_project, run_cli
from fly_cluster_lint import __version__
from fly_cluster_lint.reporters import github, sarif

SCHEMAS = ROOT / "tests" / "schemas"
SARIF_SCHEMA = SCHEMAS / "sarif-2.1.0.json"
CASES = sorted(p for p in (FIXTURES / "cases").iterdir() if p.is_dir())


def case_project(case: Path, dest: Path) -> Path:
    shutil.copytree(BASE, dest)
    if (case / "delete.txt").exists():
        for rel in (case / "delete.txt").read_text().split():
            (dest / rel).unlink()
    if (case / "files").exists():
        shutil.copytree(case / "files", dest, dirs_exist_ok=True)
    return dest


@pytest.fixture(scope="module")
def sarif_validator():
    import jsonschema
    schema = json.loads(SARIF_SCHEMA.read_text())
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_sarif_validates_on_every_case(case, tmp_path, sarif_validator) -> None:
    project = case_project(case, tmp_path / "app")
    doc = sarif.document(lint(project))
    errors = sorted(sarif_validator.iter_errors(doc), key=str)
    assert not errors, errors[0]
    expected = [l for l in (case / "expected.txt").read_text().splitlines() if l.strip()]
    assert len(doc["runs"][0]["results"]) == len(expected)


def test_sarif_validates_on_projects_and_examples(sarif_validator) -> None:
    for folder in [*sorted((FIXTURES / "projects").iterdir()), ROOT / "examples"]:
        doc = sarif.document(lint(folder))
        assert not list(sarif_validator.iter_errors(doc)), folder


def test_sarif_rules_and_regions() -> None:
    doc = json.loads(run_cli("--format", "sarif", "examples/hello_broken", cwd=ROOT).stdout)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    fcl101 = next(r for r in rules if r["id"] == "FCL101")
    assert fcl101["name"] == "proto-dist-missing" and fcl101["defaultConfiguration"]["level"] == "error"
    assert fcl101["helpUri"].endswith(f"/blob/v{__version__}/docs/rules/FCL101.md") and fcl101["shortDescription"]["text"]
    result = next(r for r in run["results"] if r["ruleId"] == "FCL203")
    assert rules[result["ruleIndex"]]["id"] == "FCL203"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "examples/hello_broken/rel/env.sh.eex"
    assert result["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 22, "startColumn": 21, "endLine": 22, "endColumn": 50}


def test_sarif_fingerprints_survive_lines_added_above(tmp_path) -> None:
    env = (BASE / "rel/env.sh.eex").read_text().replace('@${FLY_PRIVATE_IP}"', '@$(hostname)"')
    project = make_project(tmp_path / "app", {"rel/env.sh.eex": env})

    def prints() -> dict:
        doc = sarif.document(lint(project))
        return {r["ruleId"]: (r["partialFingerprints"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
                for r in doc["runs"][0]["results"]}

    before = prints()
    (project / "rel/env.sh.eex").write_text("#!/bin/sh\n# a comment\n# and another\n" + env.split("\n", 1)[1])
    after = prints()
    assert before["FCL203"][0] == after["FCL203"][0]
    assert after["FCL203"][1] == before["FCL203"][1] + 2


def test_sarif_fingerprints_of_missing_things_survive_edits_of_the_line_they_point_at(tmp_path) -> None:
    """hello_broken's missing things (no -proto_dist, no RELEASE_DISTRIBUTION, no ECTO_IPV6, no query config, no
    cookie) point at the line where the fix would add them. Editing those lines' text, and every other line
    that no finding is about, changes no fingerprint."""
    project = tmp_path / "hello_broken"
    shutil.copytree(ROOT / "examples" / "hello_broken", project)

    def prints() -> dict:
        doc = sarif.document(lint(project))
        return {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]):
                r["partialFingerprints"]["flyClusterLint/v1"] for r in doc["runs"][0]["results"]}

    before = prints()
    assert {code for code, _ in before} >= {"FCL101", "FCL208", "FCL501", "FCL304", "FCL401"}
    env = project / "rel" / "env.sh.eex"
    env.write_text(env.read_text().replace('DNS_CLUSTER_QUERY="${FLY_APP_NAME}.internal"',
                                           'DNS_CLUSTER_QUERY="${FLY_APP_NAME}.internal"  # edited'))
    toml = project / "fly.toml"
    toml.write_text(toml.read_text().replace("app = 'hello-broken'", "app = 'hello-broken'  # edited"))
    runtime = project / "config" / "runtime.exs"
    lines = runtime.read_text().splitlines(keepends=True)
    assert lines[43].strip() == "end"
    runtime.write_text("".join(lines[:43]) + "  # the end of the prod block\n" + lines[43].replace("end", "end ") + "".join(lines[44:]))
    after = prints()
    assert after == before


def test_github_commands_and_escaping() -> None:
    assert github.escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert github.escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    proc = run_cli("--format", "github", "examples/hello_broken", cwd=ROOT)
    assert proc.returncode == 1
    line = next(l for l in proc.stdout.splitlines() if "FCL203" in l)
    assert line == ("::error file=examples/hello_broken/rel/env.sh.eex,line=22,col=21,endLine=22,endColumn=50,"
                    "title=FCL203 node-host-not-private-ip::the RELEASE_NODE host is `$(hostname)`, not the private "
                    "IPv6 address%0Ahelp: use `@${FLY_PRIVATE_IP}` as the host%0Adocs: https://github.com/"
                    f"fly-cluster-lint/fly-cluster-lint/blob/v{__version__}/docs/rules/FCL203.md")


def test_github_is_the_default_on_actions_and_info_is_notice(tmp_path) -> None:
    project = make_project(tmp_path / "app", {".fly-cluster-lint.toml": '[severity]\nFCL401 = "info"\n'})
    proc = run_cli(str(project), env={"GITHUB_ACTIONS": "true"})
    assert proc.returncode == 0
    assert proc.stdout.startswith("::notice file=") and "title=FCL401 cookie-not-fixed::" in proc.stdout
    assert run_cli(str(project), "--format", "text", env={"GITHUB_ACTIONS": "true"}).stdout.startswith(
        str(project) + "/fly.toml:1:1: FCL401 info:")


def test_fail_on(tmp_path) -> None:
    project = make_project(tmp_path / "app", {".fly-cluster-lint.toml": '[severity]\nFCL401 = "warning"\n'})
    assert run_cli(str(project)).returncode == 0
    assert run_cli(str(project), "--fail-on", "warning").returncode == 1
    assert run_cli(str(project), "--fail-on", "info").returncode == 1
    assert run_cli("--fail-on", "never", "examples/hello_broken", cwd=ROOT).returncode == 0


def test_quiet_statistics_and_output_file(tmp_path) -> None:
    quiet = run_cli("-q", "examples/hello_broken", cwd=ROOT).stdout.splitlines()
    assert len(quiet) == 6 and all(": FCL" in line for line in quiet)
    stats = run_cli("--statistics", "examples", cwd=ROOT).stdout.splitlines()
    assert stats[0] == "1  FCL101  proto-dist-missing (error)" and stats[-1] == "5 errors, 1 warning in 2 apps."
    out = tmp_path / "reports" / "lint.sarif"
    proc = run_cli("--format", "sarif", "--output-file", str(out), "examples/hello_broken", cwd=ROOT)
    assert proc.returncode == 1 and proc.stdout == ""
    assert json.loads(out.read_text())["version"] == "2.1.0"


# fly.toml fixtures that deliberately differ from SchemaStore's fly.json, with why.
FLY_SCHEMA_EXCEPTIONS = {
    "tests/fixtures/cases/fcl001-toml/files/fly.toml": "not TOML at all: the FCL001 case",
    "tests/fixtures/cases/image-top-level-processes-list-is-no-override/files/fly.toml":
        "`processes = []` at the top level, as old flyctl wrote it; flyctl still reads it, the schema wants a table",
    "tests/fixtures/projects/legacy_dockerfile_env/fly.toml": "`processes = []` from an old `fly launch`",
    "tests/fixtures/projects/libcluster/fly.toml":
        "`auto_stop_machines = false`: flyctl still accepts the boolean, the schema only the strings",
    "tests/fixtures/projects/monorepo/services/api/fly.toml": "`auto_stop_machines = false`, as above",
}


def test_fly_toml_fixtures_follow_the_fly_schema() -> None:
    """Fixtures are realistic: every fly.toml validates against fly.json unless listed above with the reason."""
    import jsonschema

    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib

    schema = json.loads((SCHEMAS / "fly.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    checked, problems = 0, {}
    for path in sorted([*ROOT.glob("tests/fixtures/**/*.toml"), *ROOT.glob("examples/**/*.toml")]):
        rel = path.relative_to(ROOT).as_posix()
        if "hostile" in rel or not (path.name.startswith("fly") or "/deploy/" in rel):
            continue
        try:
            errors = [e.message for e in validator.iter_errors(tomllib.loads(path.read_text(encoding="utf-8")))]
        except tomllib.TOMLDecodeError as error:
            errors = [str(error)]
        checked += 1
        if bool(errors) != (rel in FLY_SCHEMA_EXCEPTIONS):
            problems[rel] = errors or "validates now: remove it from FLY_SCHEMA_EXCEPTIONS"
    assert problems == {}
    assert checked >= 30


def test_json_summary_counts_exactly() -> None:
    doc = json.loads(run_cli("--no-cache", "--format", "json", "examples/hello_broken", cwd=ROOT).stdout)
    assert doc["summary"] == {"apps": 1, "findings": 6, "errors": 5, "warnings": 1, "infos": 0, "fixable": 5,
                              "unsafe_fixable": 0,
                              "by_code": {"FCL101": 1, "FCL203": 1, "FCL208": 1, "FCL304": 1, "FCL401": 1, "FCL501": 1}}


def test_sarif_fingerprints_count_occurrences_from_zero(tmp_path) -> None:
    """Two findings of one code on lines of the same text in one file (two unused suppressions): `...:0` and
    `...:1` with the same hash; every other fingerprint ends in `:0`."""
    env = (BASE / "rel/env.sh.eex").read_text()
    lines = env.splitlines(keepends=True)
    stale = "# fly-cluster-lint: ignore[FCL101]\n"
    project = make_project(tmp_path / "app", {"rel/env.sh.eex": "".join(lines[:2]) + stale + "".join(lines[2:4]) + stale
                                              + "".join(lines[4:])})
    doc = sarif.document(lint(project))
    prints = sorted(r["partialFingerprints"]["flyClusterLint/v1"] for r in doc["runs"][0]["results"])
    assert len(prints) == 2 and [p.rsplit(":", 1)[1] for p in prints] == ["0", "1"]
    assert prints[0].rsplit(":", 1)[0] == prints[1].rsplit(":", 1)[0]
