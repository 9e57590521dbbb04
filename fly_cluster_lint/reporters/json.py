"""`--format json`: one object with the apps and the diagnostics (files relative to the working
directory, `/` separators, 1-based lines and columns, end exclusive). Written as pure ASCII JSON
(reporters.printable.json_text); text from the repository is shown with printable.visible."""

from __future__ import annotations

from fly_cluster_lint import __version__
from fly_cluster_lint.paths import display
from fly_cluster_lint.reporters.printable import json_text, visible


def document(result) -> dict:
    return {
        "version": __version__,
        "apps": [
            {
                "root": visible(display(app.spec.project)),
                "fly_toml": visible(app.toml_path),
                "fly_app": visible(app.fly_app) if app.fly_app is not None else None,
                "mix_app": visible(app.mix_app) if app.mix_app is not None else None,
                "clustering_configured": app.clustering_configured,
            }
            for app in result.apps
        ],
        "skipped": [{"fly_toml": visible(path), "reason": visible(reason)} for path, reason in result.skipped],
        "diagnostics": [
            {
                "code": d.code,
                "slug": d.slug,
                "severity": d.severity,
                "message": visible(d.message),
                "help": visible(d.help) if d.help else None,
                "url": d.url,
                "file": visible(d.span.file),
                "line": d.span.line,
                "column": d.span.column,
                "end_line": d.span.end_line,
                "end_column": d.span.end_column,
                "app": visible(d.app),
                "fix": fix_document(d.fix, result),
            }
            for d in result.diagnostics
        ],
        "summary": summary_counts(result),
    }


def summary_counts(result) -> dict:
    """Counts by severity and by code, the apps linted, and how many findings --fix repairs."""
    by_code: dict = {}
    for d in result.diagnostics:
        by_code[d.code] = by_code.get(d.code, 0) + 1
    return {
        "apps": len(result.apps),
        "findings": len(result.diagnostics),
        "errors": sum(1 for d in result.diagnostics if d.severity == "error"),
        "warnings": sum(1 for d in result.diagnostics if d.severity == "warning"),
        "infos": sum(1 for d in result.diagnostics if d.severity == "info"),
        "fixable": sum(1 for d in result.diagnostics if d.fix is not None and d.fix.applicability == "safe"),
        "unsafe_fixable": sum(1 for d in result.diagnostics if d.fix is not None and d.fix.applicability == "unsafe"),
        "by_code": dict(sorted(by_code.items())),
    }


WITHHELD = "withheld: the change holds a secret value (apply it with --fix, or see --diff)"


def holds_secret(text: str, secrets) -> bool:
    """Whether new file content would carry a secret (a known value, or a value assigned to a secret name)."""
    from fly_cluster_lint.model.secrets import masked_ranges

    return secrets is not None and any(masked_ranges(line, secrets) for line in text.split("\n"))


def fix_document(fix, result, raw: bool = False) -> dict | None:
    """{"applicability", "message", "edits": [...]}: an edit is {"file", "line", "column", "end_line",
    "end_column", "content"} (a new file is an edit at 1:1 of a file that does not exist yet) or
    {"file", "rename_to"}; content that would carry a secret is withheld (`"content": null` and a
    `"withheld"` reason). `raw`: file names as they are (SARIF encodes them as URIs itself)."""
    if fix is None:
        return None
    shown = (lambda text: text) if raw else visible
    from pathlib import Path

    from fly_cluster_lint.fixes import Create, Edit, Rename
    from fly_cluster_lint.parsers import ParseError

    files = result.files
    edits = []
    for edit in fix.edits:
        if isinstance(edit, Rename):
            edits.append({"file": shown(display(Path(edit.path))), "rename_to": shown(display(Path(edit.target)))})
            continue
        if isinstance(edit, Edit):
            try:
                source = files.source(Path(edit.path)) if files is not None else None
            except ParseError:
                source = None
            if source is None:
                continue
            (line, column), (end_line, end_column) = source.point(edit.start), source.point(edit.end)
        elif isinstance(edit, Create):
            line, column, end_line, end_column = 1, 1, 1, 1
        else:
            continue
        item = {"file": shown(display(Path(edit.path))), "line": line, "column": column, "end_line": end_line,
                "end_column": end_column, "content": edit.content}
        if holds_secret(edit.content, result.secrets):
            item["content"] = None
            item["withheld"] = WITHHELD
        edits.append(item)
    return {"applicability": fix.applicability, "message": visible(fix.message), "edits": edits}


def render(result, *, color: bool = False) -> str:
    return json_text(document(result)) + "\n"
