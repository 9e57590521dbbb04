"""Inline suppressions, read from the comments the parsers found (every file we read uses `#` comments):

    ENV ERL_AFLAGS="..."   # fly-cluster-lint: ignore[FCL102]
    # fly-cluster-lint: ignore[FCL101, FCL501] -- set as Fly secrets       (applies to the next line)
    # fly-cluster-lint: ignore-file[FCL401]                                (anywhere: the whole file)

A finding about something missing is suppressed in the file it points at. A suppression that suppresses
nothing, or names a code that does not exist, is reported as FCL009 (like ruff's RUF100).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fly_cluster_lint.records import Record

if TYPE_CHECKING:
    from fly_cluster_lint.source import SourceFile

MARKER = "fly-cluster-lint:"
UNUSED = "FCL009"


class Directive(Record):
    """One suppression comment: the codes it names (each with its span), the line it applies to (None for
    ignore-file), the comment's span, and which codes were used."""

    __slots__ = ("file", "line", "span", "codes", "reason", "used")
    _defaults = {"reason": "", "used": set}


class DirectiveError(Record):
    __slots__ = ("span", "message")


def directives(source: SourceFile, comments: list[tuple[int, int]]) -> tuple[list[Directive], list[DirectiveError]]:
    found: list[Directive] = []
    errors: list[DirectiveError] = []
    comment_lines = {source.point(start)[0] for start, _ in comments}
    for start, end in comments:
        raw = source.data[start:end].decode("utf-8", "replace")
        body = raw[3:] if raw.startswith("<%#") else raw.lstrip("#")
        body = body[:-2] if body.endswith("%>") else body
        text = body.strip()
        if not text.startswith(MARKER):
            continue
        rest = text[len(MARKER):].strip()
        span = source.span(start, end)
        kind, _, tail = rest.partition("[")
        kind = kind.strip()
        if kind not in ("ignore", "ignore-file") or "]" not in tail:
            errors.append(DirectiveError(span, f"cannot read this suppression: write `# {MARKER} ignore[FCL101]` or "
                                               f"`# {MARKER} ignore-file[FCL101]`"))
            continue
        inside, _, after = tail.partition("]")
        reason = after.strip()
        reason = reason[2:].strip() if reason.startswith("--") else reason
        codes = []
        offset = start + len(raw[: raw.index("[") + 1].encode("utf-8"))
        for piece in inside.split(","):
            code = piece.strip()
            lead = len(piece) - len(piece.lstrip())
            piece_start = offset + len(piece[:lead].encode("utf-8"))
            if code:
                codes.append((code.upper(), source.span(piece_start, piece_start + len(code.encode("utf-8")))))
            offset += len(piece.encode("utf-8")) + 1
        line = None
        if kind == "ignore":
            line = span.line
            before = source.data[source.line_offset(span.line):start]
            if not before.strip():  # alone on its line: the next line that is not blank or a comment
                line += 1
                while line <= source.line_count and (not source.line_text(line).strip() or line in comment_lines):
                    line += 1
        found.append(Directive(span.file, line, span, codes, reason))
    return found, errors


def apply(diagnostics: list, all_directives: list[Directive], known: frozenset) -> list:
    """Drop suppressed diagnostics; mark the directives (and codes) that were used."""
    by_file: dict[str, list[Directive]] = {}
    for directive in all_directives:
        by_file.setdefault(directive.file, []).append(directive)
    kept = []
    for diag in diagnostics:
        suppressed = False
        for directive in by_file.get(diag.span.file, ()):
            if directive.line is not None and directive.line != diag.span.line:
                continue
            for code, _ in directive.codes:
                if code == diag.code:
                    directive.used.add(code)
                    suppressed = True
        if not suppressed:
            kept.append(diag)
    return kept


def unused(all_directives: list[Directive], known: frozenset) -> list[tuple]:
    """(span, message) for every code of a suppression that suppressed nothing or does not exist."""
    out = []
    for directive in all_directives:
        for code, span in directive.codes:
            if code not in known:
                out.append((span, f"`{code}` in this suppression is not a rule code (see `fly-cluster-lint rules`)"))
            elif code not in directive.used and code != UNUSED:
                where = "this file" if directive.line is None else f"line {directive.line}"
                out.append((span, f"this suppression of {code} suppresses nothing on {where}; remove it"))
    return out
