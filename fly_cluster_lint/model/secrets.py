"""What is secret in an app, so that no output ever carries it.

Two things are secret: the values of *secret variables* (RELEASE_COOKIE and every variable declared in
`secrets`), and every literal cookie however it is spelled (model/cookies.py: `-setcookie` words in flag
variables and vm.args, the mix.exs `cookie:` option, EEx string literals, fallbacks). Secrets are masked
*structurally*, where output is built, never by replacing text in a finished report:

- a value shown for a variable goes through ``shown_value``: a secret variable is ``****``, and the word
  after `-setcookie` in any other value is ``****``;
- text copied from a source file (code frames, `--diff` lines, fix contents) goes through ``mask_source``,
  which hides the known secret values and what follows a secret name on the line (also in files that do
  not parse, where the tool cannot know the values);
- messages never quote a secret variable's value (checks render values with ``shown_value``).

Variables whose values flow into a secret (`C=abc; export RELEASE_COOKIE="$C"`) are secret too. Misnamed
copies of env.sh.eex (`rel/env.sh`, ...) are read for secrets although mix release ignores them.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.model.cookies import COOKIE, FLAG_VARS, eex_string, flag_values, literal_cookies

if TYPE_CHECKING:
    from typing import Any, Iterable

MASK = "****"
# Shorter literal values are hidden where they are assigned (to a secret name, after `-setcookie`, to a
# variable that flows into a secret), never searched for as text elsewhere: masking every `true` or `error`
# in a report would tell the reader what the cookie is.
MIN_MASKED = 8
SETCOOKIE = "-setcookie"
_WORD = re.compile(r"[A-Za-z0-9_]+")  # a variable name as a whole word (names are checked to be such)
# Fly's own variables never hold a secret, even when one is built from them
FLY_RUNTIME = frozenset({"FLY_APP_NAME", "FLY_MACHINE_ID", "FLY_ALLOC_ID", "FLY_REGION", "FLY_PUBLIC_IP",
                         "FLY_PRIVATE_IP", "FLY_IMAGE_REF", "FLY_MACHINE_VERSION", "FLY_VM_MEMORY_MB",
                         "FLY_PROCESS_GROUP", "PRIMARY_REGION", "HOME", "PATH", "HOSTNAME"})


class Secrets:
    """``names``: secret variables; ``values``: literal secret text found anywhere in the app's files."""

    __slots__ = ("names", "values", "_matcher")

    def __init__(self, names: Iterable[str] = (), values: Iterable[str] = ()) -> None:
        self.names = frozenset(names) | {COOKIE}
        self.values = frozenset(v for v in values if v)
        self._matcher = None

    def occurrences(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of every known secret value (at least MIN_MASKED characters long) in a text, in
        time linear in the text whatever the number of values (a few with str.find, many with an
        Aho-Corasick automaton)."""
        if self._matcher is None:
            self._matcher = _Matcher([v for v in self.values if len(v) >= MIN_MASKED])
        return self._matcher.ranges(text)

    def union(self, other: "Secrets") -> "Secrets":
        return Secrets(self.names | other.names, self.values | other.values)

    def __repr__(self) -> str:  # never the values
        return f"Secrets(names={sorted(self.names)!r}, values=<{len(self.values)} hidden>)"


class _Matcher:
    """All occurrences of a set of words in a text. Up to FEW words: str.find per word; more: an
    Aho-Corasick automaton, so that a repository with thousands of cookies costs linear time."""

    FEW = 32

    def __init__(self, words: list[str]) -> None:
        self.words = sorted(set(words), key=len, reverse=True)
        self.goto: list[dict] = []
        if len(self.words) > self.FEW:
            self._build()

    def _build(self) -> None:
        goto, fail, longest = [{}], [0], [0]
        for word in self.words:
            state = 0
            for ch in word:
                nxt = goto[state].get(ch)
                if nxt is None:
                    nxt = goto[state][ch] = len(goto)
                    goto.append({})
                    fail.append(0)
                    longest.append(0)
                state = nxt
            longest[state] = max(longest[state], len(word))
        queue = list(goto[0].values())
        head = 0
        while head < len(queue):
            state = queue[head]
            head += 1
            for ch, nxt in goto[state].items():
                queue.append(nxt)
                back = fail[state]
                while back and ch not in goto[back]:
                    back = fail[back]
                fail[nxt] = goto[back].get(ch, 0) if goto[back].get(ch, 0) != nxt else 0
                longest[nxt] = max(longest[nxt], longest[fail[nxt]])
        self.goto, self.fail, self.longest = goto, fail, longest

    def ranges(self, text: str) -> list[tuple[int, int]]:
        out = []
        if not self.goto:
            for word in self.words:
                at = text.find(word)
                while at >= 0:
                    out.append((at, at + len(word)))
                    at = text.find(word, at + 1)
            return out
        goto, fail, longest = self.goto, self.fail, self.longest
        state = 0
        for index, ch in enumerate(text):
            while state and ch not in goto[state]:
                state = fail[state]
            state = goto[state].get(ch, 0)
            if longest[state]:
                out.append((index + 1 - longest[state], index + 1))
        return out


def _texts(parts: tuple | None) -> Iterable[str]:
    """Literal text in value parts (inside ${X:-...} too) and EEx string literals."""
    from fly_cluster_lint.parsers.words import Eex, Lit, Var

    for part in parts or ():
        if isinstance(part, Lit):
            yield part.text
        elif isinstance(part, Var):
            yield from _texts(part.arg)
        elif isinstance(part, Eex):
            text = eex_string(part.code)
            if text is not None:
                yield text


def _words_after_setcookie(parts: tuple | None) -> tuple[list[str], set[str]]:
    """Literal words and variable names that follow `-setcookie` in a value."""
    from fly_cluster_lint.parsers.words import Eex, Lit, Var

    tokens: list[list] = [[]]
    for part in parts or ():
        if isinstance(part, Lit):  # erl splits its flags on any whitespace, newlines included
            pieces = part.text.replace("\t", " ").replace("\r", " ").replace("\n", " ").split(" ")
            tokens[-1].append(Lit(pieces[0]))
            tokens.extend([Lit(p)] for p in pieces[1:])
        else:
            tokens[-1].append(part)
    literals, names = [], set()
    for index, token in enumerate(tokens[:-1]):
        if [p for p in token if not (isinstance(p, Lit) and not p.text)] != [Lit(SETCOOKIE)]:
            continue
        following = next((t for t in tokens[index + 1:] if any(not isinstance(p, Lit) or p.text for p in t)), [])
        for part in following:
            if isinstance(part, Lit):
                literals.append(part.text)
            elif isinstance(part, Var):
                names.add(part.name)
                literals.extend(_texts(part.arg))
            elif isinstance(part, Eex) and eex_string(part.code) is not None:
                literals.append(eex_string(part.code))
    return literals, names


def collect(app: Any) -> Secrets:
    """Every secret name and literal secret value of an app (never raises: a broken file has none)."""
    from fly_cluster_lint.parsers.words import references

    names = set(app.settings.secrets) | {COOKIE}
    values: set[str] = set()
    settings: list[Any] = []  # (var, parts) of every place that sets a variable, in any layer, applied or not
    try:
        env = app.environment
        for value in env.values.values():
            settings.extend((s.var, s.parts) for s, _ in value.history)
            if value.var in names and value.parts is not None:
                values.update(_texts(value.parts))
        settings.extend((s.var, s.parts) for s, _ in env.skipped)
    except (Exception, RecursionError):
        pass
    if app.dockerfile is not None:  # every stage: a builder stage's ENV/ARG is committed text too
        for stage in app.dockerfile.stages:
            for ins in stage.instructions:
                settings.extend((e.key, e.parts) for e in ins.env)
    for script in _near_miss_scripts(app):
        settings.extend((a.name, a.parts) for a in script.assignments)
    by_var: dict[str, list] = {}
    for var, parts in settings:
        by_var.setdefault(var, []).append(parts)
    # secret variables, and the variables whose values flow into them (transitively)
    pending = list(names)
    for var, parts in settings:
        if var in FLAG_VARS:
            literals, flowing = _words_after_setcookie(parts)
            values.update(literals)
            pending.extend(flowing)
    chased: set[str] = set()
    while pending:
        name = pending.pop()
        if name in chased:
            continue
        chased.add(name)
        for parts in by_var.get(name, ()):
            values.update(_texts(parts))
            pending.extend(references(parts or ()))
    # a variable whose value flows into a secret is secret itself: its own assignments are hidden by name
    names |= {name for name in chased if name not in FLY_RUNTIME and name.replace("_", "").isalnum()}
    try:
        values.update(value for _, value, _ in literal_cookies(app))
    except (Exception, RecursionError):
        pass
    for model, _ in (app.vm_args, app.remote_vm_args):
        if model is not None:
            for index, word in enumerate(model.words[:-1]):
                if word.text == SETCOOKIE:
                    text = model.words[index + 1].text
                    values.add(eex_string(text[3:-2]) if text.startswith("<%=") and text.endswith("%>") and
                               eex_string(text[3:-2]) is not None else text)
    return Secrets(names, (v.strip() for v in values if v.strip()))


def _near_miss_scripts(app: Any) -> list[Any]:
    """Misnamed copies of env.sh.eex that mix release never reads, parsed only to find their secrets."""
    from fly_cluster_lint.checks.files import NEAR_MISSES
    from fly_cluster_lint.parsers.shell import parse_env_sh

    out = []
    try:
        folder = app.rel_dir
    except (Exception, RecursionError):
        return out
    for name in NEAR_MISSES:
        model, _ = app.files.parse(folder / name, "env_sh", lambda source: parse_env_sh(source, {}))
        if model is not None:
            out.append(model)
    return out


def shown_value(var: str, parts: tuple | None, secrets: Secrets) -> str:
    """A variable's value as output may show it: `****` for a secret variable; otherwise the value with
    the word after `-setcookie` and any known secret text hidden."""
    from fly_cluster_lint.parsers.words import render

    if parts is None:
        return ""
    if var in secrets.names:
        return MASK
    return mask_source(render(parts), secrets)


def shown_text(var: str, text: str, secrets: Secrets) -> str:
    """Text of a variable's value (already rendered) as a message may quote it."""
    return MASK if var in secrets.names else mask_source(text, secrets)


def mask_source(text: str, secrets: Secrets) -> str:
    """Text copied from a source file, as output may show it: known secret values become `****`, and so
    does whatever is assigned to a secret name (`RELEASE_COOKIE=`, `cookie:`, `-setcookie`) on its line."""
    if not text:
        return text
    out = []
    for line in text.split("\n"):
        ranges = masked_ranges(line, secrets)
        for start, end in reversed(ranges):
            line = line[:start] + MASK + line[end:]
        out.append(line)
    return "\n".join(out)


def masked_ranges(line: str, secrets: Secrets) -> list[tuple[int, int]]:
    """Character ranges of one line that output must replace with `****`, sorted and disjoint."""
    ranges = secrets.occurrences(line)
    hidden = _assigned_to_name(line, secrets.names)
    if hidden is not None:
        ranges.append(hidden)
    if not ranges:
        return ranges
    ranges.sort()
    merged = [ranges[0]]
    for start, end in ranges[1:]:
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _legacy_env(line: str, at: int) -> bool:
    """Whether the name at `at` is the first word after a Dockerfile `ENV` (the legacy `ENV NAME value` form,
    which has no `=`)."""
    words = line[:at].split()
    return len(words) == 1 and words[0].upper() == "ENV"


def _assigned_to_name(line: str, names: frozenset) -> tuple[int, int] | None:
    """The range of what is assigned on a line to a secret name (`NAME=...`, `NAME = "..."`, `"NAME": ...`,
    `cookie: ...`, `-setcookie ...`), up to the end of the line, quotes included; None when there is none.
    A name counts only as a whole word, so a one-letter variable that carries a cookie is found too. The line's
    words are looked up in the set of names (never each name searched in the line): many declared secrets and
    many lines stay linear."""
    candidates = []  # (position after the marker, marker kind)
    for word in _WORD.finditer(line):
        if word.group() in names:
            candidates.append((word.start(), word.end(), "name"))
    lowered = line.lower()
    if "cookie" in lowered:
        for marker in (SETCOOKIE, "cookie:"):
            start = 0
            while True:
                at = line.find(marker, start)
                if at < 0:
                    break
                start = at + len(marker)
                candidates.append((at, start, marker))
    for at, start, marker in sorted(candidates):
        i = start
        if marker == SETCOOKIE:
            if line[i:i + 1] not in (" ", "\t", "\\"):
                continue
        elif marker == "name":
            while i < len(line) and line[i] in "\"'":  # "NAME": ... (JSON, a quoted TOML key)
                i += 1
            spaced = i < len(line) and line[i] in " \t"
            while i < len(line) and line[i] in " \t":
                i += 1
            if spaced and i < len(line) and line[i] not in "=:" and _legacy_env(line, at):
                pass  # Dockerfile `ENV NAME value`: the value follows the name after white space
            elif i >= len(line) or line[i] not in "=:" or line[i:i + 2] == "::":
                continue
            else:
                i += 1
        while i < len(line) and line[i] in " \t\\" and not line[i:].strip() == "\\":
            i += 1
        if i < len(line):
            return i, len(line)
    return None
