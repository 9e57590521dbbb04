"""Erlang distribution flags each release command really gets: every `-proto_dist` in ERL_AFLAGS,
ERL_FLAGS, ERL_ZFLAGS, ELIXIR_ERL_OPTIONS (as the effective environment builds them) and in vm.args.eex
(`start`, `daemon`, `eval`) or remote.vm.args.eex (`remote`, `rpc`), each with the module that follows it.
Erlang takes `-proto_dist` exactly once; only `inet6_tcp` (or `inet6_tls`) reaches Fly's IPv6 network."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.model.environment import ERL_FLAG_VARS, count_flag
from fly_cluster_lint.parsers.words import Eex, Lit
from fly_cluster_lint.records import value

if TYPE_CHECKING:
    from typing import Any

FLAG = "-proto_dist"
IPV6_MODULES = ("inet6_tcp", "inet6_tls")
REMOTE_COMMANDS = ("remote", "rpc")


class Occurrence(value("Occurrence", "where span module setting")):
    """One `-proto_dist`: a label (`ERL_AFLAGS (rel/env.sh.eex:6)`), the span of the value or vm.args word
    it is written in, the module after it ("" when none follows, None when it is not literal), and the
    environment Setting (None for vm.args)."""

    __slots__ = ()

    @property
    def ipv6(self) -> bool:
        return self.module in IPV6_MODULES


def words(parts: tuple | None) -> list[str | None]:
    """A value's shell words: literal text split at whitespace; a word holding a boot-time value is None."""
    out: list = []
    word, unknown, started = [], False, False
    for part in parts or ():
        text = part.text if isinstance(part, Lit) else part.value if isinstance(part, Eex) and part.value else None
        if text is None:
            unknown = started = True
            continue
        for ch in text:
            if ch.isspace():
                if started:
                    out.append(None if unknown else "".join(word))
                word, unknown, started = [], False, False
            else:
                word.append(ch)
                started = True
    if started:
        out.append(None if unknown else "".join(word))
    return out


def flag_modules(parts: tuple | None) -> list[str | None]:
    """The module after each `-proto_dist` written in a value itself: "" when nothing follows, None when
    what follows is not literal text."""
    tokens = words(parts)
    return [(tokens[i + 1] if i + 1 < len(tokens) else "") for i, word in enumerate(tokens) if word == FLAG]


def occurrences(app: Any, command: str) -> list[Occurrence] | None:
    """Every -proto_dist that `command` reads, in order; None when the tool cannot know (a layer did not
    parse, a flag variable is a secret)."""
    env = app.environment_for(command)
    vm_args, vm_error = app.remote_vm_args if command in REMOTE_COMMANDS else app.vm_args
    if not env.complete or vm_error is not None:
        return None
    name = "remote.vm.args.eex" if command in REMOTE_COMMANDS else "vm.args.eex"
    if app.rel_dir / name in app.rewritten:
        return None
    found: list[Occurrence] = []
    for var in ERL_FLAG_VARS:
        current = env.effective(var)
        if current is None:
            continue
        if count_flag(current, FLAG) is None:
            return None  # a secret: the tool cannot see it
        for setting, status in current.history:
            if status in ("effective", "appended to"):
                label = f"{var} ({setting.span.file}:{setting.span.line})" if setting.span else var
                for module in flag_modules(setting.parts):
                    found.append(Occurrence(label, setting.span, module, setting))
    if vm_args is not None:
        words = vm_args.words
        for index, word in enumerate(words):
            if word.text == FLAG:
                module = words[index + 1].text if index + 1 < len(words) else ""
                found.append(Occurrence(f"{word.span.file}:{word.span.line}", word.span,
                                        None if "<%" in module else module, None))
    return found


def own_count(parts: tuple | None) -> int:
    """How many -proto_dist a value writes itself (not what it appends to)."""
    return len(flag_modules(parts))
