"""`--show-settings` and `--show-files`: what each app is linted with, without linting it.

Settings: the configuration file used (or none), select, ignore, severity overrides, the declared secret
NAMES and where each was declared (never a value), excludes and --fail-on. Files: every file the app's
rules read (found by running them on a file cache of the app's own, their findings thrown away), the
files they looked for and did not find, and the paths that lead out of the repository (never read). Everything
from the repository is shown with printable.visible.
"""

from __future__ import annotations

from fly_cluster_lint import __version__
from fly_cluster_lint.reporters.printable import guard, json_text, visible


def app_header(app) -> dict:
    name = app.fly_app
    return {"fly_toml": visible(app.toml_path), "fly_app": visible(name) if name else None}


def _shown(path) -> str:
    from pathlib import Path

    from fly_cluster_lint.paths import display

    return visible(display(Path(path)))


def settings_data(settings, fail_on: str | None) -> dict:
    data = {"config": _shown(settings.path) if settings.path is not None else None,
            "select": list(settings.select), "ignore": list(settings.ignore),
            "severity": {code: level for code, level in settings.severity},
            "secrets": [{"name": visible(name), "from": visible(origin)} for name, origin in settings.secret_origins],
            "exclude": [visible(p) for p in settings.exclude]}
    if fail_on is not None:
        data["fail_on"] = fail_on
    return data


def files_data(app) -> dict:
    """The files the app's rules read, on a file cache of the app's own (so that a file another app read
    first is still listed), the expected files found missing, and the paths that lead outside."""
    from fly_cluster_lint import registry
    from fly_cluster_lint.files import FileCache
    from fly_cluster_lint.model.app import App

    files = FileCache()
    files.add_root(app.spec.repo_root)
    fresh = App(app.spec, files, app.settings)
    try:
        fresh.parse_all()
        for rule in registry.all_rules():
            if not rule.runs_in_engine and app.settings.enabled(rule.code):
                for _ in rule.check()(fresh):
                    pass
    except (Exception, RecursionError):  # a rule's bug is reported by a lint; the files read so far stand
        pass
    read = set(files.reads)
    if app.settings.path is not None:
        read.add(str(app.settings.path))
    missing = [p for p, kind in files.probes.items() if kind == "missing" and p not in read]
    outside = [p for p, kind in files.probes.items() if kind == "outside"]
    return {"read": sorted(_shown(p) for p in read), "missing": sorted(_shown(p) for p in missing),
            "outside": sorted(_shown(p) for p in outside)}


def render_json(apps: list, skipped: list) -> str:
    return json_text({"version": __version__, "apps": apps,
                      "skipped": [{"fly_toml": visible(s["fly_toml"]), "reason": visible(s["reason"])}
                                  for s in skipped]}) + "\n"


def render_text(apps: list, skipped: list, *, color: bool = False) -> str:
    from fly_cluster_lint.reporters.color import paint

    def listed(values: list, empty: str) -> str:
        return ", ".join(values) if values else paint("dim", empty, color)

    lines = []
    if not apps:
        lines.append("No Fly.io Elixir app found (no fly.toml or fly.*.toml deploying a mix.exs project).")
    for item in skipped:
        lines.append(paint("dim", f"skipped {visible(item['fly_toml'])}: {visible(item['reason'])}", color))
    if skipped:
        lines.append("")
    for app in apps:
        lines.append(paint("bold", f"{app['fly_app'] or '?'} ({app['fly_toml']})", color))
        data = app.get("settings")
        if data is not None:
            lines.append(f"  configuration: {data['config'] or paint('dim', 'none (defaults)', color)}")
            lines.append(f"  select: {listed(data['select'], 'every rule')}")
            lines.append(f"  ignore: {listed(data['ignore'], 'none')}")
            lines.append("  severity: " + listed([f"{c} = {level}" for c, level in data["severity"].items()],
                                                 "the rules' own"))
            if data["secrets"]:
                lines.append("  secrets:")
                width = max(len(s["name"]) for s in data["secrets"])
                lines.extend(f"    {s['name']:<{width}}  " + paint("dim", f"from {s['from']}", color)
                             for s in data["secrets"])
            else:
                lines.append(f"  secrets: {paint('dim', 'none declared', color)}")
            lines.append(f"  exclude: {listed(data['exclude'], 'none')}")
            if "fail_on" in data:
                lines.append(f"  fail-on: {data['fail_on']}")
        files = app.get("files")
        if files is not None:
            lines.append("  files read:")
            lines.extend(f"    {p}" for p in files["read"])
            lines.append("  looked for, not found:" if files["missing"] else
                         f"  looked for, not found: {paint('dim', 'nothing', color)}")
            lines.extend(f"    {p}" for p in files["missing"])
            if files["outside"]:
                lines.append("  outside the repository, not read:")
                lines.extend(f"    {p}" for p in files["outside"])
        lines.append("")
    return guard("\n".join(lines).rstrip("\n") + "\n")
