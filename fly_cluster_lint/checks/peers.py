"""FCL3xx: peer discovery (the DNSCluster child, DNS_CLUSTER_QUERY and its config)."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.diagnostics import Finding
from fly_cluster_lint.model.app import App
from fly_cluster_lint.paths import display
from fly_cluster_lint.source import Span, anchor, missing_span

if TYPE_CHECKING:
    from typing import Iterator

QUERY_VAR = "DNS_CLUSTER_QUERY"


def discovery_missing(app: App) -> Iterator[Finding]:
    """FCL301: no DNSCluster child and no libcluster Cluster.Supervisor child anywhere under lib/."""
    lib = app.lib
    if lib.errors or lib.children or lib.connects_nodes or not app.configs.complete:
        return  # a child, or code of the app's own that connects nodes
    if app.configs.find("libcluster", "topologies"):
        return  # FCL310: libcluster is configured but no child receives the topologies
    mix_app = app.mix_app or "my_app"
    module = "".join(word.capitalize() for word in mix_app.split("_"))
    child = f"{{DNSCluster, query: Application.get_env(:{mix_app}, :dns_cluster_query) || :ignore}}"
    message = "no DNSCluster (or libcluster) child in any supervision tree"
    help_text = (f"add `{child}` to the children of {module}.Application and `{{:dns_cluster, \"~> 0.2\"}}` to "
                 f"mix.exs deps")
    if lib.applications:
        file, _, children = lib.applications[0]
        span = file.span(children) if children is not None else file.source.line_span(1)
        fix = None
        if children is not None:
            span = Span(span.file, span.line, span.column, span.line, span.column + 1, span.start_byte, span.start_byte + 1)
            from fly_cluster_lint.fixes import SAFE, Fix
            from fly_cluster_lint.fixes.edits import add_list_item

            edit = add_list_item(file, children, child)
            fix = Fix(SAFE, f"add the DNSCluster child to {file.source.display}", (edit,)) if edit else None
        yield Finding(anchor(span), message, fix, help_text)
    else:
        yield Finding(missing_span(display(app.spec.project / "lib" / mix_app / "application.ex")), message, None,
                      help_text)


def _query_reads(app: App) -> list[Span]:
    """Where DNS_CLUSTER_QUERY is read: by a DNSCluster child itself, or by any config entry a prod
    release loads (whether or not a child reads that entry)."""
    reads = []
    for child in app.lib.dns_clusters():
        query = child.query
        if query is not None and query.kind == "env" and query.value == QUERY_VAR:
            reads.append(child.file.span(query.node))
    for entry in app.configs.find():
        for name, node in entry.file.env_reads(entry.value):
            if name == QUERY_VAR:
                reads.append(entry.file.span(node))
    return reads


def query_env_unset(app: App) -> Iterator[Finding]:
    """FCL303: DNS_CLUSTER_QUERY is read but set nowhere the tool can see and not declared a secret."""
    env = app.environment
    if not env.complete or not app.configs.complete or app.lib.errors:
        return
    reads = _query_reads(app)
    if not reads or env.effective(QUERY_VAR) is not None:
        return
    children = app.lib.dns_clusters()
    if children and all(c.query is not None and c.query.kind == "literal" for c in children):
        return  # every DNSCluster child has its own literal query: the variable is read but never used
    read_at = reads[0]
    value = f"{app.fly_app}.internal" if app.fly_app else "${FLY_APP_NAME}.internal"
    from fly_cluster_lint.fixes.envsh import QUERY, export_fix

    yield Finding(app.env_sh_insertion(),
                  f"{QUERY_VAR} is read at {read_at.file}:{read_at.line} but is not set or declared as a Fly secret",
                  export_fix(app, QUERY, "the DNSCluster query"),
                  f"add `export {QUERY_VAR}=\"${{FLY_APP_NAME}}.internal\"` to {app.env_sh_display} (on this "
                  f"app: {value}), or list it in `secrets` if it is a Fly secret")


def query_not_configured(app: App) -> Iterator[Finding]:
    """FCL304: the child reads Application.get_env(:app, :key) but no loaded config sets that key."""
    configs = app.configs
    if not configs.complete or app.lib.errors:
        return
    for child in app.lib.dns_clusters():
        query = child.query
        if query is None or query.kind != "config":
            continue
        if configs.find(query.app, query.key):
            continue
        if _query_entry_elsewhere(app, query) is not None:
            continue  # FCL305: set, but under another app atom or key
        hint = ""
        runtime = configs.runtime
        line = f"config :{query.app}, :{query.key}, System.get_env(\"{QUERY_VAR}\")"
        from fly_cluster_lint.fixes import SAFE, Create, Fix
        from fly_cluster_lint.fixes.edits import append_lines, insert_lines_before

        if runtime is not None:
            span = _runtime_insertion(runtime)
            if runtime.source.data[span.start_byte:span.end_byte] == b"end":
                pad = indent_of(runtime, span) + "  "
                edit = insert_lines_before(runtime.source, span.start_byte, ["", line] if _needs_gap(runtime, span)
                                           else [line], pad)
            else:
                edit = append_lines(runtime.source, ["", line])
            fix = Fix(SAFE, f"add `{line}` to {runtime.source.display}", (edit,))
        else:
            path = configs.runtime_path or app.spec.project / "config" / "runtime.exs"
            span = missing_span(display(path))
            fix = Fix(SAFE, f"create {display(path)} with the query config",
                      (Create(str(path), f"import Config\n\nif config_env() == :prod do\n  {line}\nend\n"),))
        yield Finding(span,
                      f"no prod config sets :{query.app}, :{query.key} (read by the DNSCluster child at "
                      f"{child.file.source.display}:{child.file.span(query.node).line}){hint}", fix,
                      f"add `{line}` to config/runtime.exs")


def _needs_gap(file, span: Span) -> bool:
    """A blank line before the new config line unless the line above is blank or opens the block."""
    above = file.source.line_text(span.line - 1).strip() if span.line > 1 else ""
    return bool(above) and not above.endswith(" do")


def indent_of(file, span: Span) -> str:
    from fly_cluster_lint.fixes.edits import indent_at

    return indent_at(file.source, span.start_byte)


def _runtime_insertion(runtime) -> Span:
    """The `end` of the `if config_env() == :prod do` block of runtime.exs, else its last line."""
    for call in runtime.calls("if"):
        args = runtime.args(call)
        if args and "config_env()" in runtime.text(args[0]) and ":prod" in runtime.text(args[0]):
            block = runtime.do_block(call)
            end = block.children[-1] if block is not None and block.children else None
            if end is not None and end.type == "end":
                return anchor(runtime.span(end))
    source = runtime.source
    line = source.line_count
    while line > 1 and not source.line_text(line).strip():
        line -= 1
    return anchor(source.line_span(line))


def discovery_dep_missing(app: App) -> Iterator[Finding]:
    """FCL302: DNSCluster / Cluster.Supervisor is used but its package is not a dependency."""
    if app.lib.errors or any(p.file is None and app.files.is_file(p.dir / "mix.exs") for p in app.projects):
        return
    root = app.projects[0]
    needs = {"DNSCluster": "dns_cluster", "Cluster.Supervisor": "libcluster"}
    seen = set()
    for child in app.lib.children:
        dep = needs[child.module]
        path = child.file.source.path
        project = max((p for p in app.projects if p.dir in path.parents), key=lambda p: len(p.dir.parts), default=root)
        if dep in project.deps or dep in root.deps or (project.dir, dep) in seen:
            continue
        seen.add((project.dir, dep))
        version = '"~> 0.2"' if dep == "dns_cluster" else '"~> 3.3"'
        fix = None
        if project.deps_list is not None and project.file is not None:
            from fly_cluster_lint.fixes import SAFE, Fix
            from fly_cluster_lint.fixes.edits import add_list_item

            edit = add_list_item(project.file, project.deps_list, f"{{:{dep}, {version}}}")
            fix = Fix(SAFE, f"add :{dep} to the deps of {display(project.dir / 'mix.exs')}", (edit,)) if edit else None
        yield Finding(child.file.span(child.node),
                      f"{child.module} is started here but :{dep} is not in the deps of "
                      f"{display(project.dir / 'mix.exs')}", fix, f"add `{{:{dep}, {version}}}` to its deps")


def query_config_mismatch(app: App) -> Iterator[Finding]:
    """FCL305: the config sets the query under another app atom or key than the child reads."""
    configs = app.configs
    if not configs.complete or app.lib.errors:
        return
    for child in app.lib.dns_clusters():
        query = child.query
        if query is None or query.kind != "config" or configs.find(query.app, query.key):
            continue
        entry = _query_entry_elsewhere(app, query)
        if entry is None:
            continue
        span = entry.file.span(entry.key_node)
        fix = _config_rename_fix(entry, query)
        yield Finding(span,
                      f"this config sets :{entry.app}, :{entry.key}, but the DNSCluster child reads "
                      f":{query.app}, :{query.key} ({child.file.source.display}:{child.file.span(query.node).line})",
                      fix, f"use `config :{query.app}, :{query.key}, ...`")


def _config_rename_fix(entry, query):
    """Rename the app atom and/or key of the config entry to what the child reads."""
    from fly_cluster_lint.fixes import SAFE, Edit, Fix

    file = entry.file
    path = str(file.source.path)
    edits = []
    args = file.args(entry.node)
    if entry.app != query.app and args:
        edits.append(Edit(path, args[0].start_byte, args[0].end_byte, f":{query.app}"))
    if entry.key != query.key:
        key = entry.key_node
        text = file.text(key)
        if key.type == "keyword":  # `dns_query: ` in the keyword form
            edits.append(Edit(path, key.start_byte, key.start_byte + len(text.split(":")[0].encode()), query.key))
        else:
            edits.append(Edit(path, key.start_byte, key.end_byte, f":{query.key}"))
    if not edits:
        return None
    return Fix(SAFE, f"set :{query.app}, :{query.key} as the DNSCluster child reads it", tuple(edits))


def _query_entry_elsewhere(app: App, query):
    """A loaded config entry that sets the DNSCluster query under other names than the child reads."""
    for entry in app.configs.find():
        if (entry.app, entry.key) == (query.app, query.key):
            continue
        reads_var = any(name == QUERY_VAR for name, _ in entry.file.env_reads(entry.value))
        if reads_var or entry.key == query.key or "dns_cluster" in entry.key:
            if entry.app == "libcluster":
                continue
            return entry
    return None


def query_invalid(app: App) -> Iterator[Finding]:
    """FCL306: the effective query cannot return peers' AAAA records."""
    from fly_cluster_lint.model.query import problem, queries, resolve

    if not app.environment.complete or not app.configs.complete or app.lib.errors:
        return
    for query in queries(app):
        for entry in query.entries:
            text = resolve(entry, app.fly_app) if app.fly_app else resolve(entry, "app")
            if text is None:
                continue
            why = problem(text)
            if why is None:
                continue
            from fly_cluster_lint.model.secrets import shown_text

            text = shown_text(QUERY_VAR, text, app.secrets)
            yield Finding(query.span, f"the DNSCluster query `{text}` cannot return peers: {why}",
                          _query_value_fix(app, query), "use `${FLY_APP_NAME}.internal`")
            break


