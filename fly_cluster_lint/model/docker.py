"""What the Dockerfile does with the release: the stage that runs `mix release`, what it copies before,
`.dockerignore`, the final stage's command, and ENV that only a builder stage sets."""

from __future__ import annotations

import fnmatch
import posixpath
from typing import TYPE_CHECKING

from fly_cluster_lint.files import runs_mix_release

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any


def release_instruction(dockerfile: Any) -> tuple[Any, Any] | None:
    """(stage, instruction) of the first `RUN mix release`."""
    for stage in dockerfile.stages:
        for ins in stage.instructions:
            if runs_mix_release(ins):
                return stage, ins
    return None


def copies_before(dockerfile: Any, stage: Any, until: Any, target: str) -> Any | None:
    """The COPY/ADD (from the build context) in the stage's lineage, before `until`, whose sources cover
    `target` (a path relative to the build context, e.g. "rel"). None when nothing copies it."""
    for each in dockerfile.lineage(stage):
        for ins in each.instructions:
            if ins is until:
                return None
            if ins.keyword not in ("COPY", "ADD"):
                continue
            words = [w.text for w in ins.words]
            if any(w.startswith("--from") for w in words):
                continue
            sources = [w for w in words if not w.startswith("--")][:-1]
            for source in sources:
                if covers(source, target):
                    return ins
    return None


def covers(source: str, target: str) -> bool:
    source = posixpath.normpath(source.strip("/") or ".")
    target = posixpath.normpath(target)
    if source in (".", "*"):
        return True
    if any(ch in source for ch in "*?["):
        first = target.split("/")[0]
        return fnmatch.fnmatch(target, source) or fnmatch.fnmatch(first, source)
    return target == source or target.startswith(source + "/")


def dockerignore_excludes(files: Any, context: Path, target: str) -> tuple[int, str] | None:
    """(line, pattern) of the .dockerignore rule that leaves `target` out of the build context, if any."""
    from fly_cluster_lint.parsers import ParseError

    try:
        source = files.source(context / ".dockerignore")
    except ParseError:
        return None
    if source is None:
        return None
    lines = [source.line_text(n) for n in range(1, source.line_count + 1)]
    verdict: tuple[int, str] | None = None
    for number, line in enumerate(lines, 1):
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = posixpath.normpath(pattern.lstrip("!").strip("/")) if pattern.lstrip("!").strip("/") else "."
        hit = _ignore_match(pattern, target)
        if hit:
            verdict = None if negate else (number, line.strip())
    return verdict


def _ignore_match(pattern: str, target: str) -> bool:
    parts = target.split("/")
    for i in range(1, len(parts) + 1):
        prefix = "/".join(parts[:i])
        if fnmatch.fnmatch(prefix, pattern) or (pattern.startswith("**/") and fnmatch.fnmatch(prefix, pattern[3:])):
            return True
    return pattern == "."


def final_command(dockerfile: Any) -> tuple[list[str], Any] | None:
    """The words the final image runs (ENTRYPOINT + CMD, exec or shell form) and the instruction."""
    final = dockerfile.final
    if final is None:
        return None
    entry = cmd = None
    for each in dockerfile.lineage(final):
        for ins in each.instructions:
            if ins.keyword == "ENTRYPOINT":
                entry, cmd = ins, None  # a new ENTRYPOINT resets an inherited CMD
            elif ins.keyword == "CMD":
                cmd = ins
    words: list[str] = []
    for ins in (entry, cmd):
        if ins is not None:
            words += command_words(ins)
    where = entry or cmd
    return (words, where) if where is not None else None


def command_words(ins: Any) -> list[str]:
    """The words of CMD/ENTRYPOINT: the exec form's JSON array of strings, else the shell form's words."""
    raw = ins.raw.strip()
    if raw.startswith("["):
        value = _json_strings(raw)
        if value is not None:
            return value
    return [w.text for w in ins.words]


def _json_strings(raw: str) -> list[str] | None:
    """A JSON array of strings, read without importing json (it costs start-up time on every run)."""
    out: list[str] = []
    i, n = 1, len(raw)
    escapes = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
    while i < n:
        ch = raw[i]
        if ch in " \t,":
            i += 1
        elif ch == "]":
            return out if raw[i + 1:].strip() == "" else None
        elif ch == '"':
            i += 1
            text = []
            while i < n and raw[i] != '"':
                if raw[i] == "\\" and i + 1 < n:
                    nxt = raw[i + 1]
                    if nxt == "u" and i + 5 < n:
                        text.append(chr(int(raw[i + 2:i + 6], 16)))
                        i += 6
                        continue
                    text.append(escapes.get(nxt, nxt))
                    i += 2
                    continue
                text.append(raw[i])
                i += 1
            if i >= n:
                return None
            out.append("".join(text))
            i += 1
        else:
            return None
    return None


def builder_only_env(dockerfile: Any, var: str) -> list[Any]:
    """ENV settings of `var` in stages the final stage does not inherit."""
    final = dockerfile.final
    if final is None:
        return []
    inherited = {s.index for s in dockerfile.lineage(final)}
    out = []
    for stage in dockerfile.stages:
        if stage.index in inherited:
            continue
        for ins in stage.instructions:
            if ins.keyword == "ENV":
                out += [e for e in ins.env if e.key == var]
    return out
