"""FCL1xx: Erlang distribution over IPv6 (`-proto_dist inet6_tcp`)."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is never imported at run time (start-up time)


from fly_cluster_lint.diagnostics import Finding
from fly_cluster_lint.model.distribution import FLAG, occurrences, own_count
from fly_cluster_lint.model.environment import ERL_FLAG_VARS

if TYPE_CHECKING:
    from typing import Iterator

    from fly_cluster_lint.model.app import App

def proto_dist_missing(app: App) -> Iterator[Finding]:
    """FCL101: nothing the `start` command reads carries `-proto_dist inet6_tcp`."""
    from fly_cluster_lint.model.docker import builder_only_env

    found = occurrences(app, "start")
    if found is None or any(o.ipv6 or o.module is None for o in found):
        return
    if found:  # -proto_dist is there, but not with an IPv6 module
        first = found[0]
        if first.span is None:
            return
        if first.module == "":
            what = "`-proto_dist` has no module after it (an unquoted export ends at the first space)"
            help_text = "quote the value: `export ERL_AFLAGS=\"-proto_dist inet6_tcp\"`"
        else:
            what = f"`-proto_dist {first.module}` is not IPv6"
            help_text = "write `-proto_dist inet6_tcp`"
        yield Finding(first.span, what, None, help_text)
        return
    env = app.environment
    if app.dockerfile is not None and any(
            own_count(e.parts) for var in ERL_FLAG_VARS for e in builder_only_env(app.dockerfile, var)):
        return  # FCL103 explains it: set only in a builder stage
    if any(own_count(s.parts) for s, reason in env.skipped if s.var in ERL_FLAG_VARS and "not applied for" in reason):
        return  # FCL104: set for other commands only
    # A later assignment that replaced a value which had the flag is the place to fix.
    for var in ERL_FLAG_VARS:
        current = env.get(var)
        if current is None:
            continue
        lost = [s for s, status in current.history if status == "overridden" and own_count(s.parts)]
        if lost and current.setting.span is not None:
            where = lost[-1].span
            origin = f" set at {where.file}:{where.line}" if where else ""
            yield Finding(current.setting.span,
                          f"{var} is replaced here without the `-proto_dist inet6_tcp`{origin}",
                          _append_flag_fix(app, current.setting), "keep the flag in this assignment (exactly once)")
            return
    from fly_cluster_lint.fixes.envsh import PROTO_DIST, export_fix

    yield Finding(app.env_sh_insertion(), "nothing the release reads sets `-proto_dist inet6_tcp`",
                  export_fix(app, PROTO_DIST, "IPv6 distribution"),
                  f"add `export ERL_AFLAGS=\"-proto_dist inet6_tcp\"` to {app.env_sh_display}")


def _append_flag_fix(app: App, setting):
    """Put the flag back into a double-quoted assignment that dropped it."""
    from fly_cluster_lint.fixes import SAFE, Edit, Fix

    span = setting.span
    source = app.files.of_span(span) if span is not None and setting.layer == "env.sh.eex" else None
    if source is None or source.data[span.end_byte - 1:span.end_byte] != b'"':
        return None
    return Fix(SAFE, "add -proto_dist inet6_tcp to this assignment",
               (Edit(str(source.path), span.end_byte - 1, span.end_byte - 1, " -proto_dist inet6_tcp"),))


def proto_dist_duplicate(app: App) -> Iterator[Finding]:
    """FCL102: -proto_dist appears more than once in what one command reads."""
    reported = set()
    for command in ("start", "remote"):
        found = occurrences(app, command)
        if not found or len(found) < 2:
            continue
        first, second = found[0], found[1]
        if second.span is None or second.span in reported:
            continue
        reported.add(second.span)
        keep_in_env_sh = [o for o in found if o.span is not None and o.span.file == app.env_sh_display]
        drop = next((o for o in found if o not in keep_in_env_sh[:1]), None) if keep_in_env_sh else None
        yield Finding(second.span,
                      f"`-proto_dist` is given twice to `bin/{app.release_name or 'app'} {command}` (here and in "
                      f"{first.where})", _drop_flag_fix(app, drop.span) if drop else None,
                      "keep exactly one `-proto_dist`")


def _drop_flag_fix(app: App, span):
    """Remove `-proto_dist <value>` from the other place (a Dockerfile ENV, fly.toml or vm.args.eex value),
    keeping the one in env.sh.eex. When nothing else is left in a one-pair ENV or a vm.args line, the whole
    line goes."""
    from fly_cluster_lint.fixes import SAFE, Edit, Fix

    source = app.files.of_span(span)
    if source is None:
        return None
    text = source.data[span.start_byte:span.end_byte].decode("utf-8", "replace")
    line = source.line_span(span.line)
    line_text = source.data[line.start_byte:line.end_byte].decode("utf-8", "replace")
    if text == FLAG:  # vm.args: the flag word; its value is the next word on the line
        rest = line_text[span.column - 1:].split()
        if rest[:1] == [FLAG] and len(rest) >= 2 and len(line_text.split()) == 2:
            end = line.end_byte + (2 if source.data[line.end_byte:line.end_byte + 2] == b"\r\n" else 1)
            return Fix(SAFE, "remove the second -proto_dist", (Edit(str(source.path), line.start_byte, end, ""),))
        return None
    at = text.find(FLAG)
    if at < 0:
        return None
    words = text[at:].split()
    if len(words) < 2:
        return None
    removed = FLAG + text[at + len(FLAG):].split(words[1], 1)[0] + words[1]
    start = span.start_byte + len(text[:at].encode())
    end = start + len(removed.encode())
    before = text[:at]
    after = text[at + len(removed):]
    if before.endswith(" "):
        start -= 1
    elif after.startswith(" "):
        end += 1
    remaining = (before.rstrip() + after).strip().strip("\"'")
    if not remaining and line_text.lstrip().upper().startswith("ENV ") and line_text.count("=") <= 1:
        end_line = line.end_byte + (2 if source.data[line.end_byte:line.end_byte + 2] == b"\r\n" else 1)
        return Fix(SAFE, "remove the ENV that repeats -proto_dist", (Edit(str(source.path), line.start_byte, end_line, ""),))
    return Fix(SAFE, "remove the second -proto_dist", (Edit(str(source.path), start, end, ""),))


def proto_dist_builder_only(app: App) -> Iterator[Finding]:
    """FCL103: -proto_dist or ECTO_IPV6 set by ENV only in a stage the final stage does not inherit."""
    from fly_cluster_lint.model.docker import builder_only_env

    docker = app.dockerfile
    env = app.environment
    if docker is None or not env.complete:
        return
    found = occurrences(app, "start")
    if found is not None and not found:
        flagged = [s for var in ERL_FLAG_VARS for s in builder_only_env(docker, var) if own_count(s.parts)]
        if flagged:
            from fly_cluster_lint.fixes.envsh import PROTO_DIST, export_fix

            yield Finding(flagged[0].value_span,
                          f"`-proto_dist inet6_tcp` is set only in a build stage, not in the final "
                          f"`FROM {docker.final.base}` stage", export_fix(app, PROTO_DIST, "IPv6 distribution"),
                          f"set it in {app.env_sh_display} (or in the final stage)")
    if env.effective("ECTO_IPV6") is None:
        flagged = builder_only_env(docker, "ECTO_IPV6")
        if flagged:
            from fly_cluster_lint.fixes.envsh import ECTO_IPV6, export_fix

            yield Finding(flagged[0].value_span,
                          f"ECTO_IPV6 is set only in a build stage, not in the final `FROM {docker.final.base}` stage",
                          export_fix(app, ECTO_IPV6, "IPv6 for the Repo"),
                          f"set it in {app.env_sh_display} (or in the final stage)")


def proto_dist_not_for_remote(app: App) -> Iterator[Finding]:
    """FCL104: `start` gets -proto_dist but `remote` does not."""
    start = [o for o in occurrences(app, "start") or () if o.ipv6]
    remote = occurrences(app, "remote")
    if not start or remote is None or any(o.ipv6 or o.module is None for o in remote):
        return
    where = start[0].span
    if where is None:
        return
    name = app.release_name or "app"
    yield Finding(where, f"`-proto_dist inet6_tcp` reaches `bin/{name} start` but not `bin/{name} remote`/`rpc`",
                  None, f"move it to an `export ERL_AFLAGS` in {app.env_sh_display} for all commands, or add it to "
                        f"remote.vm.args.eex too")
