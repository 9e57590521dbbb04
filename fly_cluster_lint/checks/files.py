"""FCL0xx: the project files themselves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fly_cluster_lint.diagnostics import Finding
from fly_cluster_lint.model.app import App
from fly_cluster_lint.paths import display
from fly_cluster_lint.source import Span, missing_span

if TYPE_CHECKING:
    from typing import Iterator


def parse_error(app: App) -> Iterator[Finding]:
    """FCL001: every file a rule reads, parsed once; report the first error of each that fails."""
    app.parse_all()
    for path, error in app.parse_errors:
        span = Span(display(path), error.line, error.column, error.end_line, error.end_column)
        yield Finding(span, f"cannot parse {display(path)}: {error.message}; rules that need this file were skipped")


def env_sh_missing(app: App) -> Iterator[Finding]:
    """FCL002: no <rel_templates_path>/env.sh.eex."""
    if app.mix_error is not None or app.env_sh is not None or app.env_sh_error is not None:
        return
    where = app.env_sh_display
    custom = app.release.rel_templates_path if app.release is not None else None
    origin = f" (rel_templates_path is `{custom}` in mix.exs)" if custom else ""
    fix = None
    if not any(app.files.exists(app.rel_dir / name) for name in NEAR_MISSES):  # else FCL003 renames that file
        from fly_cluster_lint.fixes import SAFE, Fix
        from fly_cluster_lint.fixes.edits import create_env_sh
        from fly_cluster_lint.fixes.envsh import wanted

        if app.environment.complete:
            fix = Fix(SAFE, f"create {where} with the Fly block", (create_env_sh(app, wanted(app)),))
    yield Finding(
        missing_span(where),
        f"{where} does not exist{origin}: the release boots with RELEASE_DISTRIBUTION=sname, no node name "
        f"on the private network and no -proto_dist inet6_tcp, so no node ever joins a cluster; create it "
        f"with the Fly block (`if [ -n \"$FLY_APP_NAME\" ]; then export RELEASE_DISTRIBUTION=name ...`)",
        fix,
    )


NEAR_MISSES = ("env.ssh.eex", "env.sh", "env.sh.exs", "env.eex", "env.sh.eex.eex", "env.bash.eex")


def env_sh_misnamed(app: App) -> Iterator[Finding]:
    """FCL003: a near-miss of env.sh.eex that mix release never reads."""
    if app.mix_error is not None:
        return
    folder = app.rel_dir
    present = [name for name in NEAR_MISSES if app.files.exists(folder / name)]
    for name in present:
        path = folder / name
        shown = display(path)
        fix = None
        if app.files.exists(app.env_sh_path):
            message = (f"{shown} is never read: mix release only renders {app.env_sh_display}; move what it sets "
                       f"into {app.env_sh_display} and delete it")
        else:
            message = (f"{shown} looks like a misnamed {app.env_sh_display}: mix release ignores it, so none of its "
                       f"exports reach the release; rename it to env.sh.eex")
            if len(present) == 1:
                from fly_cluster_lint.fixes import SAFE, Fix, Rename

                fix = Fix(SAFE, f"rename {shown} to {app.env_sh_display}", (Rename(str(path), str(app.env_sh_path)),))
        yield Finding(app.file_start(path), message, fix)


def rel_not_copied(app: App) -> Iterator[Finding]:
    """FCL004: the stage that runs `mix release` never copies the rel folder, or .dockerignore drops it."""
    packed = app.packaging
    if packed.ships or packed.release is None:
        return
    consequence = ("the release ships the default env.sh, so none of env.sh.eex's exports (node name, "
                   "distribution, IPv6) exist at boot")
    target = packed.target
    if packed.ignored is not None:
        path = app.docker_context / ".dockerignore"
        source = app.files.source(path)
        span = source.line_span(packed.ignored[0]) if source is not None else app.file_start(path)
        yield Finding(span, f".dockerignore rule `{packed.ignored[1]}` leaves {target}/ out of the build context: "
                            f"{consequence}; remove the rule or add `!{target}`")
        return
    from fly_cluster_lint.fixes import SAFE, Fix
    from fly_cluster_lint.fixes.edits import insert_lines_before

    _, release = packed.release
    line = f"COPY {packed.source} {target}"
    fix = Fix(SAFE, f"add `{line}` before `RUN mix release`",
              (insert_lines_before(app.dockerfile.source, release.start, [line]),))
    yield Finding(release.span, f"this stage runs `mix release` but never copies {target}/ before it: "
                                f"{consequence}; add `{line}` before this line", fix)


# What each bash-only construct does under dash (Debian images) and whether busybox ash (Alpine images)
# accepts it; observed with dash 0.5.12 and busybox 1.35 (rules/FCL005.yml).
STOPS = "so the release script stops here (`set -e`) and no release command (start, remote, eval) runs"
SYNTAX = "dash rejects the whole file (`Syntax error`), so the release script stops before the VM starts"


def _bashism(node, source) -> tuple[str, bool] | None:
    """(what happens under dash, whether busybox ash accepts it) for a bash-only node, else None."""
    kind = node.type
    if kind == "test_command" and node.children and node.children[0].type == "[[":
        if _in_condition(node):
            return ("`[[ ... ]]` is not a command in dash: it prints `[[: not found` and counts as false, so "
                    "the code it guards never runs at boot (none of its exports happen)", True)
        return f"`[[ ... ]]` is not a command in dash (`[[: not found`), {STOPS}", True
    if kind == "command":
        name = node.child_by_field_name("name")
        if name is not None and source.data[name.start_byte:name.end_byte] == b"source":
            return f"`source` is not a command in dash (`source: not found`, status 127), {STOPS}", True
    if kind == "function_definition" and node.children and node.children[0].type == "function":
        return f"`function name` is bash-only: {SYNTAX}", True
    if kind in ("array", "subscript"):
        return f"arrays are bash-only: {SYNTAX}", False
    if kind == "ansi_c_string":
        return "`$'...'` is bash-only: dash reads it as a literal `$` followed by a quoted string", True
    if kind == "declaration_command" and node.children and node.children[0].type in ("declare", "typeset"):
        return f"`{node.children[0].type}` is not a command in dash or busybox ash (`not found`), {STOPS}", False
    return None


def _in_condition(node) -> bool:
    """Whether a test sits where its failure only means "false": an if/elif/while condition, the left
    side of `&&`/`||`, or under `!`."""
    child, parent = node, node.parent
    while parent is not None and parent.type == "negated_command":
        child, parent = parent, parent.parent
    if parent is None:
        return False
    if parent.type in ("if_statement", "elif_clause", "while_statement"):
        for sibling in parent.children:
            if sibling.type in ("then", "do"):
                return False
            if sibling == child:
                return True
    if parent.type == "list":
        return parent.children and parent.children[0] == child
    return False


def env_sh_not_posix(app: App) -> Iterator[Finding]:
    """FCL005: bash-only syntax in env.sh.eex, which the release runs with /bin/sh (dash on Debian images)
    under set -e. On an Alpine image (busybox ash) only what ash rejects too is reported."""
    script = app.env_sh
    if script is None or script.tree is None:
        return
    source = script.source
    ash = app.image_shell == "ash"
    for node in _walk(script.tree.root_node):
        found = _bashism(node, source)
        if found is None or (ash and found[1]):
            continue
        yield Finding(source.span(node.start_byte, node.end_byte), found[0] + "; use the POSIX form")


def _walk(root):
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.named_children))


EXPORT_NEEDED = ("ERL_AFLAGS", "ERL_FLAGS", "ERL_ZFLAGS", "ELIXIR_ERL_OPTIONS", "ECTO_IPV6", "DNS_CLUSTER_QUERY")


def env_not_exported(app: App) -> Iterator[Finding]:
    """FCL006: a variable the BEAM reads is assigned in env.sh.eex without export."""
    from fly_cluster_lint.model.environment import ENV_SH

    script = app.env_sh
    if script is None or not app.environment.complete:
        return
    env = app.environment
    for name in EXPORT_NEEDED:
        if name in script.exported:
            continue
        value = env.get(name)
        if value is None or value.exported:
            continue  # exported, or already in the process environment from the image, fly.toml or a secret
        for setting, _ in value.history:
            if setting.layer == ENV_SH:
                item = setting.origin
                from fly_cluster_lint.fixes import SAFE, Edit, Fix

                fix = Fix(SAFE, f"export {name}", (Edit(str(script.source.path), item.span.start_byte,
                                                        item.span.start_byte, "export "),))
                yield Finding(item.name_span,
                              f"{name} is assigned without `export`, so the shell keeps it and the VM never sees "
                              f"it; write `export {name}=...`", fix)
                break
