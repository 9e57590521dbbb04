"""What checks yield (Finding) and what the engine reports (Diagnostic)."""

from __future__ import annotations

from fly_cluster_lint.records import value

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


class Finding(value("Finding", "span message fix", (None,))):
    """A check's result: where (a Span), a message that says what silently fails and how to fix it, and,
    where the right change is unambiguous, a Fix (fly_cluster_lint.fixes)."""

    __slots__ = ()


class Diagnostic(value("Diagnostic", "code slug severity message span app fix", (None,))):
    """A reported finding; ``app`` is the fly toml, as displayed; ``fix`` a Fix or None."""

    __slots__ = ()

    def sort_key(self) -> tuple:
        s = self.span
        return (s.file, s.line, s.column, self.code, self.app, self.message)
