"""FCL5xx: Ecto over IPv6 (`ECTO_IPV6` and the Repo's `socket_options`)."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.diagnostics import Finding
from fly_cluster_lint.model.app import App
from fly_cluster_lint.model.repos import network_repos, repo_ipv6

if TYPE_CHECKING:
    from typing import Iterator

VAR = "ECTO_IPV6"


def ecto_ipv6_not_wired(app: App) -> Iterator[Finding]:
    """FCL502: no loaded config gives the Repo IPv6 socket options."""
    if not app.configs.complete or app.lib.errors:
        return
    for repo in network_repos(app):
        wiring = repo_ipv6(app, repo)
        if wiring.kind != "none":
            continue  # wired, or written in a way the tool cannot read (never reported)
        span = wiring.entry.file.span(wiring.entry.key_node) if wiring.entry is not None else repo.file.span(repo.node)
        fix = _wire_fix(wiring.entry) if wiring.kind == "none" and wiring.entry is not None else None
        yield Finding(span, f"{repo.module} gets no IPv6 socket options in any config a prod release loads", fix,
                      f"in config/runtime.exs, add `socket_options: maybe_ipv6` to the Repo config, with "
                      f"`{MAYBE_IPV6}`")


MAYBE_IPV6 = 'maybe_ipv6 = if System.get_env("ECTO_IPV6") in ~w(true 1), do: [:inet6], else: []'


def _wire_fix(entry):
    """The Phoenix wiring: `maybe_ipv6 = ...` before the Repo config (unless the file has it) and
    `socket_options: maybe_ipv6` in it. Only for a keyword-list Repo config in runtime.exs."""
    from fly_cluster_lint.fixes import SAFE, Fix
    from fly_cluster_lint.fixes.edits import add_keyword, insert_lines_before

    file = entry.file
    if not entry.runtime or entry.value.type != "keywords":
        return None
    edits = []
    defined = any(n.type == "binary_operator" and file.text(n).startswith("maybe_ipv6 =") for n in file.walk())
    if not defined:
        edits.append(insert_lines_before(file.source, entry.node.start_byte, [MAYBE_IPV6, ""]))
    keyword = add_keyword(file, entry.value, "socket_options: maybe_ipv6")
    if keyword is None:
        return None
    edits.append(keyword)
    return Fix(SAFE, "give the Repo IPv6 socket options from ECTO_IPV6", tuple(edits))


def ecto_ipv6_unset(app: App) -> Iterator[Finding]:
    """FCL501: runtime.exs makes IPv6 depend on ECTO_IPV6, which is set nowhere."""
    env = app.environment
    if not env.complete or not app.configs.complete or app.lib.errors:
        return
    for repo in network_repos(app):
        wiring = repo_ipv6(app, repo)
        if wiring.kind != "env":
            continue
        if env.effective(VAR) is not None:
            return
        if app.dockerfile is not None:
            from fly_cluster_lint.model.docker import builder_only_env

            if builder_only_env(app.dockerfile, VAR):
                return  # FCL103 explains it: set only in a builder stage
        read = wiring.entry.file.span(wiring.entry.key_node) if wiring.entry is not None else None
        where = f" ({read.file}:{read.line})" if read else ""
        from fly_cluster_lint.fixes.envsh import ECTO_IPV6, export_fix

        yield Finding(app.env_sh_insertion(), f"{VAR} is not set, but the {repo.module} config reads it{where}",
                      export_fix(app, ECTO_IPV6, "IPv6 for the Repo"),
                      f"add `export {VAR}=\"true\"` to {app.env_sh_display}")
        return


ON_WORDS = ("true", "1", "yes", "on", "y", "t", "enable", "enabled")
OFF_WORDS = ("false", "0", "no", "off", "n", "f", "disable", "disabled", "")


def ecto_ipv6_value(app: App) -> Iterator[Finding]:
    """FCL503: ECTO_IPV6 is set to a value that runtime.exs reads the other way than meant: under an exact
    check a value meant as on that the check does not accept; under a truthiness check a value meant as
    off, which still turns IPv6 on."""
    from fly_cluster_lint.model.repos import ecto_check
    from fly_cluster_lint.model.secrets import shown_text

    env = app.environment
    if not env.complete or not app.configs.complete or not network_repos(app):
        return
    value = env.effective(VAR)
    if value is None or value.parts is None or value.setting.span is None:
        return
    text = value.literal
    check = ecto_check(app)
    if text is None or check is None:
        return
    meant = text.strip().lower()
    where = check.where
    shown = shown_text(VAR, text, app.secrets)
    if check.kind == "exact":
        seen = meant if check.normalised else text
        accepted = {a.strip().lower() for a in check.accepted} if check.normalised else set(check.accepted)
        if seen in accepted or meant not in ON_WORDS:
            return
        wanted = " or ".join(f"`{a}`" for a in sorted(check.accepted)) or "nothing"
        from fly_cluster_lint.checks.node_name import _replace_value_fix

        best = "true" if "true" in check.accepted or not check.accepted else sorted(check.accepted)[0]
        fix = _replace_value_fix(app, value.setting, f'"{best}"', f"set ECTO_IPV6 to {best}", safe=False)
        yield Finding(value.setting.span, f"ECTO_IPV6 is `{shown}`, but {where} turns IPv6 on only for {wanted}",
                      fix, f"set ECTO_IPV6 to {wanted}")
    elif check.kind == "truthy" and meant in OFF_WORDS:
        yield Finding(value.setting.span,
                      f"ECTO_IPV6 is `{shown}`, which reads as \"off\", but {where} only checks that it is set",
                      None, "unset it to turn IPv6 off, or compare exactly: "
                            "`System.get_env(\"ECTO_IPV6\") in ~w(true 1)`")
