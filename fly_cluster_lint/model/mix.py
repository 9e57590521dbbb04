"""mix.exs facts: app name, version, umbrella `apps_path`, deps and release options."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.parsers.elixir import Atom, ElixirFile
from fly_cluster_lint.records import Record, value

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any


Dep = value("Dep", "name requirement span")


class Release(Record):
    """A mix.exs release: name, span, rel_templates_path, cookie (a literal), cookie_kind ("literal",
    "build-env", "other" or ""), cookie_span."""

    __slots__ = ("name", "span", "rel_templates_path", "cookie", "cookie_kind", "cookie_span")
    _defaults = {"rel_templates_path": None, "cookie": None, "cookie_kind": "", "cookie_span": None}


class MixProject(Record):
    """dir, file, app, version, apps_path (umbrella), deps (name -> Dep), deps_list (the list node),
    releases (name -> Release)."""

    __slots__ = ("dir", "file", "app", "version", "apps_path", "deps", "deps_list", "releases")
    _defaults = {"app": None, "version": None, "apps_path": None, "deps": dict, "deps_list": None, "releases": dict}

    @property
    def is_umbrella(self) -> bool:
        return self.apps_path is not None


def read_mix(directory: Path, file: ElixirFile | None) -> MixProject:
    project = MixProject(directory, file)
    if file is None:
        return project
    attributes = _module_attributes(file)
    body = file.function_body("project")
    options = file.keyword_list(body) if body is not None else None
    if not options:
        return project

    def resolve(node: Any) -> Any:
        if node is None:
            return None
        if node.type == "unary_operator" and file.text(node).startswith("@"):
            return attributes.get(file.text(node)[1:].strip())
        if node.type == "call" and not file.args(node) and file.call_name(node):
            return file.function_body(file.call_name(node))
        return node

    app = file.literal(options["app"]) if "app" in options else None
    project.app = app.name if isinstance(app, Atom) else None
    version = resolve(options.get("version"))
    version = file.literal(version) if version is not None else None
    project.version = version if isinstance(version, str) else None
    apps_path = file.literal(options["apps_path"]) if "apps_path" in options else None
    project.apps_path = apps_path if isinstance(apps_path, str) else None
    deps = resolve(options.get("deps"))
    if deps is not None and deps.type == "list":
        project.deps_list = deps
        for item in deps.named_children:
            if item.type != "tuple" or not item.named_children:
                continue
            name = file.literal(item.named_children[0])
            if not isinstance(name, Atom):
                continue
            requirement = None
            if len(item.named_children) > 1:
                second = file.literal(item.named_children[1])
                requirement = second if isinstance(second, str) else None
            project.deps[name.name] = Dep(name.name, requirement, file.span(item))
    releases = resolve(options.get("releases"))
    release_options = file.keyword_list(releases)
    if release_options:
        for name, value in release_options.items():
            value = resolve(value)
            release = Release(name, file.span(file.key_node(value) if value is not None else releases))
            opts = file.keyword_list(value) or {}
            path = file.literal(opts["rel_templates_path"]) if "rel_templates_path" in opts else None
            release.rel_templates_path = path if isinstance(path, str) else None
            if "cookie" in opts:
                cookie_node = opts["cookie"]
                literal = file.literal(cookie_node)
                release.cookie_span = file.span(cookie_node)
                if isinstance(literal, str):
                    release.cookie, release.cookie_kind = literal, "literal"
                elif file.env_reads(cookie_node):
                    release.cookie_kind = "build-env"
                else:
                    release.cookie_kind = "other"
            project.releases[name] = release
    return project


def _module_attributes(file: ElixirFile) -> dict[str, Any]:
    out = {}
    for node in file.walk():
        if node.type == "unary_operator" and file.text(node).startswith("@"):
            operand = node.named_children[0] if node.named_children else None
            if operand is not None and operand.type == "call":
                args = file.args(operand)
                if len(args) == 1:
                    out[file.call_name(operand)] = args[0]
    return out
