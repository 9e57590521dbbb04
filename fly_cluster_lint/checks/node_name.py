"""FCL2xx: the node name (RELEASE_DISTRIBUTION, RELEASE_NODE)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fly_cluster_lint.diagnostics import Finding
from fly_cluster_lint.model.app import App
from fly_cluster_lint.model.environment import DEFAULT
from fly_cluster_lint.parsers.words import Cmd, Lit, Var, render, split_at

if TYPE_CHECKING:
    from typing import Iterator

PRIVATE_IP = "FLY_PRIVATE_IP"


def distribution_not_name(app: App) -> Iterator[Finding]:
    """FCL201: RELEASE_DISTRIBUTION is not `name` on Fly."""
    env = app.environment
    if not env.complete:
        return
    value = env.get("RELEASE_DISTRIBUTION")
    if value is None or value.parts is None:
        return
    if value.setting.layer == DEFAULT:
        yield Finding(app.env_sh_insertion(),
                      "RELEASE_DISTRIBUTION is not set, so the release starts with short names (sname): "
                      "DNSCluster needs long names (name@<ip>) and connects to no peer; add "
                      f"`export RELEASE_DISTRIBUTION=\"name\"` to {app.env_sh_display}")
        return
    text = value.literal
    if text is None or text == "name":
        return
    where = value.setting.span
    if text in ("sname", "none"):
        what = ("short names: a node name with an IP host cannot start, and DNSCluster warns that long "
                "names are required" if text == "sname" else "no distribution at all: the node never clusters")
        yield Finding(where, f"RELEASE_DISTRIBUTION is `{text}`, which means {what}; set it to `name`")
    else:
        yield Finding(where, f"RELEASE_DISTRIBUTION is `{text}`: the release script accepts only name, sname or "
                             f"none and exits at boot; set it to `name`")


def node_name_missing(app: App) -> Iterator[Finding]:
    """FCL202: no RELEASE_NODE: the node is named after the release with no private-IP host."""
    env = app.environment
    if not env.complete:
        return
    value = env.get("RELEASE_NODE")
    if value is not None and value.setting.layer != DEFAULT:
        return
    app_name = app.fly_app or "${FLY_APP_NAME}"
    yield Finding(app.env_sh_insertion(),
                  f"RELEASE_NODE is not set, so every machine's node is named `{app.release_name or '<release>'}` "
                  f"with no private IPv6 host: DNSCluster connects to <basename>@<6PN address> and never finds "
                  f"a peer; add `export RELEASE_NODE=\"${{FLY_APP_NAME}}-${{FLY_IMAGE_REF##*-}}@${{FLY_PRIVATE_IP}}\"` "
                  f"inside `if [ -n \"$FLY_APP_NAME\" ]` in {app.env_sh_display} (app {app_name})")


def node_host_not_private_ip(app: App) -> Iterator[Finding]:
    """FCL203: the host part of RELEASE_NODE is not the machine's 6PN address."""
    env = app.environment
    if not env.complete:
        return
    value = env.get("RELEASE_NODE")
    if value is None or value.parts is None or value.setting.layer == DEFAULT or value.setting.span is None:
        return
    split = split_at(value.parts, "@")
    fix = "use `@${FLY_PRIVATE_IP}` as the host"
    if split is None:
        if _unknown(value.parts):
            return
        yield Finding(value.setting.span,
                      f"RELEASE_NODE `{render(value.parts)}` has no `@host`, so Erlang appends this machine's "
                      f"hostname; DNSCluster connects to <basename>@<6PN address>, which never matches: {fix}")
        return
    _, host = split
    if _is_private_ip(host):
        return
    if host and all(isinstance(p, Var) and p.op == "" and p.name not in ("FLY_PRIVATE_IP",) and p.name.islower()
                    for p in host):
        return  # a shell variable the tool could not resolve: stay silent
    shown = render(host) or "(empty)"
    yield Finding(value.setting.span,
                  f"the host of RELEASE_NODE is `{shown}`, not the machine's private IPv6 address: DNSCluster "
                  f"connects to <basename>@<6PN address>, the names never match, peers get :pang and "
                  f"Node.list() stays empty; {fix}")


def _is_private_ip(host: tuple) -> bool:
    if len(host) != 1:
        return False
    part = host[0]
    if isinstance(part, Var):
        return part.name == PRIVATE_IP and part.op == ""
    if isinstance(part, Cmd):
        return "fly-local-6pn" in part.text
    return False


def _unknown(parts: tuple) -> bool:
    return any(isinstance(p, (Var, Cmd)) for p in parts) and not any(isinstance(p, Lit) for p in parts)
