"""What lib/**/*.ex says about clustering: Repos, the Application's children, DNSCluster and
libcluster children, and where the DNSCluster query comes from."""

from __future__ import annotations

from pathlib import Path
TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.files import FileCache
from fly_cluster_lint.parsers import ParseError
from fly_cluster_lint.parsers.elixir import Alias, Atom, ElixirFile
from fly_cluster_lint.records import Record, value

if TYPE_CHECKING:
    from typing import Any

NETWORK_ADAPTERS = {"Ecto.Adapters.Postgres": "postgrex", "Ecto.Adapters.MyXQL": "myxql", "Ecto.Adapters.Tds": "tds"}
NETWORK_REPO_WRAPPERS = {"AshPostgres.Repo"}
# Files that mention none of these cannot hold what the rules look for; they are not parsed.
_INTERESTING = (b"DNSCluster", b"Cluster.Supervisor", b"Repo", b"use Application", b"Node.", b":net_kernel")
# The app starting distribution itself (Livebook-style, with RELEASE_DISTRIBUTION=none), and code that
# connects nodes itself instead of a DNSCluster or libcluster child.
STARTS_NODE = ("Node.start", ":net_kernel.start")
CONNECTS_NODES = ("Node.connect", ":net_kernel.connect_node", "Node.ping", ":net_adm.ping",
                  "Cluster.Strategy.connect_nodes")


class Repo(value("Repo", "module otp_app adapter network file node")):
    """An Ecto repo: ``adapter`` is the alias text (None when not a literal); ``network`` True when reached
    over the network, None when the source cannot tell."""

    __slots__ = ()


class QuerySource(value("QuerySource", "kind app key value node", (None, None, None, None))):
    """Where a DNSCluster child's `:query` comes from: kind "config" (app, key), "env" (value: the
    variable), "literal" (value), "ignore" or "other"."""

    __slots__ = ()


class Child(value("Child", "module file node query", (None,))):
    """A discovery child: module "DNSCluster" or "Cluster.Supervisor"."""

    __slots__ = ()


class LibFacts(Record):
    """files, errors, repos, children, applications ((file, module, children list node) per `use Application`)."""

    __slots__ = ("files", "errors", "repos", "children", "applications", "starts_node", "connects_nodes")
    _defaults = {"files": list, "errors": list, "repos": list, "children": list, "applications": list,
                 "starts_node": list, "connects_nodes": list}

    def dns_clusters(self) -> list[Child]:
        return [c for c in self.children if c.module == "DNSCluster"]


def lib_files(project_dirs: list[Path], files: FileCache) -> list[Path]:
    """Every `.ex` file under each project's lib/ (through the file cache: never outside the repository)."""
    out = []
    for project in project_dirs:
        out += files.walk_files(project / "lib", ".ex")
    return out


def read_lib(project_dirs: list[Path], files: FileCache) -> LibFacts:
    facts = LibFacts()
    for path in lib_files(project_dirs, files):
        try:
            source = files.source(path)
        except ParseError as exc:
            facts.errors.append((path, exc))
            continue
        if source is None or not any(word in source.data for word in _INTERESTING):
            continue
        file, error = files.elixir(path)
        if error is not None:
            facts.errors.append((path, error))
            continue
        facts.files.append(file)
        _read_file(file, facts)
    return facts


def _read_file(file: ElixirFile, facts: LibFacts) -> None:
    for node in file.walk():
        if node.type == "call":
            name = file.call_name(node)
            if name == "use":
                _use(file, node, facts)
            elif name in STARTS_NODE:
                facts.starts_node.append((file, node))
            elif name in CONNECTS_NODES:
                facts.connects_nodes.append((file, node))
            elif name in ("DNSCluster.child_spec", "DNSCluster.start_link"):
                facts.children.append(Child("DNSCluster", file, node, _query(file, file.args(node)[0] if file.args(node) else None)))
        elif node.type == "tuple" and node.named_children:
            head = file.literal(node.named_children[0])
            if isinstance(head, Alias) and head.name in ("DNSCluster", "Cluster.Supervisor"):
                options = node.named_children[1] if len(node.named_children) > 1 else None
                query = _query(file, options) if head.name == "DNSCluster" else None
                facts.children.append(Child(head.name, file, node, query))


