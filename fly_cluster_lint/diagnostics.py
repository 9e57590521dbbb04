"""What checks yield (Finding) and what the engine reports (Diagnostic)."""

from __future__ import annotations

from dataclasses import dataclass

from fly_cluster_lint.source import Span

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Finding:
    """A check's result: where, and a message that says what silently fails and how to fix it."""

    span: Span
    message: str


@dataclass(frozen=True)
class Diagnostic:
    code: str
    slug: str
    severity: str
    message: str
    span: Span
    app: str  # the fly toml, as displayed

    def sort_key(self) -> tuple:
        s = self.span
        return (s.file, s.line, s.column, self.code, self.app, self.message)
