"""Rule documentation rendered from rules/FCLnnn.yml: `explain` text and the README rule table."""

from __future__ import annotations

import textwrap

TABLE_BEGIN = "<!-- rules-table:begin (generated from rules/*.yml by `python -m fly_cluster_lint.docs`) -->"
TABLE_END = "<!-- rules-table:end -->"


def explain_text(rule) -> str:
    out = [f"{rule.code} {rule.slug} ({rule.severity})", "", rule.summary, ""]

    def section(title: str, body: str) -> None:
        out.append(title)
        out.append(textwrap.indent(body.strip(), "  "))
        out.append("")

    def example(title: str, example: dict) -> None:
        out.append(f"{title}: {example.get('description', '').strip()}")
        for path, content in (example.get("files") or {}).items():
            if content is None:
                out.append(f"  {path}: (absent)")
                continue
            out.append(f"  {path}:")
            out.append(textwrap.indent(content.rstrip("\n"), "    | ", lambda line: True))
        out.append("")

    section("What it does", rule.what)
    section("Why is this bad", rule.why)
    example("Example", rule.bad)
    example("Use instead", rule.good)
    section("How to fix", rule.fix)
    automatic = {"safe": "safe: `fly-cluster-lint --fix` applies it",
                 "unsafe": "unsafe (it may change behaviour you rely on): applied with `--fix --unsafe-fixes`",
                 "none": "none: fix it by hand as described above"}[rule.fix_kind]
    out += ["Automatic fix", f"  {automatic}", ""]
    out.append("References")
    out.extend(f"  {ref}" for ref in rule.references)
    out.append("")
    return "\n".join(out)


def rules_table(rules) -> str:
    lines = [TABLE_BEGIN, "", "| code | slug | severity | fix | what it finds |", "|---|---|---|---|---|"]
    for rule in rules:
        summary = rule.summary.replace("|", "\\|")
        fix = {"safe": "safe", "unsafe": "unsafe", "none": "—"}[rule.fix_kind]
        lines.append(f"| [{rule.code}](rules/{rule.code}.yml) | `{rule.slug}` | {rule.severity} | {fix} | {summary} |")
    lines += ["", TABLE_END]
    return "\n".join(lines)


def update_readme(text: str, rules) -> str:
    start = text.index(TABLE_BEGIN)
    end = text.index(TABLE_END) + len(TABLE_END)
    return text[:start] + rules_table(rules) + text[end:]


if __name__ == "__main__":  # python -m fly_cluster_lint.docs: regenerate the README table
    from pathlib import Path

    from fly_cluster_lint import registry

    readme = Path(__file__).resolve().parent.parent / "README.md"
    readme.write_text(update_readme(readme.read_text(encoding="utf-8"), registry.all_rules()), encoding="utf-8")
