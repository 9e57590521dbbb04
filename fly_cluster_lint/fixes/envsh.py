"""What env.sh.eex must export on this app, so that the fixes of FCL002, FCL101, FCL202, FCL303, FCL501
(and FCL103) write the same lines, in the flyctl style."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.fixes import SAFE, Fix
from fly_cluster_lint.fixes import edits as E

if TYPE_CHECKING:
    from typing import Any

PROTO_DIST = 'export ERL_AFLAGS="-proto_dist inet6_tcp"'
ECTO_IPV6 = 'export ECTO_IPV6="true"'
QUERY = 'export DNS_CLUSTER_QUERY="${FLY_APP_NAME}.internal"'
DISTRIBUTION = 'export RELEASE_DISTRIBUTION="name"'


def node_export(app: Any) -> str:
    """RELEASE_NODE with a basename that matches how peers are found: the app name for libcluster
    (DNSPoll's node_basename), the app name plus the deployment id for DNSCluster (as flyctl writes it)."""
    if any(c.module == "Cluster.Supervisor" for c in app.lib.children):
        return 'export RELEASE_NODE="${FLY_APP_NAME}@${FLY_PRIVATE_IP}"'
    return 'export RELEASE_NODE="${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}@${FLY_PRIVATE_IP}"'


def node_basename(app: Any) -> str:
    """The basename part of node_export (before `@`)."""
    return node_export(app).split('"')[1].split("@")[0]


def wanted(app: Any) -> list[str]:
    """The exports a new env.sh.eex needs inside its Fly block, given what the image and fly.toml set."""
    from fly_cluster_lint.model.distribution import occurrences
    from fly_cluster_lint.model.query import QUERY_VAR
    from fly_cluster_lint.model.repos import network_repos, repo_ipv6

    env = app.environment
    lines = []
    reads_query = any(c.query is not None and c.query.kind in ("config", "env") for c in app.lib.dns_clusters())
    if reads_query and env.effective(QUERY_VAR) is None:
        lines.append(QUERY)
    node = env.get("RELEASE_NODE")
    if node is None or node.setting.layer == "release default":
        lines.append(node_export(app))
    found = occurrences(app, "start")
    if found is not None and not any(o.ipv6 or o.module is None for o in found):
        lines.append(PROTO_DIST)
    if env.effective("ECTO_IPV6") is None and any(repo_ipv6(app, r).kind == "env" for r in network_repos(app)):
        lines.append(ECTO_IPV6)
    return lines


def export_fix(app: Any, line: str, what: str) -> Fix | None:
    """Add one export inside the Fly block of env.sh.eex (None when env.sh.eex is missing: FCL002's fix
    creates it with every export at once)."""
    edits = E.add_exports(app, [line])
    return Fix(SAFE, f"add `{line}` to {app.env_sh_display} ({what})", tuple(edits)) if edits else None
