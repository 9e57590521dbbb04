"""FCL0xx: the project files themselves."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

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
        yield Finding(span, f"cannot parse {display(path)}: {error.message}", None,
                      "fix the file: the rules that read it are skipped until it parses")


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
        f"{where} does not exist{origin}",
        fix,
        "create it with the Fly block (`if [ -n \"$FLY_APP_NAME\" ]; then export RELEASE_DISTRIBUTION=name ...`)",
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
            message = f"{shown} is never read (mix release reads only env.sh.eex)"
            help_text = f"move what it sets into {app.env_sh_display} and delete it"
        else:
            message = f"{shown} looks like a misnamed env.sh.eex (mix release ignores it)"
            help_text = f"rename it to {app.env_sh_display}"
            if len(present) == 1:
                from fly_cluster_lint.fixes import SAFE, Fix, Rename

                fix = Fix(SAFE, f"rename {shown} to {app.env_sh_display}", (Rename(str(path), str(app.env_sh_path)),))
        yield Finding(app.file_start(path), message, fix, help_text)


def rel_not_copied(app: App) -> Iterator[Finding]:
    """FCL004: the stage that runs `mix release` never copies the rel folder, or .dockerignore drops it."""
    packed = app.packaging
    if packed.ships or packed.release is None:
        return
    target = packed.target
    if packed.ignored is not None:
        path = app.docker_context / ".dockerignore"
        source = app.files.source(path)
        span = source.line_span(packed.ignored[0]) if source is not None else app.file_start(path)
        yield Finding(span, f".dockerignore rule `{packed.ignored[1]}` leaves {target}/ out of the build context",
                      None, f"remove the rule or add `!{target}`")
        return
    from fly_cluster_lint.fixes import SAFE, Fix
    from fly_cluster_lint.fixes.edits import insert_lines_before

    _, release = packed.release
    line = f"COPY {packed.source} {target}"
    fix = Fix(SAFE, f"add `{line}` before `RUN mix release`",
              (insert_lines_before(app.dockerfile.source, release.start, [line]),))
    yield Finding(release.span, f"this stage runs `mix release` without copying {target}/ first", fix,
                  f"add `{line}` before this line")


# What each bash-only construct is, what to write instead, and whether busybox ash (Alpine images) accepts
# it; what dash (Debian images) does with each, observed with dash 0.5.12 and busybox 1.35, is in
# rules/FCL005.yml.


def _bashism(node, source) -> tuple[str, bool, str] | None:
    """(what is wrong, whether busybox ash accepts it, the POSIX form to write) for a bash-only node, else
    None."""
    kind = node.type
    if kind == "test_command" and node.children and node.children[0].type == "[[":
        if _in_condition(node):
            return "`[[ ... ]]` is not a command in dash: this condition is always false", True, "use `[ ... ]`"
        return "`[[ ... ]]` is not a command in dash", True, "use `[ ... ]`"
    if kind == "command":
        name = node.child_by_field_name("name")
        if name is not None and source.data[name.start_byte:name.end_byte] == b"source":
            return "`source` is not a command in dash", True, "use `.` instead of `source`"
    if kind == "function_definition" and node.children and node.children[0].type == "function":
        return "`function name` is bash-only syntax", True, "write `name() { ...; }`"
    if kind in ("array", "subscript"):
        return "arrays are bash-only syntax", False, "use a space-separated string or one variable per value"
    if kind == "ansi_c_string":
        return ("`$'...'` is bash-only: dash reads a literal `$` and a quoted string", True,
                "use `printf` or a plain quoted string")
    if kind == "declaration_command" and node.children and node.children[0].type in ("declare", "typeset"):
        return (f"`{node.children[0].type}` is not a command in dash or busybox ash", False,
                "use a plain assignment: `NAME=value` or `export NAME=value`")
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
        yield Finding(source.span(node.start_byte, node.end_byte), found[0], None, found[2])


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
                yield Finding(item.name_span, f"{name} is assigned without `export`", fix,
                              f"write `export {name}=...`")
                break
