"""Dockerfile: stages, ENV/ARG values with positions, COPY, RUN, CMD and ENTRYPOINT.

Instruction boundaries follow Docker's own rules (parser directives, the escape character, line
continuations, comment lines inside a continued instruction, heredocs), and each instruction's words are
read with Docker's quoting and escaping rules, with byte positions. (No tree-sitter grammar: the
tree-sitter-dockerfile wheels cover two platforms and it publishes no sdist, and its 0.2.0 grammar rejects
legacy ``ENV key a value with spaces``.) CRLF files are parsed with the CR blanked, so every offset stays the
original file's.
"""

from __future__ import annotations

from fly_cluster_lint.parsers import ParseError, text_of
from fly_cluster_lint.parsers.words import Lit, Var, merge, render
from fly_cluster_lint.records import Record, value
from fly_cluster_lint.source import SourceFile

WORD_INSTRUCTIONS = {"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "FROM", "WORKDIR", "SHELL", "USER"}
KEYWORDS = {
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL", "MAINTAINER",
    "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
}


class Word(value("Word", "parts start end")):
    """One word of an instruction's arguments, quotes removed, with its byte range."""

    __slots__ = ()

    @property
    def text(self) -> str:
        return render(self.parts)


class EnvSetting(value("EnvSetting", "key parts key_span value_span legacy", (False,))):
    """One ``KEY=value`` of an ENV (or ARG default) instruction."""

    __slots__ = ()


class Instruction(Record):
    """keyword, keyword_span, span, start, end, words, raw (the arguments as one logical line), env, heredoc."""

    __slots__ = ("keyword", "keyword_span", "span", "start", "end", "words", "raw", "env", "heredoc")
    _defaults = {"env": list, "heredoc": ""}


class Stage(Record):
    """index, base image, alias, from_span, parent (index of the stage it is built FROM), instructions."""

    __slots__ = ("index", "base", "alias", "from_span", "parent", "instructions")
    _defaults = {"instructions": list}


class Dockerfile(Record):
    """stages, global ARGs (before the first FROM), comments ((start, end) byte ranges of `#` lines)."""

    __slots__ = ("source", "stages", "global_args", "comments")
    _defaults = {"comments": list}

    @property
    def final(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def lineage(self, stage: Stage) -> list[Stage]:
        """The stage and the earlier stages it inherits from, oldest first."""
        chain = [stage]
        seen = {stage.index}
        while chain[0].parent is not None and chain[0].parent not in seen:
            seen.add(chain[0].parent)
            chain.insert(0, self.stages[chain[0].parent])
        return chain

    def env_of(self, stage: Stage) -> list[EnvSetting]:
        """ENV settings in effect in a stage, inherited ones first, in instruction order."""
        out: list[EnvSetting] = []
        for each in self.lineage(stage):
            for ins in each.instructions:
                if ins.keyword == "ENV":
                    out.extend(ins.env)
        return out


def parse_dockerfile(source: SourceFile) -> Dockerfile:
    text_of(source)
    data = source.parser_bytes()
    comments: list[tuple[int, int]] = []
    raw_instructions = _split(data, comments)
    stages: list[Stage] = []
    global_args: list[Instruction] = []
    aliases: dict[str, int] = {}
    for keyword_start, keyword_end, segments, heredoc in raw_instructions:
        keyword_raw = data[keyword_start:keyword_end].decode("utf-8", errors="replace")
        keyword = keyword_raw.upper()
        end = segments[-1][1] if segments else keyword_end
        keyword_span = source.span(keyword_start, keyword_end)
        if keyword not in KEYWORDS:
            raise ParseError(f"unknown instruction `{keyword_raw}`", keyword_span.line, keyword_span.column,
                             keyword_span.end_line, keyword_span.end_column)
        # Words are only needed where the tool reads arguments; RUN is read as raw text.
        words = _lex(data, segments) if keyword in WORD_INSTRUCTIONS else []
        raw = " ".join(data[s:e].decode("utf-8", errors="replace").strip() for s, e in segments).strip()
        ins = Instruction(keyword, keyword_span, source.span(keyword_start, end), keyword_start, end, words, raw,
                          heredoc=heredoc)
        if keyword in ("ENV", "ARG"):
            ins.env = _env_from_words(source, ins)
        if keyword == "FROM":
            plain = [w for w in words if not w.text.startswith("--")]
            if not plain:
                raise ParseError("FROM needs an image", keyword_span.line, keyword_span.column)
            base = plain[0].text
            alias = plain[2].text if len(plain) >= 3 and plain[1].text.upper() == "AS" else None
            parent = aliases.get(base.lower())
            stage = Stage(len(stages), base, alias, ins.span, parent, [ins])
            if alias:
                aliases[alias.lower()] = stage.index
            aliases.setdefault(str(stage.index), stage.index)
            stages.append(stage)
        elif stages:
            stages[-1].instructions.append(ins)
        elif keyword == "ARG":
            global_args.append(ins)
        else:
            raise ParseError(f"`{keyword_raw}` before the first FROM", keyword_span.line, keyword_span.column)
    return Dockerfile(source, stages, global_args, comments)


def _split(data: bytes, comments: list | None = None) -> list[tuple[int, int, list[tuple[int, int]], str]]:
    """Logical instructions: (keyword start, keyword end, argument segments, heredoc body); comment lines
    are added to `comments`."""
    if comments is None:
        comments = []

    def comment(line_start: int, line_end: int) -> None:
        text = data[line_start:line_end]
        hash_at = line_start + (len(text) - len(text.lstrip()))
        comments.append((hash_at, line_start + len(text.rstrip())))
    lines = []
    pos = 0
    n = len(data)
    while pos < n:
        nl = data.find(b"\n", pos)
        end = n if nl < 0 else nl
        lines.append((pos, end))
        pos = end + 1
    escape = b"\\"
    out = []
    i = 0
    # Parser directives: `# key=value` lines at the very top.
    while i < len(lines):
        text = data[lines[i][0] : lines[i][1]].strip()
        if text.startswith(b"#") and b"=" in text:
            key, _, value = text[1:].partition(b"=")
            if key.strip().lower() == b"escape" and value.strip() in (b"`", b"\\"):
                escape = value.strip()
            if key.strip().lower() in (b"escape", b"syntax", b"check"):
                i += 1
                continue
        break
    while i < len(lines):
        start, end = lines[i]
        text = data[start:end]
        stripped = text.lstrip()
        if not stripped.strip() or stripped.startswith(b"#"):
            if stripped.startswith(b"#"):
                comment(start, end)
            i += 1
            continue
        kw_start = start + (len(text) - len(stripped))
        kw_end = kw_start
        while kw_end < end and data[kw_end : kw_end + 1] not in (b" ", b"\t") and not (
            data[kw_end : kw_end + 1] == escape and data[kw_end + 1 : end].strip() == b""
        ):
            kw_end += 1
        segments = []
        seg_start = kw_end
        while True:
            line_text = data[seg_start:end].rstrip(b" \t")
            if line_text.endswith(escape) and not line_text.endswith(escape * 2):
                segments.append((seg_start, seg_start + len(line_text) - 1))
                i += 1
                # skip comment and empty lines inside a continued instruction
                while i < len(lines) and (
                    data[lines[i][0] : lines[i][1]].strip() == b""
                    or data[lines[i][0] : lines[i][1]].lstrip().startswith(b"#")
                ):
                    if data[lines[i][0] : lines[i][1]].lstrip().startswith(b"#"):
                        comment(*lines[i])
                    i += 1
                if i >= len(lines):
                    break
                seg_start, end = lines[i]
                continue
            segments.append((seg_start, end))
            i += 1
            break
        heredoc = ""
        body = b" ".join(data[s:e] for s, e in segments)
        marker = _heredoc_marker(body)
        if marker:
            collected = []
            while i < len(lines):
                line = data[lines[i][0] : lines[i][1]]
                i += 1
                if line.strip() == marker:
                    break
                collected.append(line.decode("utf-8", errors="replace").rstrip())
            heredoc = "\n".join(collected)
        out.append((kw_start, kw_end, segments, heredoc))
    return out


def _heredoc_marker(body: bytes) -> bytes | None:
    index = body.find(b"<<")
    if index < 0 or body[index + 2 : index + 3] in (b"<", b""):
        return None
    rest = body[index + 2 :].lstrip(b"-").strip()
    word = rest.split()[0] if rest.split() else b""
    word = word.strip(b"\"'")
    return word if word and word.replace(b"_", b"").isalnum() else None


def lex_text(text: str) -> tuple:
    """One word's value parts (quotes removed, `$X` references), for text taken out of an instruction."""
    data = text.encode("utf-8", "surrogateescape")
    return merge([part for word in _lex(data, [(0, len(data))]) for part in word.parts])


def _lex(data: bytes, segments: list[tuple[int, int]]) -> list[Word]:
    """Split arguments into words with Docker's quoting: '...' literal, "..." with \\ escapes, $VAR refs."""
    chars: list[tuple[int, str]] = []
    for start, end in segments:
        text = data[start:end].decode("utf-8", errors="replace")
        offset = start
        for ch in text:
            chars.append((offset, ch))
            offset += len(ch.encode("utf-8"))
        chars.append((end, " "))
    words: list[Word] = []
    closing = _closing_braces(chars)
    i = 0
    n = len(chars)
    while i < n:
        while i < n and chars[i][1] in " \t":
            i += 1
        if i >= n:
            break
        start = chars[i][0]
        parts: list = []
        quote = ""
        while i < n:
            offset, ch = chars[i]
            if not quote and ch in " \t":
                break
            if ch == "\\" and quote != "'" and i + 1 < n:
                nxt = chars[i + 1][1]
                if not quote or nxt in '"\\$':
                    parts.append(Lit(nxt))
                    i += 2
                    continue
            if ch in "\"'" and (not quote or quote == ch):
                quote = "" if quote else ch
                i += 1
                continue
            if ch == "$" and quote != "'" and i + 1 < n:
                var, i = _var(chars, i, closing)
                if var is not None:
                    parts.append(var)
                    continue
            parts.append(Lit(ch))
            i += 1
        end = chars[i - 1][0] + len(chars[i - 1][1].encode("utf-8")) if i > 0 else start
        words.append(Word(merge(parts), start, end))
    return words


def _closing_braces(chars: list[tuple[int, str]]) -> dict[int, int]:
    """The index of the matching `}` of every `{` that has one, in one pass (nested `${a${b}}` too)."""
    out: dict[int, int] = {}
    stack: list[int] = []
    for index, (_, ch) in enumerate(chars):
        if ch == "{":
            stack.append(index)
        elif ch == "}" and stack:
            out[stack.pop()] = index
    return out


def _var(chars: list[tuple[int, str]], i: int, closing: dict[int, int]):
    n = len(chars)
    j = i + 1
    if chars[j][1] == "{":
        k = j + 1
        name = ""
        while k < n and (chars[k][1].isalnum() or chars[k][1] == "_"):
            name += chars[k][1]
            k += 1
        op = ""
        while k < n and chars[k][1] in ":-+?=#%" and len(op) < 2:
            op += chars[k][1]
            k += 1
        close = closing.get(j)
        if not name or close is None:
            return None, i
        arg = "".join(ch for _, ch in chars[k:close])
        return Var(name, op, (Lit(arg),) if arg else ()), close + 1
    name = ""
    k = j
    while k < n and (chars[k][1].isalnum() or chars[k][1] == "_"):
        name += chars[k][1]
        k += 1
    if not name:
        return None, i
    return Var(name), k


def _env_from_words(source: SourceFile, ins: Instruction) -> list[EnvSetting]:
    """ENV/ARG read with Docker's word rules; also the legacy ``ENV KEY value with spaces`` form."""
    out: list[EnvSetting] = []
    words = ins.words
    if not words:
        return out
    first = words[0]
    first_text = first.parts[0].text if first.parts and isinstance(first.parts[0], Lit) else ""
    if ins.keyword == "ENV" and "=" not in first_text:
        value_words = words[1:]
        if not value_words:
            return out
        parts: list = []
        for index, word in enumerate(value_words):
            if index:
                parts.append(Lit(" "))
            parts.extend(word.parts)
        out.append(EnvSetting(first_text, merge(parts), source.span(first.start, first.end),
                              source.span(value_words[0].start, value_words[-1].end), legacy=True))
        return out
    for word in words:
        head = word.parts[0] if word.parts else None
        if not isinstance(head, Lit):
            continue
        if "=" not in head.text:
            if ins.keyword == "ARG":
                out.append(EnvSetting(head.text, (), source.span(word.start, word.end), source.span(word.end, word.end)))
            continue
        key, _, rest = head.text.partition("=")
        value = merge(([Lit(rest)] if rest else []) + list(word.parts[1:]))
        key_end = word.start + len(key.encode("utf-8"))
        out.append(EnvSetting(key, value, source.span(word.start, key_end), source.span(key_end + 1, word.end)))
    return out
