"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`) and other
tools. Rule descriptors come from rules/*.yml; regions are exact (1-based, end exclusive, code points);
`partialFingerprints` hash the rule, the file and the text of the line, so they stay the same when
unrelated lines are added above a finding."""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path

from fly_cluster_lint import __version__
from fly_cluster_lint.reporters.printable import json_text, visible

LEVELS = {"error": "error", "warning": "warning", "info": "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def document(result) -> dict:
    from fly_cluster_lint import registry

    rules = registry.all_rules()
    index = {r.code: i for i, r in enumerate(rules)}
    descriptors = [{
        "id": r.code,
        "name": r.slug,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": r.what},
        "help": {"text": f"{r.why}\n\nHow to fix:\n{r.fix}", "markdown": f"{r.why}\n\n**How to fix**\n\n{r.fix}"},
        "helpUri": r.help_uri,
        "defaultConfiguration": {"level": LEVELS[r.severity]},
        "properties": {"tags": ["fly.io", "elixir", "clustering"]},
    } for r in rules]
    from fly_cluster_lint.model.secrets import mask_source
    from fly_cluster_lint.source import Anchor

    sources = result.files.by_display() if result.files is not None else {}
    seen: dict[str, int] = {}
    results = []
    for d in result.diagnostics:
        s = d.span
        source = sources.get(s.file)
        if isinstance(s, Anchor):  # something absent: where it would go is not what the finding is about
            text = ""
        else:
            text = source.line_text(s.line).strip() if source is not None and s.line <= source.line_count else ""
            text = mask_source(text, result.secrets) if result.secrets is not None else text
        key = f"{d.code}\0{d.app}\0{s.file}\0{text}"
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        data = key.encode("utf-8", "surrogateescape")
        fingerprint = f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}:{occurrence}"
        results.append({
            "ruleId": d.code,
            "ruleIndex": index.get(d.code, 0),
            "level": LEVELS[d.severity],
            "message": {"text": visible(d.message) + (f"\nhelp: {visible(d.help)}" if d.help else "")},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(s.file), "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": s.line, "startColumn": s.column, "endLine": s.end_line,
                               "endColumn": max(s.end_column, s.column) if s.end_line == s.line else s.end_column},
                },
            }],
            "partialFingerprints": {"flyClusterLint/v1": fingerprint},
            "properties": {"app": visible(d.app), "slug": d.slug},
        })
        fixes = _fixes(d, result)
        if fixes:
            results[-1]["fixes"] = fixes
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "fly-cluster-lint", "version": __version__, "semanticVersion": __version__,
                                "informationUri": "https://github.com/fly-cluster-lint/fly-cluster-lint",
                                "rules": descriptors}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(_root()).as_uri() + "/"}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def _fixes(diagnostic, result) -> list:
    """SARIF `fixes`: one fix with an artifactChange per file, replacements by region. A rename, or a change
    whose content is withheld because it holds a secret, cannot be written as replacements: no fix then."""
    from fly_cluster_lint.reporters.json import fix_document

    doc = fix_document(diagnostic.fix, result, raw=True)
    if not doc or not doc["edits"] or any("rename_to" in e or e.get("content") is None for e in doc["edits"]):
        return []
    changes: dict[str, list] = {}
    for edit in doc["edits"]:
        changes.setdefault(edit["file"], []).append({
            "deletedRegion": {"startLine": edit["line"], "startColumn": edit["column"], "endLine": edit["end_line"],
                              "endColumn": edit["end_column"]},
            "insertedContent": {"text": edit["content"]},
        })
    return [{
        "description": {"text": f"{doc['message']} ({doc['applicability']})"},
        "artifactChanges": [{"artifactLocation": {"uri": _uri(f), "uriBaseId": "%SRCROOT%"}, "replacements": r}
                            for f, r in changes.items()],
    }]


def _root() -> str:
    """%SRCROOT%: the repository root on GitHub Actions (GITHUB_WORKSPACE), else the working directory."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    return os.path.realpath(workspace) if workspace else os.getcwd()


def _uri(file: str) -> str:
    """A URI reference for a displayed path, relative to %SRCROOT%: every byte of the real name
    percent-encoded as needed."""
    from urllib.parse import quote

    from fly_cluster_lint.paths import repository_path

    file = repository_path(file)
    raw = os.fsencode(file) if os.name != "nt" else file.encode("utf-8", "surrogateescape")
    if os.path.isabs(file):
        if os.name == "nt":
            return Path(file).as_uri()
        return "file://" + quote(raw)
    return quote(raw)


def render(result, *, color: bool = False) -> str:
    return json_text(document(result)) + "\n"
