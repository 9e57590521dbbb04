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
            }
            for d in result.diagnostics
        ],
    }


def render(result, *, color: bool = False) -> str:
    return mask(json.dumps(document(result), indent=2, ensure_ascii=False), result.secrets) + "\n"
