"""What every output of the tool must be, whatever the repository holds: the helpers the hostile-repository tests,
the hostile fuzzer and the Action tests share (one definition of a raw control character, of a workflow command,
of the outputs to run, of a folder's state)."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

# name -> command-line words before the path: every human and machine output of the tool that writes nothing
OUTPUT_FORMATS = {
    "text": ["check", "--no-cache"],
    "color": ["check", "--no-cache", "--color", "always"],
    "json": ["check", "--no-cache", "--format", "json"],
    "github": ["check", "--no-cache", "--format", "github"],
    "sarif": ["check", "--no-cache", "--format", "sarif"],
    "quiet": ["check", "--no-cache", "-q"],
    "statistics": ["check", "--no-cache", "--statistics"],
    "diff": ["check", "--no-cache", "--diff", "--unsafe-fixes"],
    "env": ["env", "--no-cache"],
    "env-json": ["env", "--no-cache", "--format", "json"],
    "markdown": ["check", "--no-cache", "--format", "markdown"],
}
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# an annotation: `::level key=value,key=value::message`, properties escaped (no `:` or `,` inside a value)
GITHUB_LINE = re.compile(r"::(error|warning|notice) [A-Za-z]+=[^,:\n]*(,[A-Za-z]+=[^,:\n]*)*::[^\n]*\Z")


def raw_controls(text: str, allow_tab: bool = False) -> list[str]:
    """Characters that a terminal would interpret: C0 (but \\n, and \\t in a diff), DEL, C1, bidi controls."""
    bad = []
    for ch in text:
        code = ord(ch)
        if ch == "\n" or (allow_tab and ch == "\t"):
            continue
        if code < 0x20 or code == 0x7F or 0x80 <= code <= 0x9F or ch in BIDI:
            bad.append(ch)
    return bad


def workflow_commands(text: str) -> list[str]:
    """Lines the GitHub runner would take for a command: `::` after leading whitespace, `##[` anywhere."""
    return [line for line in text.split("\n") if line.lstrip().lstrip("\ufeff\u200b").startswith("::") or "##[" in line]


def tree(folder: Path) -> dict[str, tuple]:
    """Everything below a folder (symlinks not followed), by path relative to it: kind, content or link target,
    mode."""
    out = {}
    if not os.path.lexists(folder):
        return out
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            info = os.lstat(path)
            rel = os.path.relpath(path, folder)
            if stat.S_ISLNK(info.st_mode):
                out[rel] = ("link", os.readlink(path))
            elif stat.S_ISREG(info.st_mode):
                out[rel] = ("file", Path(path).read_bytes(), stat.S_IMODE(info.st_mode))
            else:
                out[rel] = ("other", stat.S_IFMT(info.st_mode))
    return out


def read_github_output(text: str) -> dict:
    """$GITHUB_OUTPUT as the runner reads it: `name=value` lines and `name<<DELIMITER` blocks."""
    out, lines = {}, text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    while lines:
        line = lines.pop(0)
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value = []
            while lines and lines[0] != delimiter:
                value.append(lines.pop(0))
            assert lines, f"no closing delimiter for {name}"
            lines.pop(0)
            out[name] = "\n".join(value)
        else:
            name, _, value = line.partition("=")
            out[name] = value
    return out
