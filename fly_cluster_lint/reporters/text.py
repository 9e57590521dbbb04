"""`--format text`: `path:line:col: CODE severity: message`, the source line with the span underlined,
and a closing summary."""

from __future__ import annotations

from fly_cluster_lint.reporters import mask

MAX_FRAME = 160  # characters of a source line shown in a code frame

COLORS = {"error": "\033[1;31m", "warning": "\033[1;33m", "info": "\033[1;36m", "dim": "\033[2m", "bold": "\033[1m",
          "reset": "\033[0m", "caret": "\033[31m"}


def render(result, *, color: bool = False, quiet: bool = False, fixed: int | None = None) -> str:
    def paint(kind: str, text: str) -> str:
        return f"{COLORS[kind]}{text}{COLORS['reset']}" if color else text

    if quiet:
        out = [f"{d.span.file}:{d.span.line}:{d.span.column}: {d.code} {d.severity}: {d.message}"
               for d in result.diagnostics]
        return mask("".join(line + "\n" for line in out), result.secrets)
    lines: list[str] = []
    if not result.apps:
        lines.append("No Fly.io Elixir app found (no fly.toml or fly.*.toml deploying a mix.exs project).")
    for path, reason in result.skipped:
        lines.append(paint("dim", f"skipped {path}: {reason}"))
    for app in result.apps:
        if not app.clustering_configured:
            lines.append(paint("bold", f"note: {app.describe()}: clustering is not configured yet; every missing "
                                       f"setting is reported below, each where it should be added"))
    if lines:
        lines.append("")
    sensitive = {"RELEASE_COOKIE", "-setcookie", "cookie:"}
    for app in result.apps:
        sensitive |= set(app.settings.secrets)
    sources = {}
    for app in result.apps:
        for source in app.files.sources():
            sources[source.display] = source
    for diag in result.diagnostics:
        span = diag.span
        marker = "[*] " if diag.fix is not None and diag.fix.applicability == "safe" else ""
        head = f"{span.file}:{span.line}:{span.column}: {diag.code} {marker}{diag.severity}: {diag.message}"
        if color:
            where = f"{span.file}:{span.line}:{span.column}:"
            label = f"{diag.code} {marker}{diag.severity}:"
            head = paint("bold", where) + " " + paint(diag.severity, label) + " " + diag.message
        lines.append(head)
        source = sources.get(span.file)
        if source is not None and span.line <= source.line_count:
            text = _hide_values(source.line_text(span.line).replace("\t", " "), sensitive)
            width = len(str(span.line))
            column = span.column
            end = span.end_column if span.end_line == span.line else len(text) + 1
            if len(text) > MAX_FRAME:  # a very long line: show a window around the span
                start = max(0, column - 1 - 40)
                text = ("…" if start else "") + text[start:start + MAX_FRAME] + "…"
                shift = start - (1 if start else 0)
                column, end = column - shift, min(end - shift, len(text))
            carets = "^" * max(1, min(end, len(text) + 1) - column)
            gutter = " " * width + " |"
            lines.append(" " + paint("dim", gutter))
            lines.append(" " + paint("dim", f"{span.line} |") + " " + text)
            lines.append(" " + paint("dim", gutter) + " " + " " * (column - 1) + paint("caret", carets))
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
    return mask("\n".join(lines), result.secrets) + "\n"


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


def _hide_values(line: str, names: set) -> str:
    """A code frame never shows what follows a cookie or secret name on its line, even in a file that
    does not parse (where the tool cannot know the value to mask)."""
    for name in names:
        at = line.find(name)
        if at >= 0:
            cut = at + len(name)
            rest = line[cut:]
            keep = len(rest) - len(rest.lstrip(" =:\t\"'"))
            return line[: cut + keep] + ("****" if rest.strip() else "")
    return line
