"""Literal cookies written anywhere in an app's files: FCL402/FCL405 report them, and model/secrets.py
keeps their values out of every output.

Spellings: RELEASE_COOKIE in Dockerfile ENV/ARG (any stage), fly.toml [env] and env.sh.eex (also as the
fallback of `${RELEASE_COOKIE:-...}` and as an EEx string `<%= "..." %>`); `-setcookie <value>` inside
ERL_AFLAGS / ERL_FLAGS / ERL_ZFLAGS / ELIXIR_ERL_OPTIONS in any of those layers; `-setcookie` in
vm.args.eex / remote.vm.args.eex; the mix.exs release option `cookie: "..."`.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

if TYPE_CHECKING:
    from typing import Any, Iterator

COOKIE = "RELEASE_COOKIE"
FLAG_VARS = ("ERL_AFLAGS", "ERL_FLAGS", "ERL_ZFLAGS", "ELIXIR_ERL_OPTIONS")
SETCOOKIE = b"-setcookie"


def eex_string(code: str) -> str | None:
    """The text of an EEx output tag that is a plain string literal (`<%= "abc" %>`), else None."""
    code = code.strip()
    if len(code) >= 2 and code[0] == code[-1] == '"' and "#{" not in code and '"' not in code[1:-1]:
        return code[1:-1]
    return None


def literal_parts(parts: tuple) -> str | None:
    """The text of a value made only of literal text and EEx string literals, else None."""
    from fly_cluster_lint.parsers.words import Eex, Lit

    out = []
    for part in parts:
        if isinstance(part, Lit):
            out.append(part.text)
        elif isinstance(part, Eex) and eex_string(part.code) is not None:
            out.append(eex_string(part.code))
        else:
            return None
    return "".join(out)


def flag_values(source: Any, span: Any) -> Iterator[tuple[Any, str]]:
    """(span, word) of every value that follows `-setcookie` inside a written value (by its byte range)."""
    if source is None or span is None or span.start_byte < 0:
        return
    data = source.data
    end = span.end_byte
    space = (b" ", b"\t", b"\n", b"\r")  # erl splits its flags on any whitespace
    at = data.find(SETCOOKIE, span.start_byte, end)
    while at >= 0:
        i = at + len(SETCOOKIE)
        if i < end and (data[i:i + 1] in space or data[i:i + 2] in (b"\\ ", b"\\\t")):
            while i < end and (data[i:i + 1] in space or data[i:i + 2] in (b"\\ ", b"\\\t")):
                i += 2 if data[i:i + 1] == b"\\" else 1
            j = i
            while j < end and data[j:j + 1] not in space + (b'"', b"'"):
                j += 2 if data[j:j + 1] == b"\\" else 1  # a shell escape is part of the word
            j = min(j, end)
            if j > i:
                yield source.span(i, j), data[i:j].decode("utf-8", "replace")
        at = data.find(SETCOOKIE, at + len(SETCOOKIE), end)


def literal_cookies(app: Any) -> list[tuple[object, str, str]]:
    """(span, value, where) for every literal cookie written in the project. Values never reach output."""
    from fly_cluster_lint.parsers.words import Var

    out = []

    def flags(source: Any, span: Any, where: str) -> None:
        for word_span, word in flag_values(source, span):
            if "$" not in word and "<%" not in word:
                out.append((word_span, word, f"{where} (-setcookie)"))

    if app.toml is not None:
        table = app.toml.get("env")
        if isinstance(table, dict):
            value = table.get(COOKIE)
            if isinstance(value, str) and value and "$" not in value:
                out.append((app.toml.value_span(("env", COOKIE)), value, "fly.toml [env]"))
            for var in FLAG_VARS:
                if isinstance(table.get(var), str):
                    flags(app.toml.source, app.toml.value_span(("env", var)), "fly.toml [env]")
    if app.dockerfile is not None:
        for stage in app.dockerfile.stages:
            for ins in stage.instructions:
                for setting in ins.env:
                    where = f"Dockerfile {ins.keyword}"
                    if setting.key == COOKIE:
                        text = literal_parts(setting.parts) if setting.parts else None
                        if text:
                            out.append((setting.value_span, text, where))
                    elif setting.key in FLAG_VARS:
                        flags(app.dockerfile.source, setting.value_span, where)
    if app.env_sh is not None:
        for item in app.env_sh.assignments:
            if item.name == COOKIE:
                parts = item.parts
                if len(parts) == 1 and isinstance(parts[0], Var) and parts[0].name == COOKIE:
                    parts = parts[0].arg  # ${RELEASE_COOKIE:-literal}
                text = literal_parts(parts) if parts else None
                if text:
                    out.append((item.value_span, text, "env.sh.eex"))
            elif item.name in FLAG_VARS:
                flags(app.env_sh.source, item.value_span, "env.sh.eex")
    release = app.release
    if release is not None and release.cookie_kind == "literal" and release.cookie:
        out.append((release.cookie_span, release.cookie, "mix.exs"))
    for model, _ in (app.vm_args, app.remote_vm_args):
        if model is None:
            continue
        words = model.words
        for index, word in enumerate(words[:-1]):
            if word.text == "-setcookie" and "<%" not in words[index + 1].text and "$" not in words[index + 1].text:
                out.append((words[index + 1].span, words[index + 1].text, word.span.file))
    return [c for c in out if c[0] is not None]
