"""FCL2xx: the node name (RELEASE_DISTRIBUTION, RELEASE_NODE)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fly_cluster_lint.diagnostics import Finding
from fly_cluster_lint.model.app import App
from fly_cluster_lint.model.environment import DEFAULT, DOCKERFILE, ENV_SH, FLY_TOML
from fly_cluster_lint.model.secrets import shown_text, shown_value
from fly_cluster_lint.parsers.words import Cmd, Eex, Lit, Var, render, split_at

if TYPE_CHECKING:
    from typing import Iterator

PRIVATE_IP = "FLY_PRIVATE_IP"


def distribution_not_name(app: App) -> Iterator[Finding]:
    """FCL201: RELEASE_DISTRIBUTION is not `name` on Fly."""
    env = app.environment
    if not env.complete:
        return
    value = env.get("RELEASE_DISTRIBUTION")
    if value is None or value.parts is None or _app_starts_distribution(app):
        return
    if value.setting.layer == DEFAULT:
        from fly_cluster_lint.fixes import SAFE, Fix
        from fly_cluster_lint.fixes.edits import add_line_after_fly_block
        from fly_cluster_lint.fixes.envsh import DISTRIBUTION

        edits = add_line_after_fly_block(app, DISTRIBUTION)
        fix = Fix(SAFE, f"add `{DISTRIBUTION}` to {app.env_sh_display}", tuple(edits)) if edits else None
        yield Finding(app.env_sh_insertion(),
                      "RELEASE_DISTRIBUTION is not set, so the release starts with short names (sname): "
                      "DNSCluster needs long names (name@<ip>) and connects to no peer; add "
                      f"`export RELEASE_DISTRIBUTION=\"name\"` to {app.env_sh_display}", fix)
        return
    text = value.literal
    if text is None or text == "name":
        return
    text = shown_text("RELEASE_DISTRIBUTION", text, app.secrets)
    where = value.setting.span
    fix = _replace_value_fix(app, value.setting, '"name"', "set RELEASE_DISTRIBUTION to name", safe=False)
    if text in ("sname", "none"):
        what = ("short names: a node name with an IP host cannot start, and DNSCluster warns that long "
                "names are required" if text == "sname" else "no distribution at all: the node never clusters")
        yield Finding(where, f"RELEASE_DISTRIBUTION is `{text}`, which means {what}; set it to `name`", fix)
    else:
        yield Finding(where, f"RELEASE_DISTRIBUTION is `{text}`: the release script accepts only name, sname or "
                             f"none and exits at boot; set it to `name`",
                      _replace_value_fix(app, value.setting, '"name"', "set RELEASE_DISTRIBUTION to name", safe=True))


def _replace_value_fix(app: App, setting, text: str, message: str, safe: bool):
    """Replace a value written in env.sh.eex or fly.toml [env] (by its span)."""

    from fly_cluster_lint.fixes import SAFE, UNSAFE, Edit, Fix

    span = setting.span
    if span is None or setting.layer not in (ENV_SH, FLY_TOML):
        return None
    source = app.files.of_span(span)
    if source is None:
        return None
    return Fix(SAFE if safe else UNSAFE, message, (Edit(str(source.path), span.start_byte, span.end_byte, text),))


def _node_part_fix(app: App, value, part: str, replacement: str, message: str, safe: bool):
    """Replace the basename (`part="base"`) or the host (`part="host"`) of a RELEASE_NODE written in
    env.sh.eex, by the byte offset of its `@` in the source."""

    from fly_cluster_lint.fixes import SAFE, UNSAFE, Edit, Fix

    setting = value.setting
    span = setting.span
    if setting.layer != ENV_SH or span is None:
        return None
    source = app.files.of_span(span)
    raw = source.data[span.start_byte:span.end_byte].decode("utf-8", "replace")
    quoted = len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'"
    inner_start = 1 if quoted else 0
    inner_end = len(raw) - 1 if quoted else len(raw)
    at = _top_level_at(raw, inner_start, inner_end)
    if at is None:
        return None
    if part == "host":
        start, end = at + 1, inner_end
    else:
        start, end = inner_start, at
    b_start = span.start_byte + len(raw[:start].encode())
    b_end = span.start_byte + len(raw[:end].encode())
    return Fix(SAFE if safe else UNSAFE, message, (Edit(str(source.path), b_start, b_end, replacement),))


def _top_level_at(raw: str, start: int, end: int) -> int | None:
    """The `@` of a node name, outside ${...} and $(...)."""
    depth = 0
    found = None
    i = start
    while i < end:
        ch = raw[i]
        if ch == "$" and i + 1 < end and raw[i + 1] in "{(":
            depth += 1
            i += 2
            continue
        if ch in "})" and depth:
            depth -= 1
        elif ch == "@" and not depth:
            found = i
        i += 1
    return found


def _app_starts_distribution(app: App) -> bool:
    """RELEASE_DISTRIBUTION=none and the app starts distribution itself (`Node.start/2`, as Livebook does):
    the release's node name settings do not apply, the app's own do."""
    value = app.environment.get("RELEASE_DISTRIBUTION")
    return value is not None and value.literal == "none" and bool(app.lib.starts_node)


def node_name_missing(app: App) -> Iterator[Finding]:
    """FCL202: no RELEASE_NODE: the node is named after the release with no private-IP host."""
    env = app.environment
    if not env.complete or _app_starts_distribution(app):
        return
    value = env.get("RELEASE_NODE")
    if value is not None and value.setting.layer != DEFAULT:
        return
    app_name = app.fly_app or "${FLY_APP_NAME}"
    from fly_cluster_lint.fixes.envsh import export_fix, node_export

    yield Finding(app.env_sh_insertion(),
                  f"RELEASE_NODE is not set, so every machine's node is named `{app.release_name or '<release>'}` "
                  f"with no private IPv6 host: DNSCluster connects to <basename>@<6PN address> and never finds "
                  f"a peer; add `export RELEASE_NODE=\"${{FLY_APP_NAME}}-${{FLY_IMAGE_REF##*-}}@${{FLY_PRIVATE_IP}}\"` "
                  f"inside `if [ -n \"$FLY_APP_NAME\" ]` in {app.env_sh_display} (app {app_name})",
                  export_fix(app, node_export(app), "node name"))


def _node(app: App):
    """The effective RELEASE_NODE when it is set in env.sh.eex (FCL205 covers Dockerfile and fly.toml)."""
    env = app.environment
    if not env.complete or _app_starts_distribution(app):
        return None
    value = env.get("RELEASE_NODE")
    if value is None or value.parts is None or value.setting.layer == DEFAULT or value.setting.span is None:
        return None
    if value.setting.layer in (DOCKERFILE, FLY_TOML) and _set_outside_env_sh(value.setting, app):
        return None
    return value


def _basename(value) -> tuple:
    split = split_at(value.parts, "@")
    return split[0] if split is not None else value.parts


def node_host_not_private_ip(app: App) -> Iterator[Finding]:
    """FCL203: the host part of RELEASE_NODE is not the machine's 6PN address."""
    value = _node(app)
    if value is None:
        return
    split = split_at(value.parts, "@")
    fix = "use `@${FLY_PRIVATE_IP}` as the host"
    if split is None:
        if _unknown(value.parts):
            return
        yield Finding(value.setting.span,
                      f"RELEASE_NODE `{shown_value('RELEASE_NODE', value.parts, app.secrets)}` has no `@host`, so Erlang appends this machine's "
                      f"hostname; DNSCluster connects to <basename>@<6PN address>, which never matches: {fix}")
        return
    _, host = split
    if _is_private_ip(host):
        return
    if host and all(isinstance(p, Var) and p.op == "" and p.name not in ("FLY_PRIVATE_IP",) and p.name.islower()
                    for p in host):
        return  # a shell variable the tool could not resolve: stay silent
    shown = shown_text("RELEASE_NODE", render(host), app.secrets) or "(empty)"
    yield Finding(value.setting.span,
                  f"the host of RELEASE_NODE is `{shown}`, not the machine's private IPv6 address: DNSCluster "
                  f"connects to <basename>@<6PN address>, the names never match, peers get :pang and "
                  f"Node.list() stays empty; {fix}",
                  _node_part_fix(app, value, "host", "${FLY_PRIVATE_IP}", "use ${FLY_PRIVATE_IP} as the host", True))


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


