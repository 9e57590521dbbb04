"""`--format markdown`: a Markdown report, as the GitHub Action writes it to the job summary
(GITHUB_STEP_SUMMARY): one table per app with each finding, its rule's page and whether `--fix` repairs it.

Text from the repository (paths, messages that quote a file) is Markdown-inert here: every character that
Markdown or the HTML GitHub allows in it could act on is written as an HTML character reference, so a file
name cannot become a link, an image, a mention that notifies, a table cell of its own or raw HTML.
"""

from __future__ import annotations

from fly_cluster_lint.paths import repository_path
from fly_cluster_lint.reporters.printable import visible

SEVERITY = {"error": "error", "warning": "warning", "info": "info"}
ORDER = {"error": 0, "warning": 1, "info": 2}
# What could act inside a table cell: emphasis, code, links and images, HTML, cell borders, strike-through,
# mentions and issue references, autolinked URLs (`:`) and math (`$`).
ACTIVE = set("\\`*_[]<>#|~@&:$")


BREAK = "&#8203;"  # a zero-width space: GitHub's renderer decodes references *before* its autolink pass


def inert(text: str) -> str:
    """Visible text with every Markdown- or HTML-active character as a numeric character reference, and a
    zero-width space after each `@`, `:` and the `.` of `www.`: the references alone do not stop cmark-gfm's
    extended autolinks (`me@evil.example`, `www.evil.example`, `https://...`), which it finds after decoding
    them (checked with cmarkgfm, the renderer GitHub uses)."""
    text = visible(text)
    out = []
    for i, ch in enumerate(text):
        www = ch == "." and text[max(0, i - 3):i].lower() == "www"
        out.append(f"&#{ord(ch)};" if ch in ACTIVE or www else ch)
        if ch in "@:" or www:
            out.append(BREAK)
    return "".join(out)


def fix_text(d) -> str:
    if d.fix is None:
        return "no (by hand)"
    if d.fix.applicability == "safe":
        return "yes: `--fix`"
    return "yes: `--fix --unsafe-fixes`"


def render(result, *, color: bool = False) -> str:
    from fly_cluster_lint.registry import docs_url

    diagnostics = sorted(result.diagnostics, key=lambda d: (d.app or "", ORDER[d.severity], d.sort_key()))
    counts = {level: sum(1 for d in diagnostics if d.severity == level) for level in ORDER}
    lines = ["## fly-cluster-lint", ""]
    if not diagnostics:
        apps = len(result.apps)
        lines.append(f"No problems found in {apps} app{'s' if apps != 1 else ''}.")
        return "\n".join(lines) + "\n"
    total = len(diagnostics)
    lines.append(f"{total} finding{'s' if total != 1 else ''}: {counts['error']} error{'s' if counts['error'] != 1 else ''}, "
                 f"{counts['warning']} warning{'s' if counts['warning'] != 1 else ''}, {counts['info']} info.")
    current = None
    for d in diagnostics:
        app = d.app or ""
        if app != current:
            current = app
            lines += ["", f"### {inert(repository_path(app)) if app else 'Project'}", "",
                      "| Severity | Rule | Where | Finding | Fixed by |", "|---|---|---|---|---|"]
        where = f"{inert(repository_path(d.span.file))}&#58;{d.span.line}&#58;{d.span.column}"
        rule = f"[{d.code}]({docs_url(d.code)}) {inert(d.slug)}"
        finding = inert(d.message) + (f"<br>help&#58; {inert(d.help)}" if d.help else "")
        lines.append(f"| {SEVERITY[d.severity]} | {rule} | {where} | {finding} | {fix_text(d)} |")
    return "\n".join(lines) + "\n"