def query_app_mismatch(app: App) -> Iterator[Finding]:
    """FCL307: no entry of the query names the app of this toml."""
    from fly_cluster_lint.model.query import app_of, problem, queries, resolve

    if not app.fly_app or not app.environment.complete or not app.configs.complete or app.lib.errors:
        return
    for query in queries(app):
        named = []
        for entry in query.entries:
            text = resolve(entry, app.fly_app)
            if text is None or problem(text) is not None:
                named = None
                break
            named.append(app_of(text))
        if not named or app.fly_app in named:
            continue
        from fly_cluster_lint.model.secrets import shown_text

        shown = shown_text(QUERY_VAR, ", ".join(f"{n}.internal" for n in named if n), app.secrets)
        fix = _query_value_fix(app, query) if len(query.entries) == 1 else None
        yield Finding(query.span, f"the DNSCluster query names {shown}, but {app.toml_path} deploys app "
                                  f"`{app.fly_app}`", fix,
                      f"use `${{FLY_APP_NAME}}.internal` (or `{app.fly_app}.internal`)")


def _query_value_fix(app: App, query):
    """Make DNS_CLUSTER_QUERY `${FLY_APP_NAME}.internal` where it is written in env.sh.eex (right for every
    toml that deploys the project), or `<app>.internal` in fly.toml (which does not expand variables)."""

    from fly_cluster_lint.fixes import SAFE, Edit, Fix
    from fly_cluster_lint.model.environment import ENV_SH, FLY_TOML

    setting = query.setting
    if setting is None or setting.span is None or setting.layer not in (ENV_SH, FLY_TOML) or query.split:
        return None
    span = setting.span
    text = '"${FLY_APP_NAME}.internal"' if setting.layer == ENV_SH else f'"{app.fly_app}.internal"'
    if setting.layer == FLY_TOML and not app.fly_app:
        return None
    source = app.files.of_span(span)
    return Fix(SAFE, f"set DNS_CLUSTER_QUERY to {text}", (Edit(str(source.path), span.start_byte, span.end_byte, text),))


