"""Source files and exact positions.

Every parser works on bytes and reports byte offsets; this module turns offsets into the 1-based line and
column (in Unicode code points) that findings carry. Columns never count a UTF-8 byte-order mark, and
CRLF, LF and lone CR all end a line.
"""

from __future__ import annotations

import bisect
from pathlib import Path

from fly_cluster_lint.records import value

BOM = b"\xef\xbb\xbf"


class Span(value("Span", "file line column end_line end_column start_byte end_byte", (-1, -1))):
    """A range in one file: 1-based lines and columns, end exclusive (as SARIF's endColumn), and the byte
    offsets it covers (-1 when unknown)."""

    __slots__ = ()


class DecodeError(Exception):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class SourceFile:
    """One file read from disk once: its bytes, its text and a line index."""

    def __init__(self, path: Path, display: str, data: bytes) -> None:
        self.path = path
        self.display = display
        self.data = data
        self.bom = len(BOM) if data.startswith(BOM) else 0
        self._line_starts = _line_starts(data, self.bom)
        self._text: str | None = None
        self._wide: dict[int, list[int]] = {}  # line index -> offsets where its characters begin
        self.ascii = data.isascii()

    @property
    def text(self) -> str:
        """The decoded text (BOM removed). Raises DecodeError with the position of the first bad byte."""
        if self._text is None:
            try:
                self._text = self.data[self.bom :].decode("utf-8")
            except UnicodeDecodeError as exc:
                line, col = self.point(self.bom + exc.start)
                if self.data[:2] in (b"\xff\xfe", b"\xfe\xff"):
                    raise DecodeError("the file is UTF-16; save it as UTF-8", 1, 1) from None
                raise DecodeError(f"not valid UTF-8 (byte 0x{self.data[self.bom + exc.start]:02x})", line, col) from None
        return self._text

    def parser_bytes(self) -> bytes:
        """Bytes for a parser: same length as the file, BOM blanked, CR of CRLF blanked, lone CR made LF."""
        data = self.data
        if self.bom:
            data = b"   " + data[3:]
        if b"\r" in data:
            data = data.replace(b"\r\n", b" \n").replace(b"\r", b"\n")
        return data

    def point(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a byte offset; the column counts code points (an undecodable byte counts
        as one). Constant time on ASCII files, logarithmic otherwise: no line is decoded twice."""
        offset = max(0, min(offset, len(self.data)))
        index = bisect.bisect_right(self._line_starts, offset) - 1
        start = self._line_starts[index]
        if self.ascii:
            return index + 1, offset - start + 1
        starts = self._wide.get(index)
        if starts is None:
            starts = self._wide[index] = _char_starts(self.data, start, self._line_end(index))
        end = self._line_end(index)
        if offset > end:  # inside the line ending
            return index + 1, len(starts) + 1 + (offset - end)
        return index + 1, bisect.bisect_left(starts, offset) + 1

    def _line_end(self, index: int) -> int:
        """The offset just after the last character of a line (before its line ending)."""
        end = self._line_starts[index + 1] if index + 1 < len(self._line_starts) else len(self.data)
        if end > self._line_starts[index] and self.data[end - 1:end] == b"\n":
            end -= 1
        if end > self._line_starts[index] and self.data[end - 1:end] == b"\r":
            end -= 1
        return end

    def span(self, start: int, end: int) -> Span:
        line, col = self.point(start)
        end_line, end_col = self.point(max(start, end))
        return Span(self.display, line, col, end_line, end_col, start, max(start, end))

    def line_span(self, line: int) -> Span:
        """The whole text of a 1-based line, without its line ending."""
        index = max(0, min(line - 1, len(self._line_starts) - 1))
        return self.span(self._line_starts[index], self._line_end(index))

    def line_offset(self, line: int) -> int:
        index = max(0, min(line - 1, len(self._line_starts) - 1))
        return self._line_starts[index]

    @property
    def line_count(self) -> int:
        return len(self._line_starts)

    def line_text(self, line: int) -> str:
        """A line's text; an undecodable byte is one surrogate character (shown as `\\xNN` by reporters)."""
        span = self.line_span(line)
        return self.data[span.start_byte : span.end_byte].decode("utf-8", errors="surrogateescape")


def _line_starts(data: bytes, bom: int) -> list[int]:
    """Offsets where lines start; LF, CRLF and a lone CR each end a line (bytes.splitlines splits on exactly
    those). Linear in the file's size."""
    starts = [bom]
    offset = 0
    for line in data.splitlines(keepends=True):
        offset += len(line)
        starts.append(offset)
    if starts[-1] == len(data) and (not data or data[-1:] not in (b"\n", b"\r")):
        starts.pop()  # the last line has no line ending
    if len(starts) > 1 and starts[0] == bom and bom and starts[1] == bom:
        starts.pop(1)
    return starts or [bom]


def _char_starts(data: bytes, start: int, end: int) -> list[int]:
    """Offsets in [start, end) where each character begins (an undecodable byte is one character)."""
    out = []
    pos = start
    for ch in data[start:end].decode("utf-8", "surrogateescape"):
        out.append(pos)
        code = ord(ch)
        pos += 1 if code < 0x80 or 0xDC80 <= code <= 0xDCFF else 2 if code < 0x800 else 3 if code < 0x10000 else 4
    return out


class Anchor(Span):
    """The span of a finding about something *absent*: where the fix would add it (the Fly block of env.sh.eex,
    the end of the prod block of runtime.exs, line 1 of a file to create). Its text is whatever happens to be
    there, so nothing that identifies the finding (a SARIF fingerprint) may depend on it."""

    __slots__ = ()


def anchor(span: Span) -> Anchor:
    return span if isinstance(span, Anchor) else Anchor(*span)


def missing_span(display: str) -> Anchor:
    """Line 1, column 1 of a file that does not exist yet (where it should be created)."""
    return Anchor(display, 1, 1, 1, 1, 0, 0)
