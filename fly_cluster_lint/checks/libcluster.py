"""FCL31x: libcluster (`Cluster.Supervisor` with topologies) as the discovery mechanism."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fly_cluster_lint.diagnostics import Finding
from fly_cluster_lint.parsers.elixir import Alias

if TYPE_CHECKING:
    from typing import Any, Iterator

    from fly_cluster_lint.model.app import App


def _topology_source(child: Any) -> tuple[str, Any]:
    """How a Cluster.Supervisor child gets its topologies: ("empty" | "config" | "variable" | "literal"
    | "unknown", node)."""
    file = child.file
    items = [c for c in child.node.named_children if c.type != "comment"]
    if len(items) < 2 or items[1].type != "list":
        return "unknown", child.node
    args = [c for c in items[1].named_children if c.type != "comment"]
    if not args:
        return "empty", items[1]
    first = args[0]
    if first.type == "list":
        return ("empty" if not [c for c in first.named_children if c.type != "comment"] else "literal"), first
    if first.type == "identifier":
        bound = file.binding(first)
        if bound is not None and _reads_topologies(file, bound):
            return "config", first
        return "variable", first
    if first.type in ("call", "binary_operator") and _reads_topologies(file, first):
        return "config", first
    return "unknown", first


def _reads_topologies(file: Any, node: Any) -> bool:
    return any(n.type == "call" and file.call_name(n) in ("Application.get_env", "Application.fetch_env!")
               and "libcluster" in file.text(n) for n in file.walk(node))


def libcluster_not_wired(app: App) -> Iterator[Finding]:
    """FCL310: a Cluster.Supervisor with no topologies, or topologies no child receives."""
    configs = app.configs
    if not configs.complete or app.lib.errors:
        return
    supervisors = [c for c in app.lib.children if c.module == "Cluster.Supervisor"]
    configured = configs.find("libcluster", "topologies")
    if configured and not supervisors:
        entry = configured[0]
        yield Finding(entry.file.span(entry.key_node),
                      "`config :libcluster, topologies: ...` is never passed to a `Cluster.Supervisor` child: "
                      "libcluster does not read it by itself, so no strategy runs and Node.list() stays empty; add "
                      "`{Cluster.Supervisor, [Application.get_env(:libcluster, :topologies) || [], "
                      "[name: MyApp.ClusterSupervisor]]}` to the application's children")
        return
    for child in supervisors:
        kind, node = _topology_source(child)
        if kind == "empty" or (kind == "config" and not configured):
            why = ("it is given an empty topology list" if kind == "empty"
                   else "it reads `:libcluster, :topologies`, which no config file a prod release loads sets")
            yield Finding(child.file.span(node),
                          f"this Cluster.Supervisor runs no strategy: {why}, so it never connects a node; pass the "
                          f"topologies from `config :libcluster, topologies: [...]`")


def _dns_poll_topologies(app: App) -> list[tuple[Any, Any, dict]]:
    """(entry, topology value node, config keyword nodes) for each DNSPoll topology."""
    out = []
    for entry in app.configs.find("libcluster", "topologies"):
        file = entry.file
        topologies = file.keyword_list(entry.value) or {}
        for _, topology in topologies.items():
            options = file.keyword_list(topology) or {}
            strategy = file.literal(options["strategy"]) if "strategy" in options else None
            name = strategy.name if isinstance(strategy, Alias) else ""
            config = file.keyword_list(options.get("config")) or {}
            out.append((entry, topology, {"strategy": name, "config": config, "options": options}))
    return out


def _resolve_elixir(file: Any, node: Any, depth: int = 0) -> tuple | None:
    """Value parts of a node_basename: a literal, `System.get_env("FLY_APP_NAME")`, or a variable bound to
    one of those in the same file."""
    from fly_cluster_lint.parsers.words import Lit, Var

    literal = file.literal(node)
    if isinstance(literal, str):
        return (Lit(literal),)
    reads = file.env_reads(node)
    if reads and node.type in ("call", "binary_operator"):
        return (Var(reads[0][0]),)
    if node.type == "identifier" and depth < 3:
        bound = file.binding(node)
        if bound is not None:
            return _resolve_elixir(file, bound, depth + 1)
    return None


def libcluster_basename_mismatch(app: App) -> Iterator[Finding]:
    """FCL311: a DNSPoll node_basename that differs from the RELEASE_NODE basename."""
    from fly_cluster_lint.model.environment import DEFAULT
    from fly_cluster_lint.model.query import resolve
    from fly_cluster_lint.model.secrets import shown_text
    from fly_cluster_lint.parsers.words import render, split_at

    env = app.environment
    if not env.complete or not app.configs.complete or app.lib.errors:
        return
    if not [c for c in app.lib.children if c.module == "Cluster.Supervisor"]:
        return  # FCL310 first
    node = env.get("RELEASE_NODE")
    if node is None or node.parts is None or node.setting.layer == DEFAULT:
        return
    split = split_at(node.parts, "@")
    release_base = split[0] if split is not None else node.parts
    release_text = resolve(release_base, app.fly_app)
    for entry, _, topology in _dns_poll_topologies(app):
        if not topology["strategy"].endswith("DNSPoll"):
            continue
        value = topology["config"].get("node_basename")
        if value is None:
            continue
        parts = _resolve_elixir(entry.file, value)
        if parts is None:
            continue
        basename = resolve(parts, app.fly_app)
        if basename is None or basename == release_text:
            continue
        yield Finding(entry.file.span(value),
                      f"DNSPoll connects to `{basename}@<ip>`, but RELEASE_NODE's basename is "
                      f"`{shown_text('RELEASE_NODE', render(release_base), app.secrets)}`: the names never match, so libcluster connects to nobody and logs "
                      f"nothing; make node_basename equal the RELEASE_NODE basename")


def libcluster_bad_option(app: App) -> Iterator[Finding]:
    """FCL312: DNSPoll options libcluster ignores or lacks, a libcluster too old for AAAA records, an empty
    Epmd host list, Gossip on Fly."""
    from fly_cluster_lint.model.lock import satisfies

    if not app.configs.complete:
        return
    for entry, topology, parsed in _dns_poll_topologies(app):
        file = entry.file
        strategy = parsed["strategy"]
        config = parsed["config"]
        if strategy.endswith("DNSPoll"):
            locked = app.lock.get("libcluster")
            if locked is not None and satisfies(locked, ">= 3.2.2") is False:
                yield Finding(file.span(parsed["options"]["strategy"]),
                              f"mix.lock has libcluster {locked}, whose DNSPoll looks up A records only; Fly's "
                              f"`.internal` names have AAAA records only (support came in 3.2.2), so it finds no "
                              f"peer; upgrade to `{{:libcluster, \"~> 3.3\"}}`")
            if "poll_interval" in config:
                from fly_cluster_lint.fixes import SAFE, Edit, Fix

                key = file.key_node(config["poll_interval"])
                fix = Fix(SAFE, "rename poll_interval to polling_interval",
                          (Edit(str(file.source.path), key.start_byte, key.start_byte + len("poll_interval"),
                                "polling_interval"),))
                yield Finding(file.span(file.key_node(config["poll_interval"])),
                              "DNSPoll has no `poll_interval` option (the docs say so, the code reads "
                              "`polling_interval`): this value is ignored and polling runs every 5 s; rename it to "
                              "`polling_interval`", fix)
            for key in ("query", "node_basename"):
                if key not in config:
                    yield Finding(file.span(topology),
                                  f"this DNSPoll topology has no `{key}`: libcluster logs a warning on every poll and "
                                  f"connects to nothing; add `{key}: ...`")
        elif strategy.endswith("Epmd"):
            hosts = config.get("hosts")
            if hosts is not None and file.literal(hosts) == []:
                yield Finding(file.span(hosts), "this Epmd topology has an empty `hosts` list, so it connects to "
                                                "nothing; use DNSPoll with `<app>.internal` on Fly")
        elif strategy.endswith("Gossip"):
            yield Finding(file.span(parsed["options"]["strategy"]),
                          "the Gossip strategy relies on UDP multicast, which Fly's private network is not known to "
                          "carry; use Cluster.Strategy.DNSPoll with `<app>.internal`")