PER_MACHINE = ("FLY_MACHINE_ID", "FLY_ALLOC_ID", "FLY_REGION", "FLY_PRIVATE_IP", "FLY_PUBLIC_IP", "HOSTNAME",
               "FLY_MACHINE_VERSION", "FLY_VM_MEMORY_MB")


def node_basename_varies(app: App) -> Iterator[Finding]:
    """FCL204: the basename holds a per-machine value, so no two machines share it."""
    value = _node(app)
    if value is None:
        return
    basename = _basename(value)
    for part in basename:
        varies = (isinstance(part, Var) and part.name in PER_MACHINE) or (
            isinstance(part, Cmd) and "hostname" in part.text)
        if varies:
            shown = shown_text("RELEASE_NODE", render((part,)), app.secrets)
            from fly_cluster_lint.fixes.envsh import node_basename

            base = node_basename(app)
            yield Finding(value.setting.span,
                          f"the node basename contains `{shown}`, which differs on every machine: DNSCluster looks "
                          f"each peer up as <its own basename>@<ip>, so no two machines ever match and Node.list() "
                          f"stays empty; use a basename all machines share, e.g. "
                          f"`${{FLY_APP_NAME}}-${{FLY_IMAGE_REF##*-}}`",
                          _node_part_fix(app, value, "base", base, f"use {base} as the basename", False))
            return


