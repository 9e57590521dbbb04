"""Every GitHub Actions file in the repository (action.yml, .github/workflows/, the README's workflow) passes
zizmor, the Actions security linter, and check-jsonschema with its built-in GitHub schemas; the README shows
exactly the workflow that is checked here."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
README_WORKFLOW = ROOT / "docs" / "github-workflow.yml"


def tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install '.[test]'")
    return found


def test_there_are_test_and_release_workflows() -> None:
    assert [p.name for p in WORKFLOWS] == ["release.yml", "tests.yml"]
    tests = yaml.safe_load((ROOT / ".github" / "workflows" / "tests.yml").read_text())
    matrix = tests["jobs"]["test"]["strategy"]["matrix"]
    assert {"ubuntu-latest", "macos-latest", "windows-latest"} <= set(matrix["os"])
    assert matrix["python"] == ["3.9", "3.10", "3.11", "3.12", "3.13", "3.14"]
    release = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())
    assert release["jobs"]["publish"]["permissions"] == {"id-token": "write"}  # trusted publishing, no token
    assert any("pypa/gh-action-pypi-publish@" in s.get("uses", "") for s in release["jobs"]["publish"]["steps"])


def test_zizmor_finds_nothing() -> None:
    proc = subprocess.run([tool("zizmor"), "--offline", "--no-progress", "--config", str(ROOT / ".github" / "zizmor.yml"),
                           str(ROOT / "action.yml"), *map(str, WORKFLOWS), str(README_WORKFLOW)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout + proc.stderr


@pytest.mark.parametrize("schema, files", [
    ("vendor.github-workflows", [*WORKFLOWS, README_WORKFLOW]),
    ("vendor.github-actions", [ROOT / "action.yml"]),
])
def test_check_jsonschema_builtin_github_schemas(schema, files) -> None:
    proc = subprocess.run([tool("check-jsonschema"), "--builtin-schema", schema, *map(str, files)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_readme_shows_the_checked_workflow() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    body = README_WORKFLOW.read_text(encoding="utf-8")
    assert f"```yaml\n{body}```" in readme
