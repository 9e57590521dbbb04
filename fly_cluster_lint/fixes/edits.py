"""Building blocks for fixes: each returns edits by byte range in the original file, written in the file's
own style (line endings, indentation, trailing commas)."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.fixes import Create, Edit

if TYPE_CHECKING:
    from typing import Any

    from fly_cluster_lint.source import SourceFile


def newline(source: SourceFile) -> str:
    return "\r\n" if b"\r\n" in source.data else "\n"


def line_start(source: SourceFile, offset: int) -> int:
    line, _ = source.point(offset)
    return source.line_offset(line)


def indent_at(source: SourceFile, offset: int) -> str:
    start = line_start(source, offset)
    text = source.data[start:offset].decode("utf-8", "replace")
    return text[: len(text) - len(text.lstrip(" \t"))]


def path_of(source: SourceFile) -> str:
    return str(source.path)


def insert_lines_before(source: SourceFile, offset: int, lines: list[str], indent: str | None = None) -> Edit:
    """New lines just before the line that holds `offset`, indented like `indent` (default: that line)."""
    nl = newline(source)
    start = line_start(source, offset)
    pad = indent_at(source, offset) if indent is None else indent
    return Edit(path_of(source), start, start, "".join((pad + line if line else "") + nl for line in lines))


def append_lines(source: SourceFile, lines: list[str]) -> Edit:
    """Lines at the end of a file. A file that ends without a newline still does afterwards."""
    nl = newline(source)
    data = source.data
    if data and not data.endswith((b"\n", b"\r")):
        return Edit(path_of(source), len(data), len(data), nl + nl.join(lines))
    return Edit(path_of(source), len(data), len(data), "".join(line + nl for line in lines))


def replace(source: SourceFile, start: int, end: int, text: str) -> Edit:
    return Edit(path_of(source), start, end, text)


# -- env.sh.eex ------------------------------------------------------------------------------------------------

FLY_GUARD = 'if [ -n "$FLY_APP_NAME" ]; then'


def env_sh_template(app: Any, exports: list[str]) -> str:
    """A new rel/env.sh.eex in the flyctl style, with this project's release name in the fallback."""
    body = "".join(f"  {line}\n" for line in exports)
    return ("#!/bin/sh\n\n"
            "# Clustering on Fly.io: these run at every boot, before the release applies its defaults.\n"
            f"{FLY_GUARD}\n{body}fi\n\n"
            'export RELEASE_DISTRIBUTION="name"\n'
            "# when not running on fly.io, use a sensible default\n"
            "export RELEASE_NODE=${RELEASE_NODE:-<%= @release.name %>@$(hostname)}\n")


def add_exports(app: Any, exports: list[str]) -> list | None:
    """Edits that add `export ...` lines inside the Fly block of env.sh.eex (or a new Fly block at its end).
    None when env.sh.eex is missing (FCL002 creates it) or does not parse."""
    script = app.env_sh
    if script is None:
        return None
    source = script.source
    if script.fly_block_end is not None:
        fi = script.fly_block_end.start_byte
        inside = [a for a in script.assignments if a.fly == "fly" and a.span.start_byte < fi]
        indent = indent_at(source, inside[-1].span.start_byte) if inside else indent_at(source, fi) + "  "
        return [insert_lines_before(source, fi, exports, indent)]
    block = [FLY_GUARD] + [f"  {line}" for line in exports] + ["fi"]
    return [append_lines(source, [""] + block)]


def add_line_after_fly_block(app: Any, line: str) -> list | None:
    """A line after the `fi` of the Fly block (where flyctl puts RELEASE_DISTRIBUTION), else at the end."""
    script = app.env_sh
    if script is None:
        return None
    source = script.source
    if script.fly_block_end is None:
        return [append_lines(source, [line])]
    nl = newline(source)
    fi_line = script.fly_block_end.line
    end = source.line_span(fi_line).end_byte
    return [Edit(path_of(source), end, end, nl + line)]


def create_env_sh(app: Any, exports: list[str]) -> Create:
    return Create(str(app.env_sh_path), env_sh_template(app, exports))


# -- Elixir ----------------------------------------------------------------------------------------------------

def add_list_item(file: Any, list_node: Any, item: str) -> Edit | None:
    """Add an item to an Elixir list literal in its own layout: one item per line keeps one per line (with
    the list's trailing-comma habit), a one-line list stays on one line."""
    source = file.source
    items = [c for c in list_node.named_children if c.type != "comment"]
    close = list_node.children[-1]
    if close.type != "]":
        return None
    if not items:
        return replace(source, close.start_byte, close.start_byte, item)
    last = items[-1]
    last_line = source.point(last.start_byte)[0]
    first_line = source.point(items[0].start_byte)[0]
    open_line = source.point(list_node.start_byte)[0]
    multiline = last_line != open_line or first_line != open_line
    between = source.data[last.end_byte:close.start_byte].decode("utf-8", "replace")
    trailing_comma = between.strip().startswith(",")
    if not multiline:
        return replace(source, last.end_byte, last.end_byte, f", {item}")
    nl = newline(source)
    pad = indent_at(source, last.start_byte)
    if trailing_comma:
        comma_at = last.end_byte + between.index(",") + 1
        return replace(source, comma_at, comma_at, f"{nl}{pad}{item},")
    return replace(source, last.end_byte, last.end_byte, f",{nl}{pad}{item}")


def add_keyword(file: Any, keywords_node: Any, pair: str) -> Edit | None:
    """Add `key: value` to a keyword list (`keywords` node), one pair per line when it is laid out so."""
    source = file.source
    pairs = [c for c in keywords_node.named_children if c.type == "pair"]
    if not pairs:
        return None
    last = pairs[-1]
    multiline = source.point(last.start_byte)[0] != source.point(pairs[0].start_byte)[0] or len(pairs) == 1 and \
        source.point(last.start_byte)[0] != source.point(keywords_node.parent.start_byte)[0]
    if multiline:
        return replace(source, last.end_byte, last.end_byte, f",{newline(source)}{indent_at(source, last.start_byte)}{pair}")
    return replace(source, last.end_byte, last.end_byte, f", {pair}")