def query_env_gated(app: App) -> Iterator[Finding]:
    """FCL308: the query is set only for prod, but `mix release` does not build with MIX_ENV=prod."""
    from fly_cluster_lint.model.docker import release_instruction

    docker = app.dockerfile
    configs = app.configs
    if docker is None or not configs.complete or app.lib.errors:
        return
    found = release_instruction(docker, app.files, app.docker_context)
    if found is None:
        return
    stage, release = found
    gated = []
    for child in app.lib.dns_clusters():
        query = child.query
        if query is None or query.kind != "config":
            continue
        if configs.find(query.app, query.key, env="prod") and not configs.find(query.app, query.key, env="dev"):
            gated.append(query)
    if not gated or _mix_env(app, stage, release) == "prod":
        return
    query = gated[0]
    from fly_cluster_lint.fixes import SAFE, Fix
    from fly_cluster_lint.fixes.edits import insert_lines_before

    fix = Fix(SAFE, "build the release with MIX_ENV=prod",
              (insert_lines_before(docker.source, release.start, ['ENV MIX_ENV="prod"']),))
    yield Finding(release.span,
                  f"this stage runs `mix release` without MIX_ENV=prod, but :{query.app}, :{query.key} is set "
                  f"only for :prod", fix, "add `ENV MIX_ENV=\"prod\"` before this line")


