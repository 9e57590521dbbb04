"""The DNSCluster query each child really gets: a literal in the child, a config value, or
DNS_CLUSTER_QUERY from the effective environment (through a config entry or directly)."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.parsers.words import Lit, literal_text
from fly_cluster_lint.records import value

if TYPE_CHECKING:
    from typing import Any

QUERY_VAR = "DNS_CLUSTER_QUERY"


class Query(value("Query", "child entries span origin is_list split setting")):
    """``entries``: the query strings as value parts (one, or several for a list); ``span``: where the value
    is written; ``origin``: "child", "config" or "env"; ``split``: runtime.exs splits a comma string;
    ``setting``: the environment setting when it came from DNS_CLUSTER_QUERY."""

    __slots__ = ()


def queries(app: Any) -> list[Query]:
    out: list[Query] = []
    for child in app.lib.dns_clusters():
        query = child.query
        if query is None:
            continue
        if query.kind == "literal":
            out.append(_literal(child, query.value, child.file.span(query.node), "child"))
        elif query.kind == "env" and query.value == QUERY_VAR:
            found = _from_env(app, child, child.file.span(query.node), split=False)
            if found is not None:
                out.append(found)
        elif query.kind == "config":
            for entry in app.configs.find(query.app, query.key):
                literal = entry.file.literal(entry.value)
                if isinstance(literal, (str, list, tuple)):
                    out.append(_literal(child, literal, entry.file.span(entry.value), "config"))
                    continue
                reads = [name for name, _ in entry.file.env_reads(entry.value)]
                if QUERY_VAR in reads:
                    split = any(entry.file.call_name(n) == "String.split" for n in entry.file.walk(entry.value)
                                if n.type == "call")
                    found = _from_env(app, child, entry.file.span(entry.value), split)
                    if found is not None:
                        out.append(found)
    return out


def _literal(child: Any, literal: Any, span: Any, origin: str) -> Query:
    if isinstance(literal, str):
        return Query(child, [(Lit(literal),)], span, origin, False, False, None)
    items = literal if isinstance(literal, list) else [literal]
    entries = []
    for item in items:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str):
            entries.append((Lit(item[1]),))
        elif isinstance(item, str):
            entries.append((Lit(item),))
    return Query(child, entries, span, origin, True, False, None)


def _from_env(app: Any, child: Any, read_span: Any, split: bool) -> Query | None:
    env = app.environment
    val = env.effective(QUERY_VAR)
    if val is None or val.parts is None:
        return None
    parts = val.parts
    entries = [parts]
    if split:
        entries = _split_commas(parts)
    span = val.setting.span or read_span
    return Query(child, entries, span, "env", split, split, val.setting)


def _split_commas(parts: tuple) -> list[tuple]:
    out: list[list] = [[]]
    for part in parts:
        if isinstance(part, Lit) and "," in part.text:
            pieces = part.text.split(",")
            out[-1].append(Lit(pieces[0]))
            for piece in pieces[1:]:
                out.append([Lit(piece)])
        else:
            out[-1].append(part)
    return [tuple(p for p in entry if not (isinstance(p, Lit) and not p.text)) for entry in out]


def resolve(parts: tuple, fly_app: str | None) -> str | None:
    """The text with ${FLY_APP_NAME} replaced by the toml's app; None when other boot-time values remain."""
    text = literal_text(parts, {"FLY_APP_NAME": fly_app} if fly_app else None)
    return text.strip() if text is not None else None


TXT_ONLY_PREFIXES = ("vms.", "all.vms.", "regions.", "all.regions.")
TXT_ONLY_NAMES = ("_apps.internal", "_instances.internal", "all._instances.internal", "_peer.internal")


def problem(text: str) -> str | None:
    """Why a query name cannot work with DNSCluster, or None when it is a valid AAAA name."""
    if not text:
        return "it is empty"
    if "," in text or " " in text:
        return "it holds commas or spaces: DNSCluster looks the whole string up as one host name"
    if text in TXT_ONLY_NAMES or text.startswith(TXT_ONLY_PREFIXES):
        return "it is a TXT-only Fly name: it returns no AAAA records, so DNSCluster finds no address"
    if text.endswith(".flycast"):
        return "`.flycast` names point at the Fly proxy, not at machines"
    if text.endswith(".fly.dev"):
        return "`.fly.dev` is the public address of the app, not its machines"
    if not text.endswith(".internal"):
        return "it is not a `.internal` name of Fly's private network"
    return None


def app_of(text: str) -> str | None:
    """The app a `.internal` query names: `<app>.internal`, `global.<app>.internal`, `<region>.<app>...`."""
    if not text.endswith(".internal"):
        return None
    labels = text[: -len(".internal")].split(".")
    return labels[-1] if labels and labels[-1] else None
