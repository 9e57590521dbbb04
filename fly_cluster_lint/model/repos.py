"""Repos reached over the network and how their config turns on IPv6 (`socket_options`), as people write it.

The Repo's options may be a keyword list, a variable bound to one, `a ++ b` or `Keyword.merge(a, b)`;
`socket_options` may be `maybe_ipv6`, `maybe_ipv6 ++ [keepalive: true]`, `if(flag, do: [:inet6], else: [])`
with `flag` bound to an environment read or to a small function of the same file that wraps
`System.get_env`, or a literal. A value in which some branch gives `:inet6` counts as wired (from ECTO_IPV6
when it reads that variable); a value the tool cannot read is "unknown", which no rule reports.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.parsers.elixir import Atom
from fly_cluster_lint.records import value

if TYPE_CHECKING:
    from typing import Any

    from fly_cluster_lint.model.supervision import Repo

NETWORK_DEPS = ("postgrex", "myxql", "tds")
VAR = "ECTO_IPV6"
MAX_DEPTH = 6


class Wiring(value("Wiring", "kind entry")):
    """kind: "env" (depends on ECTO_IPV6), "literal" ([:inet6]), "unknown" or "none"; entry: the Repo's
    config entry that decided it (runtime.exs preferred)."""

    __slots__ = ()


class Check(value("Check", "kind accepted normalised node file", (frozenset(), False, None, None))):
    """How runtime.exs reads ECTO_IPV6: kind "exact" (on only for the `accepted` strings, compared after
    downcase/trim when `normalised`) or "truthy" (on when set at all); node: the read, in file."""

    __slots__ = ()

    @property
    def where(self) -> str:
        return f"{self.file.source.display}:{self.file.span(self.node).line}"


def network_repos(app: Any) -> list[Repo]:
    """Repos of a network database (Postgres, MySQL, MSSQL); SQLite and unknown adapters without a
    network driver in the deps are out."""
    has_driver = any(app.has_dep(d) for d in NETWORK_DEPS)
    return [r for r in app.lib.repos if r.network or (r.network is None and has_driver)]


def repo_ipv6(app: Any, repo: Repo) -> Wiring:
    otp_app = repo.otp_app or app.mix_app
    entries = [e for e in app.configs.find(otp_app, repo.module)]
    entries.sort(key=lambda e: not e.runtime)
    unknown = None
    for entry in entries:
        options = _options(entry.file, entry.value)
        if options is None:
            unknown = unknown or Wiring("unknown", entry)  # a Repo config the tool cannot read
            continue
        node = options.get("socket_options")
        if node is None:
            continue
        kind = _classify(entry.file, node)
        if kind in ("env", "literal"):
            return Wiring(kind, entry)
        unknown = unknown or Wiring("unknown", entry)
    return unknown or Wiring("none", entries[0] if entries else None)


def _options(file: Any, node: Any, depth: int = 0) -> dict | None:
    """The keyword options of a Repo config value, through variables, `++` and Keyword.merge/put."""
    if node is None or depth > MAX_DEPTH:
        return None
    found = file.keyword_list(node)
    if found is not None:
        return found
    if node.type == "identifier":
        return _options(file, file.binding(node), depth + 1)
    if node.type == "binary_operator":
        operator = node.child_by_field_name("operator")
        if operator is not None and file.text(operator) == "++":
            left = _options(file, node.child_by_field_name("left"), depth + 1)
            right = _options(file, node.child_by_field_name("right"), depth + 1)
            return None if left is None or right is None else {**left, **right}
    if node.type == "call" and file.call_name(node) in ("Keyword.merge", "Keyword.put", "Keyword.put_new"):
        args = file.args(node)
        base = _options(file, args[0], depth + 1) if args else None
        if base is None:
            return None
        if file.call_name(node) == "Keyword.merge" and len(args) == 2:
            other = _options(file, args[1], depth + 1)
            return None if other is None else {**base, **other}
        if len(args) == 3:
            key = file.literal(args[1])
            if isinstance(key, Atom):
                return {**base, key.name: args[2]}
        return None
    return None


def _scan(file: Any, node: Any, depth: int = 0, seen: set | None = None):
    """Every node of an expression, following variables and anonymous functions bound in the same file."""
    seen = seen if seen is not None else set()
    if node is None or depth > MAX_DEPTH or (node.start_byte, node.end_byte) in seen:
        return
    seen.add((node.start_byte, node.end_byte))
    for each in file.walk(node):
        yield each
        if each.type == "identifier":
            bound = file.binding(each)
            if bound is not None:
                yield from _scan(file, bound, depth + 1, seen)
        elif each.type == "call" and each.child_by_field_name("target") is not None:
            target = each.child_by_field_name("target")
            if target.type == "dot" and target.child_by_field_name("left") is not None and \
                    target.child_by_field_name("left").type == "identifier" and \
                    target.child_by_field_name("right") is None:
                bound = file.binding(target.child_by_field_name("left"))  # `fun.(...)`
                if bound is not None:
                    yield from _scan(file, bound, depth + 1, seen)


def _classify(file: Any, node: Any) -> str:
    reads = inet6 = False
    for each in _scan(file, node):
        if each.type == "atom" and file.text(each) == ":inet6":
            inet6 = True
        elif each.type == "string" and file.literal(each) == VAR:
            reads = True
    if inet6:
        return "env" if reads else "literal"
    return "unknown"


# -- how ECTO_IPV6 is read ------------------------------------------------------------------------------------

TRANSPARENT = ("String.downcase", "String.trim", "String.upcase")


def ecto_check(app: Any) -> Check | None:
    """How the loaded config files read ECTO_IPV6 (the first read the tool understands), or None."""
    for file in app.configs.files:
        for read in _reads(file):
            found = _context(file, read)
            if found is not None:
                return found._replace(file=file)
    return None


def _reads(file: Any) -> list:
    """`System.get_env("ECTO_IPV6")` calls, and `System.get_env(name)` inside a function of the same file
    that is called with "ECTO_IPV6"."""
    out = [node for name, node in file.env_reads(file.root) if name == VAR]
    if any(each.type == "string" and file.literal(each) == VAR for each in file.walk()):
        for call in file.calls("System.get_env"):
            args = file.args(call)
            if args and args[0].type == "identifier" and any(
                    a.type in ("anonymous_function", "stab_clause") for a in file.ancestors(call)):
                out.append(call)
    return out


def _context(file: Any, read: Any) -> Check | None:
    node, normalised = read, False
    while node.parent is not None:
        parent = node.parent
        if parent.type == "arguments" and parent.parent is not None and parent.parent.type == "call" and \
                file.call_name(parent.parent) in TRANSPARENT:
            node, normalised = parent.parent, True
            continue
        if parent.type == "binary_operator":
            operator = parent.child_by_field_name("operator")
            op = file.text(operator) if operator is not None else ""
            other = parent.child_by_field_name("right") if parent.child_by_field_name("left") == node else \
                parent.child_by_field_name("left")
            if op == "|>" and other is not None and other.type == "call" and file.call_name(other) in TRANSPARENT:
                node, normalised = parent, True
                continue
            if op == "in" and other is not None:
                accepted = _strings(file, other)
                return Check("exact", frozenset(accepted), normalised, read) if accepted is not None else None
            if op in ("==", "===") and other is not None and isinstance(file.literal(other), str):
                return Check("exact", frozenset([file.literal(other)]), normalised, read)
            if op in ("&&", "||", "and", "or"):
                return Check("truthy", node=read)
            return None
        if parent.type == "arguments" and parent.parent is not None and parent.parent.type == "call" and \
                file.call_name(parent.parent) in ("if", "unless") and file.args(parent.parent)[:1] == [node]:
            return Check("truthy", node=read)
        if parent.type == "unary_operator":
            return Check("truthy", node=read)
        return None
    return None


def _strings(file: Any, node: Any) -> list | None:
    if node.type == "sigil":
        name = next((c for c in node.children if c.type == "sigil_name"), None)
        content = next((c for c in node.children if c.type == "quoted_content"), None)
        if name is not None and file.text(name) == "w":
            return file.text(content).split() if content is not None else []
        return None
    found = file.literal(node)
    if isinstance(found, list) and all(isinstance(v, str) for v in found):
        return found
    return None
