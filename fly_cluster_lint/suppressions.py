"""Inline suppressions, read from the comments the parsers found (every file we read uses `#` comments):

    ENV ERL_AFLAGS="..."   # fly-cluster-lint: ignore[FCL102]
    # fly-cluster-lint: ignore[FCL101, FCL501] -- set as Fly secrets       (applies to the next line)
    # fly-cluster-lint: ignore-file[FCL401]                                (anywhere: the whole file)

A finding about something missing is suppressed in the file it points at. A suppression that suppresses
nothing, or names a code that does not exist, is reported as FCL009 (like ruff's RUF100).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

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
    next_code: dict[int, int] = {}  # line -> the first line from it on that is neither blank nor a comment
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
                line = _next_code_line(source, line + 1, comment_lines, next_code)
        found.append(Directive(span.file, line, span, codes, reason))
    return found, errors


def _next_code_line(source: SourceFile, line: int, comment_lines: set, memo: dict) -> int:
    """The first line from `line` on that is neither blank nor a comment; every line is looked at once per file
    however many suppressions stand in a row (a block of n of them is linear, not n^2)."""
    walked = []
    while line <= source.line_count and line not in memo and (not source.line_text(line).strip()
                                                                or line in comment_lines):
        walked.append(line)
        line += 1
    found = memo.get(line, line)
    for seen in walked:
        memo[seen] = found
    return found


def apply(diagnostics: list, all_directives: list[Directive], known: frozenset) -> list:
    """Drop suppressed diagnostics; mark the directives (and codes) that were used."""
    # (file, line, code) -> the directives naming that code there; line None: the whole file. One lookup per
    # diagnostic, so n directives and n findings cost n, not n^2.
    by_code: dict[tuple, list[Directive]] = {}
    for directive in all_directives:
        for code, _ in directive.codes:
            by_code.setdefault((directive.file, directive.line, code), []).append(directive)
    kept = []
    marked: set = set()  # keys whose directives are already marked used: each list is walked once
    for diag in diagnostics:
        suppressed = False
        for key in ((diag.span.file, diag.span.line, diag.code), (diag.span.file, None, diag.code)):
            matching = by_code.get(key)
            if not matching:
                continue
            suppressed = True
            if key not in marked:
                marked.add(key)
                for directive in matching:
                    directive.used.add(diag.code)
        if not suppressed:
            kept.append(diag)
    return kept


def unused(all_directives: list[Directive], known: frozenset, sources: dict | None = None) -> list[tuple]:
    """(span, message, fix) for every code of a suppression that suppressed nothing or does not exist."""
    out = []
    for directive in all_directives:
        stale = [(code, span) for code, span in directive.codes
                 if code not in known or (code not in directive.used and code != UNUSED)]
        for code, span in stale:
            if code not in known:
                message = f"`{code}` is not a rule code (see `fly-cluster-lint rules`); remove it"
            else:
                where = "this file" if directive.line is None else f"line {directive.line}"
                message = f"this suppression of {code} suppresses nothing on {where}; remove it"
            source = (sources or {}).get(directive.file)
            out.append((span, message, _removal(source, directive, span, len(stale) == len(directive.codes))))
    return out


def _removal(source, directive: Directive, code_span, whole: bool):
    """Remove a stale code from its suppression, or the whole comment when nothing in it is used."""
    from fly_cluster_lint.fixes import SAFE, Edit, Fix

    if source is None:
        return None
    path = str(source.path)
    span = directive.span
    if whole:
        start, end = span.start_byte, span.end_byte
        line = source.line_span(span.line)
        before = source.data[line.start_byte:start]
        if not before.strip():  # alone on its line: remove the line
            start = line.start_byte
            end = line.end_byte + (2 if source.data[line.end_byte:line.end_byte + 2] == b"\r\n" else 1)
        else:
            while start > line.start_byte and source.data[start - 1:start] in (b" ", b"\t"):
                start -= 1
        return Fix(SAFE, "remove the unused suppression", (Edit(path, start, min(end, len(source.data)), ""),))
    # the code and one separator: up to the next code when it is not the last, else from the previous code's end
    spans = [span for _, span in directive.codes]
    index = next((i for i, span in enumerate(spans) if span.start_byte == code_span.start_byte), None)
    if index is None:
        return None
    if index + 1 < len(spans):
        start, end = code_span.start_byte, spans[index + 1].start_byte
    elif index > 0:
        start, end = spans[index - 1].end_byte, code_span.end_byte
    else:
        return None
    return Fix(SAFE, "remove the unused code from the suppression", (Edit(path, start, end, ""),))
