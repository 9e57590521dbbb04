"""`--format github`: GitHub Actions workflow commands, one annotation per finding. Chosen by default when
GITHUB_ACTIONS=true and no --format is given. The one output that emits workflow commands: every value is
made visible (reporters.printable) and escaped as the runner expects, so no text from the repository can
end an annotation or start a command of its own.

GitHub shows at most 10 annotations of each level (error, warning, notice) per step and drops the rest
without a word. So errors come first, at most 10 of each level become annotations, and when there are more,
one notice says how many were left out and where they are, and those findings follow as plain log lines,
so the step log always holds every one. Paths are relative to the repository root
(GITHUB_WORKSPACE) wherever the tool runs from.
"""

from __future__ import annotations

from fly_cluster_lint.paths import repository_path
from fly_cluster_lint.reporters.printable import guard_line, visible

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}
ORDER = {"error": 0, "warning": 1, "info": 2}
PER_LEVEL = 10  # what GitHub shows of each level per step


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(d) -> str:
    s = d.span
    props = [("file", visible(repository_path(s.file))), ("line", str(s.line)), ("col", str(s.column)),
             ("endLine", str(s.end_line)), ("endColumn", str(s.end_column)), ("title", f"{d.code} {d.slug}")]
    joined = ",".join(f"{k}={escape_property(v)}" for k, v in props)
    text = visible(d.message) + (f"\nhelp: {visible(d.help)}" if d.help else "") + f"\ndocs: {d.url}"
    return f"::{LEVELS[d.severity]} {joined}::{escape_data(text)}"


def log_line(d) -> str:
    s = d.span
    return guard_line(f"{visible(repository_path(s.file))}:{s.line}:{s.column}: {d.code} [{d.severity}] "
                      f"{visible(d.message)}" + (f" (help: {visible(d.help)})" if d.help else ""))


def select(diagnostics: list) -> tuple[list, list]:
    """(annotated, left out): errors first, at most PER_LEVEL of each level; when anything is left out, one
    notice slot is kept for the notice that says so."""
    ordered = sorted(diagnostics, key=lambda d: ORDER[d.severity])
    counts = {level: sum(1 for d in ordered if d.severity == level) for level in ORDER}
    overflow = any(n > PER_LEVEL for n in counts.values())
    limit = {"error": PER_LEVEL, "warning": PER_LEVEL, "info": PER_LEVEL - 1 if overflow else PER_LEVEL}
    taken = {level: 0 for level in ORDER}
    shown, left = [], []
    for d in ordered:
        if taken[d.severity] < limit[d.severity]:
            taken[d.severity] += 1
            shown.append(d)
        else:
            left.append(d)
    return shown, left


def overflow_notice(left: list) -> str:
    counts = {level: sum(1 for d in left if d.severity == level) for level in ORDER}
    parts = [f"{counts[level]} {name}{'s' if counts[level] != 1 else ''}"
             for level, name in (("error", "error"), ("warning", "warning"), ("info", "info finding"))
             if counts[level]]
    message = (f"{len(left)} more finding{'s' if len(left) != 1 else ''} ({', '.join(parts)}) are not shown as "
               f"annotations: GitHub shows at most {PER_LEVEL} of each level per step. They are listed "
               f"below in this step's log, and every finding is in the job summary and the SARIF report.")
    return f"::notice title={escape_property('fly-cluster-lint: more findings')}::{escape_data(message)}"


def render(result, *, color: bool = False) -> str:
    shown, left = select(result.diagnostics)
    lines = [annotation(d) for d in shown]
    if left:
        lines.append(overflow_notice(left))
        lines.extend(log_line(d) for d in left)
    return "".join(line + "\n" for line in lines)