def node_basename_invalid(app: App) -> Iterator[Finding]:
    """FCL206: the basename is empty or has characters Erlang rejects ("Invalid node name!")."""
    value = _node(app)
    if value is None:
        return
    basename = _basename(value)
    if not basename:
        yield Finding(value.setting.span,
                      "RELEASE_NODE has an empty basename (nothing before `@`): the node cannot start "
                      "(\"Invalid node name!\"); put the app name before `@`")
        return
    literal = "".join(p.text if isinstance(p, Lit) else (p.value or "") if isinstance(p, Eex) else "" for p in basename)
    bad = sorted({ch for ch in literal if not (ch.isascii() and (ch.isalnum() or ch in "_-"))})
    if bad:
        chars = " ".join(f"`{c}`" for c in bad)
        from fly_cluster_lint.fixes.envsh import node_basename

        base = node_basename(app)
        yield Finding(value.setting.span,
                      f"the RELEASE_NODE basename `{shown_text('RELEASE_NODE', render(basename), app.secrets)}` contains {chars}: Erlang accepts only letters, "
                      f"digits, `_` and `-` before `@`, so the node does not boot (\"Invalid node name!\"); "
                      f"remove them (e.g. drop `<%= @release.version %>`)",
                      _node_part_fix(app, value, "base", base, f"use {base} as the basename", True))


def _set_outside_env_sh(setting, app: App) -> bool:
    """RELEASE_NODE, or a value that refers to one of Fly's runtime variables, set in the Dockerfile or
    fly.toml, where nothing expands it at boot. A `FLY_`-named ARG of the Dockerfile is a build value."""
    from fly_cluster_lint.model.environment import FLY_PROVIDED
    from fly_cluster_lint.parsers.words import references

    if setting.var == "RELEASE_NODE" and setting.layer in (DOCKERFILE, FLY_TOML):
        return True
    if setting.layer == DOCKERFILE:
        from fly_cluster_lint.model.docker import declared_args

        names = references(setting.origin.parts) & FLY_PROVIDED
        return bool(names - declared_args(app.dockerfile, app.dockerfile.final))
    if setting.layer == FLY_TOML:
        text = setting.parts[0].text if setting.parts else ""
        return any(f"${name}" in text or f"${{{name}" in text for name in FLY_PROVIDED if name.startswith("FLY_"))
    return False


def node_set_outside_env_sh(app: App) -> Iterator[Finding]:
    """FCL205: RELEASE_NODE or a `$FLY_*` value set in Dockerfile ENV or fly.toml [env]."""
    env = app.environment
    if not env.complete:
        return
    seen = set()
    for value in env.values.values():
        for setting, status in value.history:
            if setting.layer not in (DOCKERFILE, FLY_TOML) or setting.span is None:
                continue
            if not _set_outside_env_sh(setting, app) or setting.span in seen:
                continue
            if status not in ("effective", "appended to"):
                continue  # replaced at boot (FCL601 says it is dead) or not applied
            seen.add(setting.span)
            where = "the Dockerfile" if setting.layer == DOCKERFILE else "fly.toml [env]"
            expands = ("Docker expands `${FLY_...}` at build time, where it is empty" if setting.layer == DOCKERFILE
                       else "fly.toml values are plain strings: `${FLY_...}` stays literal text")
            what = "RELEASE_NODE" if setting.var == "RELEASE_NODE" else f"{setting.var} (it uses $FLY_*)"
            yield Finding(setting.span,
                          f"{what} is set in {where}: {expands}, so the node name's host is empty or literal and "
                          f"the node does not start (\"Can't set long node name!\") or clusters with nobody; set it "
                          f"in {app.env_sh_display}, where the shell expands it at boot")


VM_FLAGS = ("-name", "-sname", "-setcookie", "-mode")


def vm_args_node_flags(app: App) -> Iterator[Finding]:
    """FCL207: vm.args.eex / remote.vm.args.eex set flags the release sets from env vars."""
    for model, _ in (app.vm_args, app.remote_vm_args):
        if model is None:
            continue
        for word in model.words:
            if word.text in VM_FLAGS:
                yield Finding(word.span,
                              f"`{word.text}` in {word.span.file}: the release script already passes it from "
                              f"RELEASE_NODE, RELEASE_DISTRIBUTION, RELEASE_COOKIE or RELEASE_MODE, so this one "
                              f"conflicts (two names, or a second cookie); remove it and set the variable in "
                              f"{app.env_sh_display}")
