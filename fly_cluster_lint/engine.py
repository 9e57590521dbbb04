"""The run: discover apps, build each app's model, run the enabled rules, collect diagnostics."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fly_cluster_lint.config import Overrides, find_config, load_settings
from fly_cluster_lint.diagnostics import Diagnostic
from fly_cluster_lint.discovery import discover
from fly_cluster_lint.files import FileCache
from fly_cluster_lint.model.app import App
from fly_cluster_lint.paths import display
from fly_cluster_lint.records import Record

if TYPE_CHECKING:
    from pathlib import Path


class Result(Record):
    """apps, skipped (toml, reason), diagnostics, secrets (cookie values seen: masked in every output)."""

    __slots__ = ("apps", "skipped", "diagnostics", "secrets")
    _defaults = {"apps": list, "skipped": list, "diagnostics": list, "secrets": frozenset()}


def discover_apps(paths: list[Path], overrides: Overrides) -> Result:
    """The apps under the paths with their settings, without running any rule."""
    return lint(paths, overrides, run_rules=False)


def lint(paths: list[Path], overrides: Overrides, run_rules: bool = True) -> Result:
    from fly_cluster_lint import registry

    rules = registry.all_rules() if run_rules else ()
    codes = registry.known_codes()
    files = FileCache()
    exclude = ()
    root_settings = None
    if overrides.config is not None:
        root_settings = load_settings(overrides.config, overrides, codes)
        exclude = root_settings.exclude
    discovery = discover(paths, files, exclude + tuple(overrides.extend_exclude))
    result = Result(skipped=[(display(p), why) for p, why in discovery.skipped])
    for spec in discovery.apps:
        settings = root_settings or load_settings(find_config(spec.toml.parent, spec.repo_root), overrides, codes)
        if settings.exclude and _excluded(spec, settings.exclude):
            continue
        app = App(spec, files, settings)
        result.apps.append(app)
        for rule in rules:
            if not settings.enabled(rule.code):
                continue
            severity = settings.severity_of(rule.code, rule.severity)
            for finding in rule.check()(app):
                result.diagnostics.append(Diagnostic(rule.code, rule.slug, severity, finding.message, finding.span,
                                                     app.toml_path))
    result.diagnostics = sorted(set(result.diagnostics), key=Diagnostic.sort_key)
    result.secrets = frozenset(v for app in result.apps for v in app.secret_values())
    return result


def _excluded(spec, patterns: tuple) -> bool:
    import fnmatch

    rel = spec.toml.relative_to(spec.repo_root).as_posix() if spec.repo_root in spec.toml.parents else spec.toml.name
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(rel, p.rstrip("/") + "/*") for p in patterns)
