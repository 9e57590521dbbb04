"""Values as parts: literal text, variable references, command substitutions and EEx output.

Shell (env.sh.eex), Dockerfile ENV and fly.toml values are all reduced to a tuple of parts so that the
effective-environment model can resolve them the same way, whatever file they came from.
"""

from __future__ import annotations

from fly_cluster_lint.records import value


class Lit(value("Lit", "text")):
    __slots__ = ()


class Var(value("Var", "name op arg", ("", ()))):
    """``$NAME`` or ``${NAME<op><arg>}``; ``op`` is "" for a plain reference."""

    __slots__ = ()


class Cmd(value("Cmd", "text")):
    """``$(...)`` or backticks: runs at boot; ``text`` is the command."""

    __slots__ = ()


class Eex(value("Eex", "code value", (None,))):
    """``<%= code %>``: filled in by ``mix release`` at build time; ``value`` when the tool knows it."""

    __slots__ = ()


Part = "Lit | Var | Cmd | Eex"


def render(parts: tuple, *, unknown: str = "?") -> str:
    """A readable form of a value: literals as written, ``${X}`` for references, ``$(...)``, EEx values."""
    out = []
    for part in parts:
        if isinstance(part, Lit):
            out.append(part.text)
        elif isinstance(part, Var):
            out.append("${" + part.name + part.op + render(part.arg) + "}" if part.op else "${" + part.name + "}")
        elif isinstance(part, Cmd):
            out.append("$(" + part.text + ")")
        elif isinstance(part, Eex):
            out.append(part.value if part.value is not None else "<%= " + part.code + " %>")
        else:
            out.append(unknown)
    return "".join(out)


def literal_text(parts: tuple, known: dict | None = None) -> str | None:
    """The text when the value is fully known (literals, known EEx values, and plain references to the
    variables in `known`), else None."""
    out = []
    for part in parts:
        if isinstance(part, Lit):
            out.append(part.text)
        elif isinstance(part, Eex) and part.value is not None:
            out.append(part.value)
        elif isinstance(part, Var) and part.op == "" and known and part.name in known:
            out.append(known[part.name])
        else:
            return None
    return "".join(out)


def merge(parts: list) -> tuple:
    """Join adjacent literals."""
    out: list = []
    for part in parts:
        if isinstance(part, Lit) and out and isinstance(out[-1], Lit):
            out[-1] = Lit(out[-1].text + part.text)
        elif not (isinstance(part, Lit) and part.text == ""):
            out.append(part)
    return tuple(out)


def references(parts: tuple) -> set[str]:
    """Every variable name a value reads, including inside ``${X:-$Y}``."""
    names: set[str] = set()
    for part in parts:
        if isinstance(part, Var):
            names.add(part.name)
            names |= references(part.arg)
    return names


def split_at(parts: tuple, char: str) -> tuple[tuple, tuple] | None:
    """Split a value at the first literal ``char`` (e.g. the ``@`` of a node name); None when absent."""
    for index, part in enumerate(parts):
        if isinstance(part, Lit) and char in part.text:
            before, after = part.text.split(char, 1)
            return merge(list(parts[:index]) + [Lit(before)]), merge([Lit(after)] + list(parts[index + 1 :]))
        if isinstance(part, Eex) and part.value is not None and char in part.value:
            before, after = part.value.split(char, 1)
            return merge(list(parts[:index]) + [Lit(before)]), merge([Lit(after)] + list(parts[index + 1 :]))
    return None
