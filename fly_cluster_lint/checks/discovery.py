"""FCL3xx: peer discovery (the DNSCluster child, DNS_CLUSTER_QUERY and its config)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fly_cluster_lint.diagnostics import Finding
from fly_cluster_lint.model.app import App
from fly_cluster_lint.paths import display
from fly_cluster_lint.source import Span, missing_span

if TYPE_CHECKING:
    from typing import Iterator

QUERY_VAR = "DNS_CLUSTER_QUERY"


def discovery_missing(app: App) -> Iterator[Finding]:
    """FCL301: no DNSCluster child and no libcluster Cluster.Supervisor child anywhere under lib/."""
    lib = app.lib
    if lib.errors or lib.children:
        return
    mix_app = app.mix_app or "my_app"
    module = "".join(word.capitalize() for word in mix_app.split("_"))
    child = f"{{DNSCluster, query: Application.get_env(:{mix_app}, :dns_cluster_query) || :ignore}}"
    message = (f"no DNSCluster (or libcluster) child in any supervision tree: nothing looks up peers, so "
               f"Node.list() stays empty even with a correct node name; add `{child}` to the children of "
               f"{module}.Application and `{{:dns_cluster, \"~> 0.2\"}}` to mix.exs deps")
    if lib.applications:
        file, _, children = lib.applications[0]
        span = file.span(children) if children is not None else file.source.line_span(1)
        if children is not None:
            span = Span(span.file, span.line, span.column, span.line, span.column + 1, span.start_byte, span.start_byte + 1)
        yield Finding(span, message)
    else:
        yield Finding(missing_span(display(app.spec.project / "lib" / mix_app / "application.ex")), message)


def _query_reads(app: App) -> list[Span]:
    """Where a DNSCluster child's query comes from DNS_CLUSTER_QUERY: the child itself reads it, or the
    config entry the child reads is set from it. A literal query, or no child at all, reads nothing."""
    reads = []
    for child in app.lib.dns_clusters():
        query = child.query
        if query is None:
            continue
        if query.kind == "env" and query.value == QUERY_VAR:
            reads.append(child.file.span(query.node))
        elif query.kind == "config":
            for entry in app.configs.find(query.app, query.key):
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
    read_at = reads[0]
    value = f"{app.fly_app}.internal" if app.fly_app else "${FLY_APP_NAME}.internal"
    yield Finding(app.env_sh_insertion(),
                  f"{QUERY_VAR} is read at {read_at.file}:{read_at.line} but set nowhere (env.sh.eex, fly.toml "
                  f"[env], Dockerfile ENV) and not declared as a Fly secret: the query is nil and DNSCluster "
                  f"silently becomes :ignore; add `export {QUERY_VAR}=\"${{FLY_APP_NAME}}.internal\"` to "
                  f"{app.env_sh_display} (on this app: {value}), or list it in `secrets` if it is a Fly secret")


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
        near = [e for e in configs.find() if e.key == query.key or (e.app == query.app and "cluster" in e.key)]
        hint = ""
        if near:
            e = near[0]
            hint = (f" (config at {e.file.source.display}:{e.file.span(e.key_node).line} sets :{e.app}, :{e.key} "
                    f"instead)")
        runtime = configs.runtime
        line = f"config :{query.app}, :{query.key}, System.get_env(\"{QUERY_VAR}\")"
        if runtime is not None:
            span = _runtime_insertion(runtime)
        else:
            span = missing_span(display(configs.runtime_path or app.spec.project / "config" / "runtime.exs"))
        yield Finding(span,
                      f"the DNSCluster child reads Application.get_env(:{query.app}, :{query.key}) at "
                      f"{child.file.source.display}:{child.file.span(query.node).line}, but no config file a prod "
                      f"release loads sets it{hint}: the query is nil and clustering is silently off (:ignore); "
                      f"add `{line}` to config/runtime.exs")


def _runtime_insertion(runtime) -> Span:
    """The `end` of the `if config_env() == :prod do` block of runtime.exs, else its last line."""
    for call in runtime.calls("if"):
        args = runtime.args(call)
        if args and "config_env()" in runtime.text(args[0]) and ":prod" in runtime.text(args[0]):
            block = runtime.do_block(call)
            end = block.children[-1] if block is not None and block.children else None
            if end is not None and end.type == "end":
                return runtime.span(end)
    source = runtime.source
    line = source.line_count
    while line > 1 and not source.line_text(line).strip():
        line -= 1
    return source.line_span(line)
