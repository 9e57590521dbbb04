"""`--format json`: one object with the apps and the diagnostics (files relative to the working
directory, `/` separators, 1-based lines and columns, end exclusive)."""

from __future__ import annotations

import json

from fly_cluster_lint import __version__
from fly_cluster_lint.paths import display
from fly_cluster_lint.reporters import mask


def document(result) -> dict:
    return {
        "version": __version__,
        "apps": [
            {
                "root": display(app.spec.project),
                "fly_toml": app.toml_path,
                "fly_app": app.fly_app,
                "mix_app": app.mix_app,
                "clustering_configured": app.clustering_configured,
            }
            for app in result.apps
        ],
        "skipped": [{"fly_toml": path, "reason": reason} for path, reason in result.skipped],
        "diagnostics": [
            {
                "code": d.code,
                "slug": d.slug,
                "severity": d.severity,
                "message": d.message,
                "file": d.span.file,
                "line": d.span.line,
                "column": d.span.column,
                "end_line": d.span.end_line,
                "end_column": d.span.end_column,
                "app": d.app,
                "fix": fix_document(d.fix, result),
            }
            for d in result.diagnostics
        ],
    }


def fix_document(fix, result) -> dict | None:
    """{"applicability", "message", "edits": [{"file", "line", "column", "end_line", "end_column", "content"}]};
    a new file is an edit at 1:1 of a file that does not exist yet, a rename its content moved there and
    removed from the old path."""
    if fix is None:
        return None
    from pathlib import Path

    from fly_cluster_lint.fixes import Create, Edit, Rename

    files = result.files
    edits = []
    for edit in fix.edits:
        if isinstance(edit, Edit):
            source = files.source(Path(edit.path)) if files is not None else None
            if source is None:
                continue
            start = source.point(edit.start)
            end = source.point(edit.end)
            edits.append({"file": display(Path(edit.path)), "line": start[0], "column": start[1], "end_line": end[0],
                          "end_column": end[1], "content": edit.content})
        elif isinstance(edit, Create):
            edits.append({"file": display(Path(edit.path)), "line": 1, "column": 1, "end_line": 1, "end_column": 1,
                          "content": edit.content})
        elif isinstance(edit, Rename):
            source = files.source(Path(edit.path)) if files is not None else None
            if source is None:
                continue
            end = source.point(len(source.data))
            text = source.data.decode("utf-8", "replace")
            edits.append({"file": display(Path(edit.target)), "line": 1, "column": 1, "end_line": 1, "end_column": 1,
                          "content": text})
            edits.append({"file": display(Path(edit.path)), "line": 1, "column": 1, "end_line": end[0],
                          "end_column": end[1], "content": ""})
    return {"applicability": fix.applicability, "message": fix.message, "edits": edits}


def render(result, *, color: bool = False) -> str:
    return mask(json.dumps(document(result), indent=2, ensure_ascii=False), result.secrets) + "\n"
