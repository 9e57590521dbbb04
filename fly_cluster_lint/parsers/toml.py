"""TOML files (fly.toml, .fly-cluster-lint.toml): values from tomllib/tomli, positions from tree-sitter-toml.

``TomlDocument.values`` is exactly what tomllib returns; ``key_span(("env", "PORT"))`` and
``value_span(...)`` give where that key and its value are written, for tables, dotted keys and inline
tables alike.
"""

from __future__ import annotations

import re
import sys
TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.parsers import ParseError, text_of
from fly_cluster_lint.source import SourceFile, Span

if TYPE_CHECKING:
    from typing import Any



def _tomllib():
    """tomllib (tomli before Python 3.11), imported when a TOML file is first read: it pulls in `typing`,
    which a run that reads no TOML (a warm run, `rules`, `explain`) never needs."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.9 and 3.10 only
        import tomli as tomllib
    return tomllib

_AT = re.compile(r"\(at line (\d+), column (\d+)\)")  # tomllib's error text, not project source


class TomlDocument:
    def __init__(self, source: SourceFile, values: dict[str, Any], positions: dict[tuple, tuple[int, int, int, int]],
                 comments: list[tuple[int, int]] | None = None):
        self.source = source
        self.values = values
        self._positions = positions  # key path -> (key start, key end, value start, value end) in bytes
        self.comments = comments or []  # (start, end) byte ranges of `#` comments

    def get(self, *path: str, default: Any = None) -> Any:
        node: Any = self.values
        for part in path:
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def key_span(self, path: tuple) -> Span | None:
        found = self._positions.get(tuple(path))
        return self.source.span(found[0], found[1]) if found else None

    def value_span(self, path: tuple) -> Span | None:
        found = self._positions.get(tuple(path))
        return self.source.span(found[2], found[3]) if found else None

    def table_span(self, name: str) -> Span | None:
        """The header of ``[name]`` when written as a table."""
        return self.key_span((name,))


MAX_DEPTH = 100  # arrays and inline tables nested deeper than any Fly config are not read
MAX_DIGITS = 4000  # Python refuses to convert longer integers (sys.get_int_max_str_digits)


def parse_toml(source: SourceFile) -> TomlDocument:
    text = text_of(source)
    problem = _too_deep_or_long(source)
    if problem is not None:
        raise problem
    tomllib = _tomllib()
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _AT.search(message)
        if match:
            line, col = int(match.group(1)), int(match.group(2))
        else:  # "at end of document"
            line, col = source.point(len(source.data))
        # tomllib counts columns from 1 on the line that holds the problem; keep its wording minus the position.
        raise ParseError("invalid TOML: " + _AT.sub("", message).strip(), line, col) from None
    except (ValueError, RecursionError, MemoryError):  # what a hostile file can still make tomllib raise
        raise ParseError("invalid TOML: a value this tool cannot read", 1, 1) from None
    positions, comments = _positions(source)
    return TomlDocument(source, values, positions, comments)


def _too_deep_or_long(source: SourceFile) -> ParseError | None:
    """A ParseError at the first array or inline table nested deeper than MAX_DEPTH, or the first integer
    longer than MAX_DIGITS (tomllib would raise RecursionError or ValueError there, with no position).
    Read from the bytes in one pass, outside strings and comments; cheap when neither can occur."""
    data = source.data
    if data.count(b"[") + data.count(b"{") <= MAX_DEPTH and len(data) <= MAX_DIGITS:
        return None
    depth = 0
    digits = 0
    quote = b""
    i, n = 0, len(data)
    while i < n:
        ch = data[i:i + 1]
        if quote:
            if ch == b"\\" and quote in (b'"', b'"""'):
                i += 2
                continue
            if data.startswith(quote, i):
                i += len(quote)
                quote = b""
                continue
            i += 1
            continue
        if ch in (b'"', b"'"):
            quote = ch * 3 if data.startswith(ch * 3, i) else ch
            i += len(quote)
            continue
        if ch == b"#":
            end = data.find(b"\n", i)
            i = n if end < 0 else end
            continue
        if ch.isdigit() or (ch == b"_" and digits):
            digits += 1
            if digits > MAX_DIGITS:
                line, col = source.point(i - digits + 1)
                return ParseError(f"a number with more than {MAX_DIGITS} digits", line, col)
        else:
            digits = 0
        if ch in (b"[", b"{"):
            depth += 1
            if depth > MAX_DEPTH:
                line, col = source.point(i)
                return ParseError(f"nested more than {MAX_DEPTH} levels deep", line, col)
        elif ch in (b"]", b"}"):
            depth = max(0, depth - 1)
        elif ch == b"\n":
            if depth == 0:
                digits = 0
        i += 1
    return None


def _positions(source: SourceFile) -> tuple[dict[tuple, tuple[int, int, int, int]], list[tuple[int, int]]]:
    from fly_cluster_lint.parsers import treesitter

    tree = treesitter.parse("toml", source.parser_bytes())
    data = source.data
    out: dict[tuple, tuple[int, int, int, int]] = {}
    array_counts: dict[tuple, int] = {}

    def key_parts(node: Any) -> list[str]:
        """The parts of a key, in order; a loop, not recursion: the grammar nests `a.b.c` as dotted keys inside
        dotted keys, and a hostile key of thousands of parts must not overflow the stack."""
        parts: list[str] = []
        stack = [node]
        while stack:
            node = stack.pop()
            if node.type == "dotted_key":
                stack.extend(reversed(node.named_children))
                continue
            raw = data[node.start_byte : node.end_byte].decode("utf-8", errors="replace")
            if node.type == "quoted_key":
                try:
                    parts.append(str(next(iter(_tomllib().loads(raw + " = 0")))))
                except Exception:
                    parts.append(raw.strip("\"'"))
            else:
                parts.append(raw)
        return parts

    def walk_pairs(parent: Any, prefix: tuple) -> None:
        for child in parent.named_children:
            if child.type == "pair":
                key = child.named_children[0]
                value = child.named_children[-1] if len(child.named_children) > 1 else None
                path = prefix + tuple(key_parts(key))
                vstart, vend = (value.start_byte, value.end_byte) if value is not None else (key.end_byte, key.end_byte)
                out.setdefault(path, (key.start_byte, key.end_byte, vstart, vend))
                if value is not None and value.type == "inline_table":
                    walk_pairs(value, path)

    walk_pairs(tree.root_node, ())
    for child in tree.root_node.named_children:
        if child.type in ("table", "table_array_element"):
            key = next((c for c in child.named_children if c.type in ("bare_key", "quoted_key", "dotted_key")), None)
            if key is None:
                continue
            path = tuple(key_parts(key))
            if child.type == "table_array_element":
                index = array_counts.get(path, 0)
                array_counts[path] = index + 1
                out.setdefault(path, (key.start_byte, key.end_byte, child.start_byte, child.end_byte))
                path = path + (index,)
            out.setdefault(path, (key.start_byte, key.end_byte, child.start_byte, child.end_byte))
            walk_pairs(child, path)
    comments = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "comment":
            comments.append((node.start_byte, node.end_byte))
        stack.extend(node.named_children)
    return out, sorted(comments)
