"""One parser module per file format. Each turns a SourceFile into a small model with exact positions.

Parsers raise ParseError (position in the original file) when the file cannot be understood; the project
model turns that into an FCL001 finding and the rules that need the file stay silent.
"""

from __future__ import annotations


class ParseError(Exception):
    def __init__(self, message: str, line: int, column: int, end_line: int | None = None, end_column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.end_line = end_line if end_line is not None else line
        self.end_column = end_column if end_column is not None else column + 1
