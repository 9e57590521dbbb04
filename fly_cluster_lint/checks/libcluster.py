"""FCL31x: libcluster (`Cluster.Supervisor` with topologies) as the discovery mechanism. The topologies
come from model/libcluster.py, wherever they are written (config, code, a getter's default)."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.diagnostics import Finding
from fly_cluster_lint.model.libcluster import all_topologies, configured, wiring

if TYPE_CHECKING:
    from typing import Iterator

    from fly_cluster_lint.model.app import App


def libcluster_not_wired(app: App) -> Iterator[Finding]:
    """FCL310: a Cluster.Supervisor with no topologies, or topologies no child receives."""
    configs = app.configs
    if not configs.complete or app.lib.errors:
        return
    supervisors = [c for c in app.lib.children if c.module == "Cluster.Supervisor"]
    found = configs.find("libcluster", "topologies")
    if found and not supervisors:
        entry = found[0]
        yield Finding(entry.file.span(entry.key_node),
                      "`config :libcluster, topologies: ...` is never passed to a `Cluster.Supervisor` child", None,
                      "add `{Cluster.Supervisor, [Application.get_env(:libcluster, :topologies) || [], "
                      "[name: MyApp.ClusterSupervisor]]}` to the application's children")
        return
    for child in supervisors:
        wired = wiring(app, child)
        why = None
        help_text = "pass the topologies from `config :libcluster, topologies: [...]`"
        if wired.kind == "empty":
            why = "this Cluster.Supervisor is given an empty topology list"
        elif wired.kind == "unset":
            why = (f"this Cluster.Supervisor reads `:{wired.key[0]}, :{wired.key[1]}` with no default, and no "
                   f"prod config sets it")
        elif wired.kind in ("code", "config") and any(not t.strategy and "strategy" not in t.options
                                                      for t in wired.topologies):
            shapeless = next(t for t in wired.topologies if not t.strategy and "strategy" not in t.options)
            why = f"the topology `{shapeless.name}` of this Cluster.Supervisor has no `strategy:`"
            help_text = ("pass a list of topologies, such as "
                         "`[fly6pn: [strategy: Cluster.Strategy.DNSPoll, config: [...]]]`")
        if why is not None:
            yield Finding(child.file.span(wired.node), why, None, help_text)


def libcluster_basename_mismatch(app: App) -> Iterator[Finding]:
    """FCL311: a DNSPoll node_basename that differs from the RELEASE_NODE basename."""
    from fly_cluster_lint.model.environment import DEFAULT
    from fly_cluster_lint.model.libcluster import basename_parts
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
    for topology in all_topologies(app):
        if not topology.strategy.endswith("DNSPoll"):
            continue
        value = topology.config.get("node_basename")
        parts = basename_parts(topology.file, value) if value is not None else None
        if parts is None:
            continue
        basename = resolve(parts, app.fly_app)
        if basename is None or basename == release_text:
            continue
        yield Finding(topology.file.span(value),
                      f"the DNSPoll node_basename `{basename}` differs from the RELEASE_NODE basename "
                      f"`{shown_text('RELEASE_NODE', render(release_base), app.secrets)}`", None,
                      "make node_basename equal the RELEASE_NODE basename")


def libcluster_bad_option(app: App) -> Iterator[Finding]:
    """FCL312: DNSPoll options libcluster ignores or lacks, a libcluster too old for AAAA records, an empty
    Epmd host list, Gossip on Fly."""
    from fly_cluster_lint.model.lock import satisfies

    if not app.configs.complete or app.lib.errors:
        return
    for topology in all_topologies(app):
        file, strategy, config = topology.file, topology.strategy, topology.config
        if strategy.endswith("DNSPoll"):
            locked = app.lock.get("libcluster")
            if locked is not None and satisfies(locked, ">= 3.2.2") is False:
                yield Finding(file.span(topology.options["strategy"]),
                              f"mix.lock has libcluster {locked}, whose DNSPoll looks up A records only "
                              f"(AAAA came in 3.2.2)", None,
                              f"upgrade to `{{:libcluster, \"~> 3.3\"}}` (then `mix deps.update libcluster`)")
            if "poll_interval" in config:
                from fly_cluster_lint.fixes import SAFE, Edit, Fix

                key = file.key_node(config["poll_interval"])
                fix = Fix(SAFE, "rename poll_interval to polling_interval",
                          (Edit(str(file.source.path), key.start_byte, key.start_byte + len("poll_interval"),
                                "polling_interval"),))
                yield Finding(file.span(key),
                              "DNSPoll has no `poll_interval` option (the code reads `polling_interval`)", fix,
                              "rename it to `polling_interval`")
            for key in ("query", "node_basename"):
                if key not in config:
                    yield Finding(file.span(topology.node), f"this DNSPoll topology has no `{key}`", None,
                                  f"add `{key}: ...` to its `config:`")
        elif strategy.endswith("Epmd"):
            hosts = config.get("hosts")
            if hosts is not None and file.literal(hosts) == []:
                yield Finding(file.span(hosts), "this Epmd topology has an empty `hosts` list", None,
                              "use DNSPoll with `<app>.internal` on Fly")
        elif strategy.endswith("Gossip"):
            yield Finding(file.span(topology.options["strategy"]),
                          "the Gossip strategy needs UDP multicast, which Fly's private network is not known to carry",
                          None, "use Cluster.Strategy.DNSPoll with `<app>.internal`")


__all__ = ["libcluster_not_wired", "libcluster_basename_mismatch", "libcluster_bad_option", "configured"]
