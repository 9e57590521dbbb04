"""What checks yield (Finding) and what the engine reports (Diagnostic)."""

from __future__ import annotations

from fly_cluster_lint.records import value

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


class Finding(value("Finding", "span message fix help", (None, None))):
    """A check's result: where (a Span); a short message that says what is wrong in the file's own terms (the
    runtime consequence lives in the rule's docs); `help`, the concrete change for this project; and, where
    the right change is unambiguous, a Fix (fly_cluster_lint.fixes)."""

    __slots__ = ()


class Diagnostic(value("Diagnostic", "code slug severity message span app fix help", (None, None))):
    """A reported finding; ``app`` is the fly toml, as displayed; ``fix`` a Fix or None; ``help`` the change
    to make, or None."""

    __slots__ = ()

    @property
    def url(self) -> str:
        """The rule's documentation page for this version."""
        from fly_cluster_lint.registry import docs_url

        return docs_url(self.code)

    def sort_key(self) -> tuple:
        s = self.span
        return (s.file, s.line, s.column, self.code, self.app, self.message)
