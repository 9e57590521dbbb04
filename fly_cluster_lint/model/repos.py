"""Repos reached over the network and how their config turns on IPv6 (`socket_options`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fly_cluster_lint.parsers.elixir import Atom
from fly_cluster_lint.records import value

if TYPE_CHECKING:
    from typing import Any

    from fly_cluster_lint.model.supervision import Repo

NETWORK_DEPS = ("postgrex", "myxql", "tds")


class Wiring(value("Wiring", "kind entry")):
    """kind: "env" (depends on ECTO_IPV6), "literal" ([:inet6]), "unknown" or "none"; entry: the Repo's
    config entry that decided it (runtime.exs preferred)."""

    __slots__ = ()


def network_repos(app: Any) -> list[Repo]:
    """Repos of a network database (Postgres, MySQL, MSSQL); SQLite and unknown adapters without a
    network driver in the deps are out."""
    has_driver = any(app.has_dep(d) for d in NETWORK_DEPS)
    return [r for r in app.lib.repos if r.network or (r.network is None and has_driver)]


def repo_ipv6(app: Any, repo: Repo) -> Wiring:
    otp_app = repo.otp_app or app.mix_app
    entries = [e for e in app.configs.find(otp_app, repo.module)]
    entries.sort(key=lambda e: not e.runtime)
    best = Wiring("none", entries[0] if entries else None)
    for entry in entries:
        options = entry.file.keyword_list(entry.value) or {}
        node = options.get("socket_options")
        if node is None:
            continue
        kind = _classify(entry.file, node)
        if kind in ("env", "literal"):
            return Wiring(kind, entry)
        best = Wiring("unknown", entry)
    return best


def _classify(file: Any, node: Any, depth: int = 0) -> str:
    if any(name == "ECTO_IPV6" for name, _ in file.env_reads(node)):
        return "env"
    value = file.literal(node)
    if isinstance(value, list) and Atom("inet6") in value:
        return "literal"
    if node.type == "identifier" and depth < 3:
        bound = file.binding(node)
        if bound is not None:
            return _classify(file, bound, depth + 1)
    return "unknown"