def _use(file: ElixirFile, node: Any, facts: LibFacts) -> None:
    args = file.args(node)
    if not args:
        return
    used = file.literal(args[0])
    if not isinstance(used, Alias):
        return
    modules = module_names(file, node)
    module = modules[0] if modules else None
    if used.name == "Application":
        facts.applications.append((file, module, _children_list(file, node)))
        return
    if used.name != "Ecto.Repo" and used.name not in NETWORK_REPO_WRAPPERS:
        return
    options = file.keywords(args[1]) if len(args) > 1 and args[1].type == "keywords" else {}
    otp_app = file.literal(options["otp_app"]) if "otp_app" in options else None
    adapter = file.literal(options["adapter"]) if "adapter" in options else None
    adapter_name = adapter.name if isinstance(adapter, Alias) else None
    if used.name in NETWORK_REPO_WRAPPERS:
        network: bool | None = True
    elif adapter_name is not None:
        network = adapter_name in NETWORK_ADAPTERS
    else:
        network = None
    for name in modules:  # a Repo module per name (several for `for repo <- @repos do defmodule repo`)
        facts.repos.append(Repo(name, otp_app.name if isinstance(otp_app, Atom) else None, adapter_name,
                                network, file, node))


def module_names(file: ElixirFile, node: Any) -> list[str]:
    """The full name of the module a node is in, as Elixir names it: nested `defmodule Repo` inside
    `defmodule MyApp` is MyApp.Repo. A `defmodule` whose name is a comprehension variable over a literal
    module attribute (`for repo <- @repos do defmodule repo`) names each module of the list; any other
    computed name gives none (the module is ignored)."""
    names: list[str] = []
    for parent in file.ancestors(node):
        if parent.type != "call" or file.call_name(parent) != "defmodule":
            continue
        args = file.args(parent)
        if not args:
            return []
        head = args[0]
        if head.type == "alias":
            names.insert(0, file.text(head))
            continue
        if not names and head.type == "identifier":
            return _comprehension_modules(file, head)
        break  # a computed name: Elixir does not nest below it
    return [".".join(names)] if names else []


def _comprehension_modules(file: ElixirFile, identifier: Any) -> list[str]:
    name = file.text(identifier)
    for parent in file.ancestors(identifier):
        if parent.type == "call" and file.call_name(parent) == "for":
            for arg in file.args(parent):
                left, right = arg.child_by_field_name("left"), arg.child_by_field_name("right")
                if arg.type == "binary_operator" and left is not None and right is not None and \
                        file.text(left) == name and file.text(right).startswith("@"):
                    values = _attribute(file, parent, file.text(right)[1:].strip())
                    if isinstance(values, list) and all(isinstance(v, Alias) for v in values):
                        return [v.name for v in values]
    return []


def _attribute(file: ElixirFile, near: Any, name: str) -> Any:
    """The literal value of a module attribute `@name value` set in the file."""
    for node in file.walk():
        if node.type == "unary_operator" and file.text(node).startswith("@") and node.named_children:
            operand = node.named_children[0]
            if operand.type == "call" and file.call_name(operand) == name:
                args = file.args(operand)
                if len(args) == 1:
                    return file.literal(args[0])
    return None


def _children_list(file: ElixirFile, use_node: Any) -> Any:
    """The `children = [...]` list of the module that does `use Application`, for positions (looked up
    once per module, however many times it says `use Application`)."""
    module = next((p for p in file.ancestors(use_node) if p.type == "call" and file.call_name(p) == "defmodule"), None)
    key = (module.start_byte, module.end_byte) if module is not None else None
    cache = file.__dict__.setdefault("_children_lists", {})
    if key not in cache:
        cache[key] = _find_children_list(file, module)
    return cache[key]


def _find_children_list(file: ElixirFile, module: Any) -> Any:
    for node in file.walk(module or file.root):
        if node.type == "binary_operator":
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            if left is not None and right is not None and file.text(left) == "children" and right.type == "list":
                return right
    return None


def _query(file: ElixirFile, options: Any) -> QuerySource:
    if options is None:
        return QuerySource("other")
    keywords = file.keyword_list(options) if options.type in ("list", "keywords") else None
    if keywords is None or "query" not in keywords:
        return QuerySource("other", node=options)
    value = keywords["query"]
    return _query_value(file, value)


def _query_value(file: ElixirFile, value: Any) -> QuerySource:
    if value.type == "binary_operator":
        left = value.child_by_field_name("left")
        operator = value.child_by_field_name("operator")
        if operator is not None and file.text(operator) == "||" and left is not None:
            return _query_value(file, left)
    if value.type == "call":
        name = file.call_name(value)
        args = file.args(value)
        if name in ("Application.get_env", "Application.fetch_env!", "Application.compile_env") and len(args) >= 2:
            app, key = file.literal(args[0]), file.literal(args[1])
            if isinstance(app, Atom) and isinstance(key, Atom):
                return QuerySource("config", app.name, key.name, node=value)
        reads = file.env_reads(value)
        if reads:
            return QuerySource("env", value=reads[0][0], node=value)
    literal = file.literal(value)
    if isinstance(literal, Atom) and literal.name == "ignore":
        return QuerySource("ignore", node=value)
    if isinstance(literal, (str, list, tuple)):
        return QuerySource("literal", value=literal, node=value)
    return QuerySource("other", node=value)
