"""`--format text`: `path:line:col: CODE severity: message`, the source line with the span underlined,
and a closing summary.

Everything from the repository is shown with reporters.printable.visible (control characters as escapes)
and code frames hide secrets (model.secrets.masked_ranges); the whole report passes printable.guard.
"""

from __future__ import annotations

from fly_cluster_lint.reporters.printable import guard, visible

MAX_FRAME = 160  # characters of a source line shown in a code frame

COLORS = {"error": "\033[1;31m", "warning": "\033[1;33m", "info": "\033[1;36m", "dim": "\033[2m", "bold": "\033[1m",
          "reset": "\033[0m", "caret": "\033[31m", "help": "\033[1;32m"}


def render(result, *, color: bool = False, quiet: bool = False, fixed: int | None = None) -> str:
    def paint(kind: str, text: str) -> str:
        return f"{COLORS[kind]}{text}{COLORS['reset']}" if color else text

    if quiet:
        out = [f"{paint('bold', f'{visible(d.span.file)}:{d.span.line}:{d.span.column}:')} "
               f"{paint(d.severity, f'{d.code} {d.severity}:')} {visible(d.message)}"
               for d in result.diagnostics]
        return guard("".join(line + "\n" for line in out))
    lines: list[str] = []
    if not result.apps:
        lines.append("No Fly.io Elixir app found (no fly.toml or fly.*.toml deploying a mix.exs project).")
    for path, reason in result.skipped:
        lines.append(paint("dim", f"skipped {visible(path)}: {visible(reason)}"))
    for app in result.apps:
        if not app.clustering_configured:
            lines.append(paint("bold", f"note: {visible(app.describe())}: clustering is not configured yet; every "
                                       f"missing setting is reported below, each where it should be added"))
    if lines:
        lines.append("")
    sources = result.files.by_display() if result.files is not None else {}
    for diag in result.diagnostics:
        span = diag.span
        marker = "[*] " if diag.fix is not None and diag.fix.applicability == "safe" else ""
        where = f"{visible(span.file)}:{span.line}:{span.column}:"
        label = f"{diag.code} {marker}{diag.severity}:"
        lines.append(f"{paint('bold', where)} {paint(diag.severity, label)} {visible(diag.message)}" if color
                     else f"{where} {label} {visible(diag.message)}")
        source = sources.get(span.file)
        if source is not None and span.line <= source.line_count:
            text, column, width = frame(source.line_text(span.line), span, result.secrets)
            gutter = " " * len(str(span.line)) + " |"
            lines.append(" " + paint("dim", gutter))
            lines.append(" " + paint("dim", f"{span.line} |") + " " + text)
            lines.append(" " + paint("dim", gutter) + " " + " " * column + paint("caret", "^" * width))
        if diag.help:
            lines.append(f"  {paint('help', 'help:')} {visible(diag.help)}")
        lines.append(f"  {paint('dim', 'docs:')} {paint('dim', diag.url)}")
        lines.append("")
    if fixed:
        lines.append(f"Fixed {fixed} finding{'' if fixed == 1 else 's'}; linted again:")
    lines.append(summary(result))
    safe = sum(1 for d in result.diagnostics if d.fix is not None and d.fix.applicability == "safe")
    unsafe = sum(1 for d in result.diagnostics if d.fix is not None and d.fix.applicability == "unsafe")
    if safe or unsafe:
        hint = f"[*] {safe} fixable with `--fix`" if safe else ""
        if unsafe:
            hint += ("; " if hint else "") + f"{unsafe} more with `--fix --unsafe-fixes`"
        lines.append(hint + " (`--diff` shows the change first).")
    return guard("\n".join(lines) + "\n")


def frame(line: str, span, secrets) -> tuple[str, int, int]:
    """A source line as a code frame shows it: secrets replaced by `****`, tabs as one space, control
    characters as escapes, a window around the span when the line is long. Returns the text, the offset of
    the first caret and the number of carets (at least one)."""
    from fly_cluster_lint.model.secrets import MASK, masked_ranges

    pieces = []  # what each character of the line becomes
    hidden = masked_ranges(line, secrets) if secrets is not None else []
    index = 0
    for start, end in hidden:
        pieces.extend(_piece(ch) for ch in line[index:start])
        pieces.append(MASK)
        pieces.extend("" for _ in range(start + 1, end))
        index = end
    pieces.extend(_piece(ch) for ch in line[index:])
    first = max(0, min(span.column - 1, len(pieces)))
    last = span.end_column - 1 if span.end_line == span.line else len(pieces)
    last = max(first + 1, min(last, len(pieces) + 1))
    lead = 0
    if sum(len(p) for p in pieces) > MAX_FRAME:  # a very long line: a window around the span
        lead = max(0, first - 40)
        shown = pieces[lead:]
        total = 0
        for count, piece in enumerate(shown):
            total += len(piece)
            if total > MAX_FRAME:
                shown = shown[:count]
                break
        prefix = "…" if lead else ""
        text = prefix + "".join(shown) + "…"
        offset = len(prefix) + sum(len(p) for p in pieces[lead:first])
        width = sum(len(p) for p in pieces[first:min(last, lead + len(shown))]) or 1
        return text, offset, max(1, min(width, len(text) - offset))
    text = "".join(pieces)
    offset = sum(len(p) for p in pieces[:first])
    width = sum(len(p) for p in pieces[first:last]) or 1
    return text, offset, width


def _piece(ch: str) -> str:
    return " " if ch == "\t" else visible(ch)


def summary(result) -> str:
    errors = sum(1 for d in result.diagnostics if d.severity == "error")
    warnings = sum(1 for d in result.diagnostics if d.severity == "warning")
    infos = sum(1 for d in result.diagnostics if d.severity == "info")
    apps = len(result.apps)

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    parts = [plural(errors, "error"), plural(warnings, "warning")]
    if infos:
        parts.append(plural(infos, "info"))
    if not result.diagnostics:
        return f"All checks passed: {plural(apps, 'app')} clustered correctly." if apps else "Nothing to lint."
    return f"{', '.join(parts)} in {plural(apps, 'app')}."


def statistics(result) -> str:
    """`--statistics`: how many findings per code, most first."""
    counts: dict[tuple, int] = {}
    for d in result.diagnostics:
        counts[(d.code, d.slug, d.severity)] = counts.get((d.code, d.slug, d.severity), 0) + 1
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))
    width = max((len(str(n)) for _, n in rows), default=1)
    lines = [f"{n:>{width}}  {code}  {slug} ({severity})" for (code, slug, severity), n in rows]
    lines.append(summary(result))
    return "\n".join(lines) + "\n"
