"""rel/vm.args.eex and rel/remote.vm.args.eex: one emulator flag per word, `#` comments, EEx tags.

EEx tags are masked as in env.sh.eex: an output tag (``<%= ... %>``) stays one word (its text is the tag as
written), other tags and EEx comments are blanks, so `-setcookie <%= ... %>` keeps its value on its own line.
"""

from __future__ import annotations

from fly_cluster_lint.parsers import text_of
from fly_cluster_lint.parsers.shell import find_eex_tags
from fly_cluster_lint.records import Record, value
from fly_cluster_lint.source import SourceFile

VmArg = value("VmArg", "text span")


class VmArgs(Record):
    __slots__ = ("source", "words", "comments")
    _defaults = {"comments": list}

    def flags(self, name: str) -> list[VmArg]:
        return [w for w in self.words if w.text == name]


def parse_vm_args(source: SourceFile) -> VmArgs:
    text_of(source)
    raw = source.parser_bytes()
    data = bytearray(raw)
    comments = []
    for tag in find_eex_tags(raw, source):
        fill = 120 if tag.kind == "output" else 32  # "x": one word; " ": nothing
        for k in range(tag.start, tag.end):
            if data[k] not in (10, 13):
                data[k] = fill
        if tag.kind == "comment":
            comments.append((tag.start, tag.end))
    words = []
    for line in range(1, source.line_count + 1):
        start = source.line_offset(line)
        end = source.line_span(line).end_byte
        text = bytes(data[start:end])
        cut = text.find(b"#")
        if cut >= 0:
            comments.append((start + cut, end))
            text = text[:cut]
        i = 0
        while i < len(text):
            if text[i : i + 1] in (b" ", b"\t"):
                i += 1
                continue
            j = i
            while j < len(text) and text[j : j + 1] not in (b" ", b"\t"):
                j += 1
            words.append(VmArg(source.data[start + i : start + j].decode("utf-8", "replace"),
                               source.span(start + i, start + j)))
            i = j
    return VmArgs(source, words, sorted(comments))
