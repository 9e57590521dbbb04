"""Every rule's YAML is complete and its examples are executed: the bad example raises exactly the
expected codes, the good example raises nothing. The README's rule table is generated from the same
files and must not be stale."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT, found, make_project
from fly_cluster_lint import registry
from fly_cluster_lint.docs import explain_text, rules_table

RULES = registry.all_rules()
CATALOGUE = ROOT.parent / "shared" / "rule-catalogue.md"


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_bad_example_raises_exactly_the_expected_codes(rule, tmp_path) -> None:
    project = make_project(tmp_path / "bad", rule.bad["files"])
    codes = sorted({line.rsplit(" ", 1)[-1] for line in found(project)})
    assert codes == sorted(rule.expect)
    assert rule.code in codes


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_good_example_is_clean(rule, tmp_path) -> None:
    project = make_project(tmp_path / "good", rule.good["files"])
    assert found(project) == []


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_metadata(rule) -> None:
    assert re.fullmatch(r"FCL\d{3}", rule.code)
    assert (ROOT / "rules" / f"{rule.code}.yml").is_file()
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.slug)
    assert rule.severity in ("error", "warning", "info")
    assert rule.summary and "\n" not in rule.summary and len(rule.summary) <= 110
    assert rule.what and rule.why and rule.fix and rule.references
    assert rule.bad.get("description") and rule.bad.get("files")
    assert rule.good.get("description") and "files" in rule.good
    assert rule.runs_in_engine or callable(rule.check())
    text = explain_text(rule)
    assert rule.code in text and rule.slug in text and "Why is this bad" in text


def test_codes_and_slugs_are_unique() -> None:
    assert len({r.code for r in RULES}) == len(RULES)
    assert len({r.slug for r in RULES}) == len(RULES)


@pytest.mark.skipif(not CATALOGUE.exists(), reason="shared/rule-catalogue.md is not beside the checkout")
def test_codes_slugs_and_severities_match_the_catalogue() -> None:
    rows = {}
    for line in CATALOGUE.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 4 and re.fullmatch(r"FCL\d{3}", cells[1]):
            rows[cells[1]] = (cells[2], cells[3])
    beyond_catalogue = {"FCL009"}  # unused-suppression, specified by the integrations issue
    for rule in RULES:
        if rule.code in beyond_catalogue:
            continue
        assert rows[rule.code] == (rule.slug, rule.severity), rule.code
    assert set(rows) <= {r.code for r in RULES}, "every catalogue rule is implemented"


def test_readme_rule_table_is_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert rules_table(RULES) in readme, "README rule table is stale: run `python -m fly_cluster_lint.docs`"


def test_fix_kinds_match_the_fixes() -> None:
    """A rule documented with a fix has a golden fix case; a rule documented without one never offers one."""
    import shutil
    import tempfile
    from pathlib import Path

    from conftest import BASE, FIXTURES, lint

    fixed_cases = {p.name for p in (FIXTURES / "fixes").iterdir() if p.is_dir()}
    offered: dict[str, set] = {}
    for case in sorted((FIXTURES / "cases").iterdir()):
        with tempfile.TemporaryDirectory() as tmp:
            project = Path(tmp) / "app"
            shutil.copytree(BASE, project)
            if (case / "delete.txt").exists():
                for rel in (case / "delete.txt").read_text().split():
                    (project / rel).unlink()
            if (case / "files").exists():
                shutil.copytree(case / "files", project, dirs_exist_ok=True)
            for d in lint(project).diagnostics:
                if d.fix is not None:
                    offered.setdefault(d.code, set()).add(d.fix.applicability)
    for rule in RULES:
        if rule.fix_kind == "none":
            assert rule.code not in offered, rule.code
        else:
            assert any(name.startswith(rule.code.lower()) for name in fixed_cases), rule.code
            assert rule.fix_kind in offered.get(rule.code, set()) or rule.code == "FCL201", rule.code
