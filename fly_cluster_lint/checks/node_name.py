"""FCL2xx: the node name (RELEASE_DISTRIBUTION, RELEASE_NODE)."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.diagnostics import Finding
from fly_cluster_lint.model.app import App
from fly_cluster_lint.model.environment import DEFAULT, DOCKERFILE, ENV_SH, FLY_TOML
from fly_cluster_lint.model.secrets import shown_text, shown_value
from fly_cluster_lint.parsers.words import Cmd, Eex, Lit, Var, render, split_at

if TYPE_CHECKING:
    from typing import Iterator

PRIVATE_IP = "FLY_PRIVATE_IP"


def distribution_not_name(app: App) -> Iterator[Finding]:
    """FCL201: RELEASE_DISTRIBUTION makes the node unreachable: an invalid value or `none` (no distribution at
    all), or short names with a host that has a dot (the VM refuses to start)."""
    value, text = _distribution(app)
    if text is None or text == "name":
        return
    shown = shown_text("RELEASE_DISTRIBUTION", text, app.secrets)
    help_text = f"set `RELEASE_DISTRIBUTION=\"name\"` in {app.env_sh_display}"
    if text == "none":
        yield Finding(value.setting.span, "RELEASE_DISTRIBUTION is `none`: the node starts without distribution",
                      _replace_value_fix(app, value.setting, '"name"', "set RELEASE_DISTRIBUTION to name", safe=False),
                      help_text)
        return
    if text != "sname":
        yield Finding(value.setting.span, f"RELEASE_DISTRIBUTION is `{shown}`, not `name`, `sname` or `none`",
                      _replace_value_fix(app, value.setting, '"name"', "set RELEASE_DISTRIBUTION to name", safe=True),
                      help_text + " (the release script's check is case-sensitive)")
        return
    host = _dotted_host(app)
    if host is None:
        return  # FCL208: short names work with a host without dots
    where = "not set (short names by default)" if value.setting.layer == DEFAULT else "`sname`"
    yield Finding(_distribution_span(app, value), f"RELEASE_DISTRIBUTION is {where}, but the node host `{host}` has "
                                                  f"a dot", _distribution_fix(app, value), help_text)


def short_names(app: App) -> Iterator[Finding]:
    """FCL208: short names (`sname`, the release script's default) with a host that has no dot: the node
    boots and, on OTP 25, even clusters over an IPv6 address, but DNS discovery expects long names."""
    value, text = _distribution(app)
    if text != "sname" or _dotted_host(app) is not None:
        return
    message = ("RELEASE_DISTRIBUTION is not set, so the node uses short names (sname)" if value.setting.layer == DEFAULT
               else "RELEASE_DISTRIBUTION is `sname` (short names)")
    yield Finding(_distribution_span(app, value), message, _distribution_fix(app, value),
                  f"set `RELEASE_DISTRIBUTION=\"name\"` in {app.env_sh_display}")


def _distribution(app: App) -> tuple:
    """(the RELEASE_DISTRIBUTION value at boot, its literal text: "sname" when the release script's default
    applies), or (None, None) when FCL201/FCL208 have nothing to judge: an incomplete environment, a value the
    model cannot know, or an app that starts distribution itself."""
    env = app.environment
    if not env.complete:
        return None, None
    value = env.get("RELEASE_DISTRIBUTION")
    if value is None or value.parts is None or _app_starts_distribution(app):
        return None, None
    return value, (value.literal if value.setting.layer != DEFAULT else "sname")


def _distribution_span(app: App, value):
    return app.env_sh_insertion() if value.setting.layer == DEFAULT else value.setting.span


def _distribution_fix(app: App, value):
    if value.setting.layer != DEFAULT:
        return _replace_value_fix(app, value.setting, '"name"', "set RELEASE_DISTRIBUTION to name", safe=False)
    from fly_cluster_lint.fixes import SAFE, Fix
    from fly_cluster_lint.fixes.edits import add_line_after_fly_block
    from fly_cluster_lint.fixes.envsh import DISTRIBUTION

    edits = add_line_after_fly_block(app, DISTRIBUTION)
    return Fix(SAFE, f"add `{DISTRIBUTION}` to {app.env_sh_display}", tuple(edits)) if edits else None


def _dotted_host(app: App) -> str | None:
    """The RELEASE_NODE host as shown, when its literal text has a dot (an IPv4 address, a domain name): with
    short names the VM refuses it ("Can't set short node name!"). None when it has none or is unknown."""
    node = app.environment.get("RELEASE_NODE")
    if node is None or node.parts is None or node.setting.layer == DEFAULT:
        return None
    split = split_at(node.parts, "@")
    if split is None:
        return None
    host = split[1]
    literal = "".join(p.text for p in host if isinstance(p, Lit))
    if "." not in literal:
        return None
    return shown_text("RELEASE_NODE", render(host), app.secrets)


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
    from fly_cluster_lint.fixes.envsh import export_fix, node_export

    yield Finding(app.env_sh_insertion(), "RELEASE_NODE is not set",
                  export_fix(app, node_export(app), "node name"),
                  f"add `export RELEASE_NODE=\"${{FLY_APP_NAME}}-${{FLY_IMAGE_REF##*-}}@${{FLY_PRIVATE_IP}}\"` inside "
                  f"`if [ -n \"$FLY_APP_NAME\" ]` in {app.env_sh_display}")


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
    help_text = "use `@${FLY_PRIVATE_IP}` as the host"
    if split is None:
        if _unknown(value.parts):
            return
        yield Finding(value.setting.span,
                      f"RELEASE_NODE `{shown_value('RELEASE_NODE', value.parts, app.secrets)}` has no `@host`",
                      None, "append `@${FLY_PRIVATE_IP}`")
        return
    _, host = split
    if _is_private_ip(host):
        return
    if host and all(isinstance(p, Var) and p.op == "" and p.name not in ("FLY_PRIVATE_IP",) and p.name.islower()
                    for p in host):
        return  # a shell variable the tool could not resolve: stay silent
    fix = _node_part_fix(app, value, "host", "${FLY_PRIVATE_IP}", "use ${FLY_PRIVATE_IP} as the host", True)
    if not host:
        yield Finding(value.setting.span, "the RELEASE_NODE host is empty at boot", fix, help_text)
        return
    shown = shown_text("RELEASE_NODE", render(host), app.secrets)
    yield Finding(value.setting.span, f"the RELEASE_NODE host is `{shown}`, not the private IPv6 address", fix,
                  help_text)


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
            yield Finding(value.setting.span, f"the RELEASE_NODE basename holds `{shown}`, which differs per machine",
                          _node_part_fix(app, value, "base", base, f"use {base} as the basename", False),
                          "use a basename all machines share, e.g. `${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}`")
            return


def node_basename_invalid(app: App) -> Iterator[Finding]:
    """FCL206: the basename is empty or has characters Erlang rejects ("Invalid node name!")."""
    value = _node(app)
    if value is None:
        return
    basename = _basename(value)
    if not basename:
        yield Finding(value.setting.span, "the RELEASE_NODE basename (before `@`) is empty", None,
                      "put the app name before `@`, e.g. `${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}`")
        return
    from fly_cluster_lint.fixes.envsh import node_basename

    base = node_basename(app)
    literal = "".join(p.text if isinstance(p, Lit) else (p.value or "") if isinstance(p, Eex) else "" for p in basename)
    if isinstance(basename[0], Lit) and basename[0].text.startswith("-"):
        yield Finding(value.setting.span,
                      f"the RELEASE_NODE basename `{shown_text('RELEASE_NODE', render(basename), app.secrets)}` "
                      f"starts with `-`", None,
                      "make sure the part before the first `-` is never empty, e.g. `${FLY_APP_NAME}-...`")
        return
    bad = sorted({ch for ch in literal if not (ch.isascii() and (ch.isalnum() or ch in "_-"))})
    if bad:
        chars = " ".join(f"`{c}`" for c in bad)
        yield Finding(value.setting.span,
                      f"the RELEASE_NODE basename `{shown_text('RELEASE_NODE', render(basename), app.secrets)}` "
                      f"contains {chars}",
                      _node_part_fix(app, value, "base", base, f"use {base} as the basename", True),
                      "use only letters, digits, `_` and `-` before `@` (e.g. drop `<%= @release.version %>`)")


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
            if setting.var != "RELEASE_NODE" and setting.var not in _read_at_boot(app):
                continue  # nothing reads it: the literal text harms nobody
            if status not in ("effective", "appended to"):
                continue  # replaced at boot (FCL601 says it is dead) or not applied
            seen.add(setting.span)
            where = "the Dockerfile" if setting.layer == DOCKERFILE else "fly.toml [env]"
            what = "RELEASE_NODE" if setting.var == "RELEASE_NODE" else f"{setting.var} uses $FLY_* and"
            yield Finding(setting.span, f"{what} is set in {where}, which never expands Fly's runtime variables",
                          None, f"set it in {app.env_sh_display}, where the shell expands it at boot")


CLUSTER_VARIABLES = frozenset({"ERL_AFLAGS", "ERL_FLAGS", "ERL_ZFLAGS", "ELIXIR_ERL_OPTIONS", "ECTO_IPV6",
                               "DNS_CLUSTER_QUERY", "RELEASE_DISTRIBUTION", "RELEASE_NODE", "RELEASE_COOKIE"})


def _read_at_boot(app: App) -> frozenset:
    """The variables something reads at boot: the clustering variables, every variable env.sh.eex or an
    entrypoint script refers to, and every `System.get_env("X")` of the config and lib files."""
    names = set(CLUSTER_VARIABLES)
    scripts = [app.env_sh] + [s.model for s in app.entrypoint_scripts]
    for script in scripts:
        if script is not None:
            names |= _variables_in(script.program)
    for source in list(app.configs.files) + [f for f in app.lib.files if hasattr(f, "env_reads")]:
        names |= {var for var, _ in source.env_reads(source.root)}
    return frozenset(names)


def _variables_in(node, depth: int = 0) -> set:
    """Every variable a parsed shell program refers to (Var parts anywhere in its statements)."""
    out: set = set()
    if depth > 200:
        return out
    if isinstance(node, Var):
        out.add(node.name)
        items = node.arg or ()
    elif isinstance(node, (tuple, list)):
        items = node
    elif hasattr(node, "__slots__") and not isinstance(node, (str, bytes)):
        items = [getattr(node, name, None) for name in node.__slots__ if name != "span"]
        items += list(node) if isinstance(node, tuple) else []
    else:
        return out
    for item in items:
        if isinstance(item, (Var, tuple, list)) or hasattr(item, "__slots__"):
            out |= _variables_in(item, depth + 1)
    return out


VM_FLAGS = ("-name", "-sname", "-mode")


def vm_args_node_flags(app: App) -> Iterator[Finding]:
    """FCL207: vm.args.eex / remote.vm.args.eex set flags the release sets from env vars (`-setcookie`, which
    breaks clustering outright, is FCL406)."""
    variables = {"-name": "RELEASE_NODE", "-sname": "RELEASE_NODE", "-mode": "RELEASE_MODE"}
    for model, _ in (app.vm_args, app.remote_vm_args):
        if model is None:
            continue
        for word in model.words:
            if word.text in VM_FLAGS:
                yield Finding(word.span, f"`{word.text}` in {word.span.file} repeats a flag the release script passes",
                              None, f"remove it and set {variables[word.text]} in {app.env_sh_display}")
            elif word.text == "-setcookie" and model is app.remote_vm_args[0]:
                yield Finding(word.span, f"`-setcookie` in {word.span.file}: `remote` and `rpc` get two cookies", None,
                              "remove it: the release script passes RELEASE_COOKIE to `remote` and `rpc` too")
