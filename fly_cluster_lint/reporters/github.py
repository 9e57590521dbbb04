"""`--format github`: GitHub Actions workflow commands, one annotation per finding. Chosen by default when
GITHUB_ACTIONS=true and no --format is given."""

from __future__ import annotations

from fly_cluster_lint.reporters import mask

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result, *, color: bool = False) -> str:
    lines = []
    for d in result.diagnostics:
        s = d.span
        props = [("file", s.file), ("line", str(s.line)), ("col", str(s.column)), ("endLine", str(s.end_line)),
                 ("endColumn", str(s.end_column)), ("title", f"{d.code} {d.slug}")]
        joined = ",".join(f"{k}={escape_property(v)}" for k, v in props)
        lines.append(f"::{LEVELS[d.severity]} {joined}::{escape_data(d.message)}")
    return mask("".join(line + "\n" for line in lines), result.secrets)
