"""Golden tests: every folder in tests/fixtures/cases is the base project plus an overlay (`files/`, and
`delete.txt` for base files to remove); `expected.txt` lists exactly the findings, `file:line:col: CODE`.
An optional `env.json` lists variables as `fly-cluster-lint env --format json` must show them at boot:
{"VAR": {"value": ..., "layer": ..., "source": "file:line:col" or null}} (only the keys given are compared).

An empty expected.txt is a must-not-fire case (a false-positive trap from the catalogue).

`messages.txt` is the snapshot of everything else a finding says (as ruff's snapshot tests): its whole span,
severity, message, help and fix (applicability, description, and each edit's span and text), with the
project folder written as `<app>`. `FCL_UPDATE_SNAPSHOTS=1` rewrites the snapshots; review the diff."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import BASE, FIXTURES, found, lint

CASES = sorted(p for p in (FIXTURES / "cases").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Path, tmp_path: Path) -> None:
    project = tmp_path / "app"
    shutil.copytree(BASE, project)
    delete = case / "delete.txt"
    if delete.exists():
        for rel in delete.read_text().split():
            (project / rel).unlink()
    overlay = case / "files"
    if overlay.exists():
        shutil.copytree(overlay, project, dirs_exist_ok=True)
    expected = sorted(line for line in (case / "expected.txt").read_text().splitlines() if line.strip())
    assert found(project) == expected
    snapshot = case / "messages.txt"
    details = findings_in_detail(project)
    if os.environ.get("FCL_UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(details, encoding="utf-8")
    assert details == snapshot.read_text(encoding="utf-8"), f"{case.name}: FCL_UPDATE_SNAPSHOTS=1 rewrites it"
    env_file = case / "env.json"
    if env_file.exists():
        shown = boot_environment(project)
        for name, wanted in json.loads(env_file.read_text()).items():
            assert {key: shown[name][key] for key in wanted} == wanted, name


def findings_in_detail(project: Path) -> str:
    result = lint(project)
    root = str(project)

    def rel(path) -> str:
        return str(path).replace(root, "<app>").replace(os.sep, "/")

    lines = []
    for d in sorted(result.diagnostics, key=lambda d: (rel(d.span.file), d.span.line, d.span.column, d.code)):
        s = d.span
        lines.append(f"{rel(s.file)}:{s.line}:{s.column}-{s.end_line}:{s.end_column}: {d.code} {d.severity}: "
                     f"{rel(d.message)}")
        if d.help:
            lines.append(f"  help: {rel(d.help)}")
        if d.fix is not None:
            lines.append(f"  fix ({d.fix.applicability}): {rel(d.fix.message)}")
            for edit in d.fix.edits:  # Edit(path, start, end, content), Create(path, content), Rename(path, target)
                fields = ", ".join(f"{name}={rel(value) if name in ('path', 'target') else value!r}"
                                   for name, value in zip(edit._fields, edit))
                lines.append(f"    {type(edit).__name__}({fields})")
    return "".join(line + "\n" for line in lines)


def boot_environment(project: Path) -> dict:
    """`env --format json` of the project's one app: variable -> {"value", "layer", "source"}."""
    from fly_cluster_lint.reporters.environment import app_data

    result = lint(project)
    assert len(result.apps) == 1
    out = {}
    for var in app_data(result.apps[0])["variables"]:
        where = var["source"]
        source = None
        if where is not None:
            file = Path(where["file"])
            rel = os.path.relpath(file if file.is_absolute() else Path.cwd() / file, project)
            source = f"{Path(rel).as_posix()}:{where['line']}:{where['column']}"
        out[var["name"]] = {"value": var["value"], "layer": var["layer"], "source": source}
    return out



def test_base_project_is_clean(tmp_path: Path) -> None:
    shutil.copytree(BASE, tmp_path / "app")
    assert found(tmp_path / "app") == []


def test_every_rule_has_a_firing_case() -> None:
    from fly_cluster_lint import registry

    fired = set()
    for case in CASES:
        for line in (case / "expected.txt").read_text().splitlines():
            if line.strip():
                fired.add(line.rsplit(" ", 1)[-1])
    assert {r.code for r in registry.all_rules()} <= fired