def _mix_env(app: App, stage, release) -> str | None:
    """MIX_ENV where `mix release` runs: ENV and ARG values (a RUN sees both) as Docker computes them, with
    fly.toml [build.args], or a `MIX_ENV=prod` on the RUN line itself."""
    from fly_cluster_lint.model.docker import stage_values

    if "MIX_ENV=prod" in release.raw.replace('"', "").replace("'", ""):
        return "prod"
    values, _ = stage_values(app.dockerfile, stage, app.build_args, until=release)
    return values.get("MIX_ENV")


def query_needs_newer_dns_cluster(app: App) -> Iterator[Finding]:
    """FCL309: a list or {basename, query} query with dns_cluster < 0.2.0."""
    from fly_cluster_lint.model.lock import satisfies
    from fly_cluster_lint.model.query import queries

    if not app.environment.complete or not app.configs.complete or app.lib.errors:
        return
    lists = [q for q in queries(app) if q.is_list]
    if not lists:
        return
    locked = app.lock.get("dns_cluster")
    if locked is not None:
        ok = satisfies(locked, ">= 0.2.0")
        why = f"mix.lock has dns_cluster {locked}"
    else:
        requirement = next((p.deps["dns_cluster"].requirement for p in app.projects if "dns_cluster" in p.deps), None)
        if requirement is None:
            return
        ok = satisfies("0.2.0", requirement)
        why = f"mix.exs requires dns_cluster `{requirement}`"
    if ok is None or ok:
        return
    query = lists[0]
    fix = None
    project = next((p for p in app.projects if "dns_cluster" in p.deps and p.file is not None), None)
    if project is not None:
        from fly_cluster_lint.fixes import UNSAFE, Edit, Fix

        dep = project.deps["dns_cluster"]
        fix = Fix(UNSAFE, "require dns_cluster ~> 0.2 (then run `mix deps.update dns_cluster`)",
                  (Edit(str(project.file.source.path), dep.span.start_byte, dep.span.end_byte,
                        '{:dns_cluster, "~> 0.2"}'),))
    yield Finding(query.span,
                  f"a list or {{basename, query}} DNSCluster query needs dns_cluster >= 0.2.0, but {why}", fix,
                  "require `{:dns_cluster, \"~> 0.2\"}` (then `mix deps.update dns_cluster`)")


def discovery_duplicate(app: App) -> Iterator[Finding]:
    """FCL313: two discovery children with the same name start in one release."""
    seen: dict[tuple, object] = {}
    for child in app.lib.children:
        name = _child_name(child)
        key = (child.module, name)
        if key in seen:
            first = seen[key]
            yield Finding(child.file.span(child.node),
                          f"a second {child.module} child named {name or child.module} (the first is at "
                          f"{first.file.source.display}:{first.file.span(first.node).line})", None,
                          "keep one, or give each a distinct `name:`")
        else:
            seen[key] = child


def _child_name(child) -> str | None:
    file = child.file
    items = [c for c in child.node.named_children if c.type != "comment"]
    for node in items[1:]:
        candidates = [node] + ([c for c in node.named_children] if node.type == "list" else [])
        for candidate in candidates:
            options = file.keyword_list(candidate)
            if options and "name" in options:
                return file.text(options["name"])
    return None
