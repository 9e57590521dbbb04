"""Every rule's YAML is complete and its examples are executed: the bad example raises exactly the
expected codes, the good example raises nothing. The README's rule table is generated from the same
files and must not be stale."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT, found, make_project
from fly_cluster_lint import registry
from fly_cluster_lint.docs import explain_text, pages, rules_table

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
    # FCL009 (unused-suppression) came with the integrations issue; FCL208 (short names that still work) and
    # FCL406 (a cookie that differs per machine) split rules whose runtime claims the reality lab refuted
    beyond_catalogue = {"FCL009", "FCL208", "FCL406"}
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


# -- what a booted release did (tests/lab) -----------------------------------------------------------------------

OBSERVATIONS = ROOT / "tests" / "lab" / "observations.json"


def test_runtime_blocks_are_written_from_the_lab_observations() -> None:
    """Each rule's `runtime:` block is exactly what tests/lab/sync_runtime.py writes from observations.json."""
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "lab"))
    import sync_runtime

    blocks = sync_runtime.blocks()
    assert set(blocks) == {r.code for r in RULES}
    for rule in RULES:
        assert rule.runtime == blocks[rule.code], f"{rule.code}: run python tests/lab/sync_runtime.py"
        assert sync_runtime.current(ROOT / "rules" / f"{rule.code}.yml") == sync_runtime.render(blocks[rule.code])
        assert rule.runtime.get("observed") or rule.runtime.get("not_observed"), rule.code


def test_no_lab_observation_contradicts_the_docs() -> None:
    """Every observation confirms the rule's docs, quoting them; none refutes them (reality wins: the docs
    were changed where the lab disagreed)."""
    import json

    data = json.loads(OBSERVATIONS.read_text(encoding="utf-8"))
    collapse = lambda text: " ".join(text.split())  # noqa: E731
    for code, entries in data.items():
        docs = collapse((ROOT / "rules" / f"{code}.yml").read_text(encoding="utf-8"))
        for entry in entries:
            assert entry["docs"].startswith(("confirms", "not observed")), (code, entry["test"], entry["docs"])
            assert collapse(entry["doc_claim"]) in docs, (code, entry["test"], entry["doc_claim"])


def test_explain_and_the_rule_page_show_what_a_release_did() -> None:
    text = explain_text(registry.get("FCL201"))
    assert "Seen on a booted release (Elixir 1.14.0, Erlang/OTP 25.2.3)" in text
    assert "    ERROR: Expected sname, name, or none in RELEASE_DISTRIBUTION, got: Name" in text
    page = pages(RULES)["FCL201.md"]
    assert "## Seen on a booted release" in page and "ERROR: Expected sname, name, or none" in page
    not_seen = explain_text(registry.get("FCL003"))
    assert "Not observed: " in not_seen


def test_rule_pages_are_current() -> None:
    folder = ROOT / "docs" / "rules"
    wanted = pages(RULES)
    present = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.md")}
    assert sorted(present) == sorted(wanted), "run python -m fly_cluster_lint.docs"
    stale = [name for name, text in wanted.items() if present[name] != text]
    assert stale == [], f"stale rule pages {stale}: run python -m fly_cluster_lint.docs"


def test_rule_page_shape() -> None:
    page = pages(RULES)["FCL203.md"]
    for heading in ("# FCL203: `node-host-not-private-ip`", "## What it does", "## Why is this bad?", "## Example",
                    "## Use instead", "## How to fix", "## Automatic fix", "## References"):
        assert heading in page
    assert "```sh\n#!/bin/sh\n" in page
    index = pages(RULES)["README.md"]
    assert "| [FCL203](FCL203.md) | `node-host-not-private-ip` | error | safe |" in index
