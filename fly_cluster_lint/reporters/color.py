"""Colour for the human-facing outputs that are not the lint report itself: `explain`, `rules`, `--diff`.

Only our own SGR sequences (ESC [ ... m) are ever added, and only around text that is already printable
(reporters.printable.visible was applied where the text comes from the linted repository), so colour can
never let the repository's bytes reach the terminal. Whether to colour at all is decided in cli.use_color.
"""

from __future__ import annotations

STYLES = {"error": "1;31", "warning": "1;33", "info": "1;36", "bold": "1", "dim": "2", "red": "31", "green": "32",
          "cyan": "36", "heading": "1;4"}
RESET = "\033[0m"


def paint(style: str, text: str, on: bool = True) -> str:
    return f"\033[{STYLES[style]}m{text}{RESET}" if on and text else text


def diff(text: str) -> str:
    """A unified diff with removed lines red, added lines green, hunk headers cyan, file headers bold."""
    out = []
    for line in text.split("\n"):
        if line.startswith(("--- ", "+++ ", "rename from ", "rename to ")):
            out.append(paint("bold", line))
        elif line.startswith("@@"):
            end = line.find("@@", 2)
            out.append(paint("cyan", line[:end + 2]) + line[end + 2:] if end > 0 else paint("cyan", line))
        elif line.startswith("-"):
            out.append(paint("red", line))
        elif line.startswith("+"):
            out.append(paint("green", line))
        elif line.startswith("\\"):
            out.append(paint("dim", line))
        else:
            out.append(line)
    return "\n".join(out)


EXPLAIN_HEADINGS = ("What it does", "Why is this bad", "How to fix", "Automatic fix", "References", "Documentation",
                    "Seen on a booted release")


def explain(text: str, rule) -> str:
    """`explain` output: the title in the rule's severity colour, headings bold, example gutters dim."""
    lines = text.split("\n")
    out = []
    for index, line in enumerate(lines):
        if index == 0 and line.startswith(rule.code):
            out.append(paint(rule.severity if rule.severity in STYLES else "bold", line))
        elif line and not line[0].isspace() and (line.startswith(EXPLAIN_HEADINGS) or line.startswith(
                ("Example:", "Use instead:"))):
            head, colon, rest = line.partition(":") if line.startswith(("Example:", "Use instead:")) else (line, "", "")
            out.append(paint("bold", head + colon) + rest)
        elif line.startswith("    | ") or line == "    |":
            out.append("    " + paint("dim", "|") + line[5:])
        else:
            out.append(line)
    return "\n".join(out)


def rule_row(code: str, slug: str, severity: str, summary: str, width: int, on: bool) -> str:
    """One line of `rules`: the code bold, the severity in its colour (padding outside the colour)."""
    return (f"{paint('bold', code, on)}  {slug:<{width}}  {paint(severity, severity, on)}"
            f"{' ' * (7 - len(severity))}  {summary}")
