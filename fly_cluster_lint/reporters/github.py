"""`--format github`: GitHub Actions workflow commands, one annotation per finding. Chosen by default when
GITHUB_ACTIONS=true and no --format is given. The one output that emits workflow commands: every value is
made visible (reporters.printable) and escaped as the runner expects, so no text from the repository can
end an annotation or start a command of its own."""

from __future__ import annotations

from fly_cluster_lint.reporters.printable import visible

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result, *, color: bool = False) -> str:
    lines = []
    for d in result.diagnostics:
        s = d.span
        props = [("file", visible(s.file)), ("line", str(s.line)), ("col", str(s.column)),
                 ("endLine", str(s.end_line)), ("endColumn", str(s.end_column)), ("title", f"{d.code} {d.slug}")]
        joined = ",".join(f"{k}={escape_property(v)}" for k, v in props)
        lines.append(f"::{LEVELS[d.severity]} {joined}::{escape_data(visible(d.message))}")
    return "".join(line + "\n" for line in lines)
