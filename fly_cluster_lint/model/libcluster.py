"""libcluster topologies, wherever they are written: `config :libcluster, topologies: ...` (or under an
app's own key), a list in application.ex passed to `Cluster.Supervisor` directly, through a variable or a
private function of the same module, or the default of `Application.get_env(app, key, default)` when no
loaded config sets the key."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.parsers.elixir import Alias, Atom
from fly_cluster_lint.records import Record

if TYPE_CHECKING:
    from typing import Any

MAX_DEPTH = 6
GETTERS = ("Application.get_env", "Application.fetch_env!", "Application.compile_env", "Application.get_all_env")


class Topology(Record):
    """One topology: the file and node it is written in, its name, strategy (alias text), `config:`
    keyword nodes and all options; ``source`` "config" or "code"."""

    __slots__ = ("file", "node", "name", "strategy", "config", "options", "source")


class Wiring(Record):
    """How one Cluster.Supervisor child gets its topologies: ``kind`` "config" (an app/key a loaded config
    sets), "code" (written in the code, or a getter's default), "empty" (an empty list), "unset" (a key no
    loaded config sets, with no default), or "unknown"; ``topologies``; ``node`` where the argument is written;
    ``key`` (app, key) it reads."""

    __slots__ = ("kind", "topologies", "node", "key")
    _defaults = {"topologies": list, "key": None}


def wiring(app: Any, child: Any) -> Wiring:
    file = child.file
    items = [c for c in child.node.named_children if c.type != "comment"]
    if len(items) < 2 or items[1].type != "list":
        return Wiring("unknown", node=child.node)
    args = [c for c in items[1].named_children if c.type != "comment"]
    if not args:
        return Wiring("empty", node=items[1])
    return _source(app, file, args[0], args[0], 0)


def _source(app: Any, file: Any, node: Any, anchor: Any, depth: int) -> Wiring:
    if node is None or depth > MAX_DEPTH:
        return Wiring("unknown", node=anchor)
    if node.type == "list":
        found = topologies_of(file, node, "code")
        if found is None:
            return Wiring("unknown", node=anchor)
        return Wiring("code" if found else "empty", found, anchor)
    if node.type == "identifier":
        bound = file.binding(node)
        return _source(app, file, bound, anchor, depth + 1) if bound is not None else Wiring("unknown", node=anchor)
    if node.type == "binary_operator":
        operator = node.child_by_field_name("operator")
        if operator is not None and file.text(operator) == "||":
            left = _source(app, file, node.child_by_field_name("left"), anchor, depth + 1)
            if left.kind == "unset":
                return _source(app, file, node.child_by_field_name("right"), anchor, depth + 1)
            return left
        return Wiring("unknown", node=anchor)
    if node.type == "call":
        name = file.call_name(node)
        args = file.args(node)
        if name in GETTERS and len(args) >= 2:
            app_atom, key = file.literal(args[0]), file.literal(args[1])
            if not (isinstance(app_atom, Atom) and isinstance(key, Atom)):
                return Wiring("unknown", node=anchor)
            entries = app.configs.find(app_atom.name, key.name)
            if entries:
                found = []
                for entry in entries:
                    found += topologies_of(entry.file, entry.value, "config") or []
                return Wiring("config" if found else "empty", found, anchor, (app_atom.name, key.name))
            if len(args) >= 3:
                default = _source(app, file, args[2], anchor, depth + 1)
                default.key = (app_atom.name, key.name)
                return default
            return Wiring("unset", node=anchor, key=(app_atom.name, key.name))
        if name and "." not in name and not args:  # a private function of the module: `topologies()`
            body = file.function_body(name)
            if body is not None:
                return _source(app, file, body, anchor, depth + 1)
    return Wiring("unknown", node=anchor)


def topologies_of(file: Any, node: Any, source: str) -> list[Topology] | None:
    """The topologies of a keyword list `[name: [strategy: ..., config: [...]], ...]`, None if unreadable."""
    topologies = file.keyword_list(node)
    if topologies is None and node.type == "identifier":
        bound = file.binding(node)
        topologies = file.keyword_list(bound) if bound is not None else None
    if topologies is None:
        return None
    out = []
    for name, topology in topologies.items():
        options = file.keyword_list(topology) or {}
        strategy = file.literal(options["strategy"]) if "strategy" in options else None
        config = options.get("config")
        if config is not None and config.type == "identifier":
            config = file.binding(config) or config
        out.append(Topology(file, topology, name, strategy.name if isinstance(strategy, Alias) else "",
                            file.keyword_list(config) or {}, options, source))
    return out


def configured(app: Any) -> list[Topology]:
    """Topologies set in loaded config files under :libcluster, whether or not a child receives them."""
    out = []
    for entry in app.configs.find("libcluster", "topologies"):
        out += topologies_of(entry.file, entry.value, "config") or []
    return out


def all_topologies(app: Any) -> list[Topology]:
    """Every topology the app's children receive, plus the configured ones, each once."""
    out: list[Topology] = []
    seen = set()
    for child in app.lib.children:
        if child.module == "Cluster.Supervisor":
            for topology in wiring(app, child).topologies:
                key = (topology.file.source.display, topology.node.start_byte)
                if key not in seen:
                    seen.add(key)
                    out.append(topology)
    for topology in configured(app):
        key = (topology.file.source.display, topology.node.start_byte)
        if key not in seen:
            seen.add(key)
            out.append(topology)
    return out


def basename_parts(file: Any, node: Any, depth: int = 0) -> tuple | None:
    """A node_basename as value parts: a literal, `System.get_env("FLY_APP_NAME")` (also with `|| raise`),
    a variable or a private function of the same file that gives one of those; None when unknown."""
    from fly_cluster_lint.parsers.words import Lit, Var

    if node is None or depth > MAX_DEPTH:
        return None
    literal = file.literal(node)
    if isinstance(literal, str):
        return (Lit(literal),)
    if node.type == "identifier":
        bound = file.binding(node)
        return basename_parts(file, bound, depth + 1) if bound is not None else None
    if node.type == "call" and file.call_name(node) and "." not in file.call_name(node) and not file.args(node):
        body = file.function_body(file.call_name(node))
        if body is not None:
            return basename_parts(file, body, depth + 1)
    reads = file.env_reads(node)
    if reads and node.type in ("call", "binary_operator"):
        return (Var(reads[0][0]),)
    return None
