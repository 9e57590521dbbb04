"""One parser module per file format. Each turns a SourceFile into a small model with exact positions.

Parsers raise ParseError (position in the original file) when the file cannot be understood; the project
model turns that into an FCL001 finding and the rules that need the file stay silent.
"""

from __future__ import annotations


def text_of(source) -> str:
    """The decoded text of a source file, or ParseError at the first byte that is not UTF-8."""
    from fly_cluster_lint.source import DecodeError

    try:
        return source.text
    except DecodeError as exc:
        raise ParseError(exc.message, exc.line, exc.column) from None


class ParseError(Exception):
    def __init__(self, message: str, line: int, column: int, end_line: int | None = None, end_column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.end_line = end_line if end_line is not None else line
        self.end_column = end_column if end_column is not None else column + 1
