"""Text from the linted repository (file names, file contents, TOML strings, config keys) is untrusted: it
must never reach a terminal as an escape sequence, nor a CI log as a workflow command.

- ``visible(text)`` renders every character that is not printable as an escape (``\\x1b``, ``\\n``,
  ``\\u202e``, ``\\xff`` for an undecodable byte of a file name), so a value is always one visible line.
- ``guard(text)`` neutralises, line by line, what the GitHub Actions runner would take as a command: a line
  that starts with ``::`` once leading whitespace is trimmed, and ``##[`` anywhere in a line.
- ``json_text(doc)`` serialises JSON as ASCII (control, C1 and non-ASCII characters become ``\\uXXXX``
  escapes, so the document is valid whatever the encoding of stdout) with ``##[`` written as ``##\\u005b``.

Every human-facing output (text, code frames, ``env``, ``--diff``, errors) is built from ``visible`` fields
and passed through ``guard``; ``--format github`` escapes its own way and is the one place that emits
workflow commands.
"""

from __future__ import annotations


def _escape(ch: str) -> str:
    code = ord(ch)
    if ch == "\n":
        return "\\n"
    if ch == "\r":
        return "\\r"
    if ch == "\t":
        return "\\t"
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte of a file name (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: str, keep: str = "") -> str:
    """The text with every non-printable character (C0, DEL, C1, format and bidi controls, separators,
    lone surrogates) shown as an escape, except the characters in `keep` (a diff keeps its tabs).
    Printable text is returned unchanged."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch in keep else _escape(ch) for ch in text)


def guard_line(line: str) -> str:
    """One output line that the Actions runner cannot take for a workflow command."""
    if "##[" in line:
        line = line.replace("##[", "#\\x23[")
    i = 0
    n = len(line)
    while i < n:  # leading whitespace and our own colour codes (ESC [ ... m)
        ch = line[i]
        if ch.isspace():
            i += 1
        elif ch == "\033" and line.startswith("\033[", i):
            end = line.find("m", i)
            if end < 0:
                break
            i = end + 1
        else:
            break
    if line.startswith("::", i):
        line = line[:i] + "\\x3a" + line[i + 1:]
    return line


def guard(text: str) -> str:
    """Every line of a human-facing output made safe for a CI log (see guard_line)."""
    if "::" not in text and "##[" not in text:
        return text
    return "\n".join(guard_line(line) for line in text.split("\n"))


def json_text(doc, indent: int | None = 2) -> str:
    """JSON as pure ASCII: valid whatever stdout's encoding; `##[` cannot start a runner command."""
    import json

    return json.dumps(doc, indent=indent, ensure_ascii=True).replace("##[", "##\\u005b")
