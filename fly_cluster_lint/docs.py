"""Rule documentation rendered from rules/FCLnnn.yml: `explain` text, the rule pages under docs/rules/ (one
Markdown page per rule and an index) and the README rule table. `python -m fly_cluster_lint.docs` rewrites
the pages and the table; a test fails when any of them is stale."""

from __future__ import annotations

import textwrap

TABLE_BEGIN = "<!-- rules-table:begin (generated from rules/*.yml by `python -m fly_cluster_lint.docs`) -->"
TABLE_END = "<!-- rules-table:end -->"
GENERATED = "<!-- generated from rules/{code}.yml by `python -m fly_cluster_lint.docs`; edit the YAML, not this page -->"
AUTOMATIC = {"safe": "safe: `fly-cluster-lint --fix` applies it",
             "unsafe": "unsafe (it may change behaviour you rely on): applied with `--fix --unsafe-fixes`",
             "none": "none: fix it by hand as described above"}
LANGUAGES = {".eex": "sh", ".sh": "sh", ".toml": "toml", ".exs": "elixir", ".ex": "elixir", ".lock": "elixir"}


def runtime_lines(rule) -> list[str]:
    """What the reality lab saw on booted releases, as plain text lines (explain)."""
    runtime = rule.runtime or {}
    out = []
    if runtime.get("observed"):
        for item in runtime["observed"]:
            out.append(f"- {item['outcome']}")
            out.extend(f"    {message}" for message in item.get("messages") or ())
    elif runtime.get("not_observed"):
        out.append(f"Not observed: {runtime['not_observed']}")
    return out


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
    out += ["Automatic fix", f"  {AUTOMATIC[rule.fix_kind]}", ""]
    seen = runtime_lines(rule)
    if seen:
        on = (rule.runtime or {}).get("seen_on")
        out.append("Seen on a booted release" + (f" ({on})" if on else ""))
        out.extend(f"  {line}" for line in seen)
        out.append("")
    out.append("References")
    out.extend(f"  {ref}" for ref in rule.references)
    out.append("")
    from fly_cluster_lint.registry import docs_url

    out += ["Documentation", f"  {docs_url(rule.code)}", ""]
    return "\n".join(out)


def _fence(text: str) -> str:
    """A code fence longer than any run of backticks in the text."""
    longest, run = 0, 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


def _language(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    if name.startswith(("Dockerfile", "Containerfile")) or name.endswith(".Dockerfile"):
        return "dockerfile"
    if name.startswith(("vm.args", "remote.vm.args")):
        return "text"
    for suffix, language in LANGUAGES.items():
        if name.endswith(suffix):
            return language
    return "text"


def rule_page(rule) -> str:
    """docs/rules/FCLnnn.md: what, why, example, use instead, fix, fix kind, what a real release did."""
    out = [GENERATED.format(code=rule.code), "", f"# {rule.code}: `{rule.slug}`", "",
           f"**Severity:** {rule.severity} · **Automatic fix:** {rule.fix_kind}", "", rule.summary, "",
           "## What it does", "", rule.what, "", "## Why is this bad?", "", rule.why, ""]

    def example(title: str, example: dict) -> None:
        out.extend([f"## {title}", "", example.get("description", "").strip(), ""])
        for path, content in (example.get("files") or {}).items():
            if content is None:
                out.extend([f"`{path}`: absent", ""])
                continue
            fence = _fence(content)
            out.extend([f"`{path}`:", "", f"{fence}{_language(path)}", content.rstrip("\n"), fence, ""])

    example("Example", rule.bad)
    example("Use instead", rule.good)
    out.extend(["## How to fix", "", rule.fix, "", "## Automatic fix", "", AUTOMATIC[rule.fix_kind][0].upper()
                + AUTOMATIC[rule.fix_kind][1:] + ".", ""])
    runtime = rule.runtime or {}
    if runtime.get("observed") or runtime.get("not_observed"):
        on = runtime.get("seen_on")
        out.extend(["## Seen on a booted release", ""])
        if on:
            out.extend([f"Observed by the project's reality lab ({on}), which boots real releases as two Fly "
                        f"Machines:", ""])
        for item in runtime.get("observed") or ():
            out.append(f"- {item['outcome']}")
            messages = item.get("messages") or ()
            if messages:
                body = "\n".join(messages)
                fence = _fence(body)
                out.extend(["", f"  {fence}text"] + [f"  {m}" for m in messages] + [f"  {fence}"])
        if runtime.get("not_observed"):
            out.append(f"Not observed: {runtime['not_observed']}")
        out.append("")
    out.extend(["## References", ""] + [f"- <{ref}>" for ref in rule.references] + [""])
    return "\n".join(out)


def index_page(rules) -> str:
    out = ["<!-- generated from rules/*.yml by `python -m fly_cluster_lint.docs`; edit the YAML, not this page -->",
           "", "# fly-cluster-lint rules", "",
           "Each page says what the rule checks, why it matters at runtime, a failing and a passing example, how to",
           "fix it, and what a booted release did in the project's reality lab.", "",
           "| code | slug | severity | fix | what it finds |", "|---|---|---|---|---|"]
    for rule in rules:
        summary = rule.summary.replace("|", "\\|")
        out.append(f"| [{rule.code}]({rule.code}.md) | `{rule.slug}` | {rule.severity} | "
                   f"{ {'safe': 'safe', 'unsafe': 'unsafe', 'none': '—'}[rule.fix_kind] } | {summary} |")
    out.append("")
    return "\n".join(out)


def pages(rules) -> dict[str, str]:
    """{file name under docs/rules/: content} for every rule and the index."""
    out = {f"{rule.code}.md": rule_page(rule) for rule in rules}
    out["README.md"] = index_page(rules)
    return out


def rules_table(rules) -> str:
    from fly_cluster_lint.registry import docs_url

    lines = [TABLE_BEGIN, "", "| code | slug | severity | fix | what it finds |", "|---|---|---|---|---|"]
    for rule in rules:
        summary = rule.summary.replace("|", "\\|")
        fix = {"safe": "safe", "unsafe": "unsafe", "none": "—"}[rule.fix_kind]
        lines.append(f"| [{rule.code}]({docs_url(rule.code)}) | `{rule.slug}` | {rule.severity} | {fix} | {summary} |")
    lines += ["", TABLE_END]
    return "\n".join(lines)


def update_readme(text: str, rules) -> str:
    start = text.index(TABLE_BEGIN)
    end = text.index(TABLE_END) + len(TABLE_END)
    return text[:start] + rules_table(rules) + text[end:]


if __name__ == "__main__":  # python -m fly_cluster_lint.docs: regenerate the rule pages and the README table
    from pathlib import Path

    from fly_cluster_lint import registry

    root = Path(__file__).resolve().parent.parent
    rules = registry.all_rules()
    readme = root / "README.md"
    readme.write_text(update_readme(readme.read_text(encoding="utf-8"), rules), encoding="utf-8")
    folder = root / "docs" / "rules"
    folder.mkdir(parents=True, exist_ok=True)
    wanted = pages(rules)
    for stale in folder.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()
    for name, text in wanted.items():
        (folder / name).write_text(text, encoding="utf-8")
