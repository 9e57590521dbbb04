"""The run: discover apps, build each app's model, run the enabled rules, collect diagnostics."""

from __future__ import annotations

import os
TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

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
    """apps, skipped (toml, reason), diagnostics, secrets (model/secrets.Secrets: never in any output)."""

    __slots__ = ("apps", "skipped", "diagnostics", "secrets", "errors", "files")
    _defaults = {"apps": list, "skipped": list, "diagnostics": list, "secrets": None, "errors": list,
                 "files": None}


def discover_apps(paths: list[Path], overrides: Overrides) -> Result:
    """The apps under the paths with their settings, without running any rule."""
    return lint(paths, overrides, run_rules=False)


def lint(paths: list[Path], overrides: Overrides, run_rules: bool = True, overlay: dict | None = None,
         jobs: int | None = None) -> Result:
    """Lint every app under the paths. `overlay` replaces file contents (path -> bytes or None) without
    touching the disk: --fix and --diff lint the outcome of their edits this way. `jobs`: worker processes
    (None: chosen from the number of apps and cores, see _workers); the result is the same whatever it is."""
    from fly_cluster_lint import registry

    rules = registry.all_rules() if run_rules else ()
    codes = registry.known_codes()
    files = FileCache(overlay)
    exclude = ()
    root_settings = None
    if overrides.config is not None:
        root_settings = load_settings(overrides.config, overrides, codes, files, named=True)
        exclude = root_settings.exclude
    discovery = discover(paths, files, exclude + tuple(overrides.extend_exclude))
    result = Result(skipped=[(display(p), why) for p, why in discovery.skipped], files=files)
    directives: dict = {}  # file -> (directives, unreadable directives), read once per file
    chosen = []  # (spec, settings) of every app to lint, in discovery order
    for spec in discovery.apps:
        settings = root_settings or load_settings(find_config(spec.toml.parent, spec.repo_root, files), overrides,
                                                  codes, files)
        if settings.exclude and _excluded(spec, settings.exclude):
            continue
        chosen.append((spec, settings))
    workers = _workers(jobs if jobs is not None else overrides.jobs, len(chosen)) if run_rules else 1
    if workers > 1:
        from fly_cluster_lint import workers as pool

        pool.lint_in_workers(chosen, files, rules, workers, result, directives)
    else:
        lint_apps(chosen, files, rules, run_rules, result, directives)
    if run_rules:
        result.diagnostics = _suppress(result, directives, codes, registry)
    result.diagnostics = sorted(set(result.diagnostics), key=Diagnostic.sort_key)
    from fly_cluster_lint.model.secrets import Secrets

    secrets = Secrets(overrides.secrets)
    for app in result.apps:  # frozen apps answer from what they kept
        try:
            secrets = secrets.union(app.secrets)
        except (Exception, RecursionError):
            pass
    result.secrets = secrets
    return result


def lint_apps(chosen: list, files: FileCache, rules, run_rules: bool, result: Result, directives: dict) -> None:
    """Run the rules over each (spec, settings), in order, into result (apps, diagnostics, errors) and
    directives; each app's parse trees are released after it."""
    for spec, settings in chosen:
        app = App(spec, files, settings)
        result.apps.append(app)
        found: list[Diagnostic] = []
        try:
            for rule in rules:
                if rule.runs_in_engine or not settings.enabled(rule.code):
                    continue
                severity = settings.severity_of(rule.code, rule.severity)
                for finding in rule.check()(app):
                    found.append(Diagnostic(rule.code, rule.slug, severity, finding.message, finding.span,
                                            app.toml_path, finding.fix, finding.help))
        except (Exception, RecursionError) as exc:  # a bug must not stop the other apps from being linted
            if os.environ.get("FLY_CLUSTER_LINT_DEBUG"):
                raise
            result.errors.append(f"{app.toml_path}: internal error while running {rule.code}: "
                                 f"{type(exc).__name__}: {exc} (please report it; FLY_CLUSTER_LINT_DEBUG=1 shows "
                                 f"a traceback)")
            if run_rules:  # its files' suppression comments still count (a worker's last app has no successor)
                _collect_directives(files, directives)
            continue
        result.diagnostics.extend(found)
        if run_rules:
            shown = _collect_directives(files, directives)
            app.freeze()
            files.release_models(_shown_files(found, shown))


# Apps per worker below which forking costs more than it saves. Measured with bench/run.py --jobs on 2 cores
# (fork, copy-on-write, results pickled back): one app takes ~5 ms cold; a worker's fork, pickling and exit
# cost ~10 ms; so a worker pays for itself from about 4 apps, and a split into workers of fewer apps loses.
APPS_PER_WORKER = 4


def _workers(jobs: int | None, apps: int) -> int:
    """How many processes lint `apps` apps: `jobs` when given (1: this process), else one per core where the
    platform can fork, each with at least APPS_PER_WORKER apps."""
    if jobs is None:
        if not hasattr(os, "fork") or os.environ.get("FLY_CLUSTER_LINT_DEBUG"):
            return 1
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        jobs = min(cores, apps // APPS_PER_WORKER)
    if not hasattr(os, "fork"):
        return 1
    return max(1, min(jobs, apps))


def _excluded(spec, patterns: tuple) -> bool:
    import fnmatch

    rel = spec.toml.relative_to(spec.repo_root).as_posix() if spec.repo_root in spec.toml.parents else spec.toml.name
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(rel, p.rstrip("/") + "/*") for p in patterns)


def _collect_directives(files: FileCache, seen: dict) -> set:
    """Suppression comments of every file parsed for this app (before its trees are released); returns the
    files that hold any (FCL009 may quote them)."""
    from fly_cluster_lint import suppressions

    holding = set()
    for source, comments in files.comments():
        found = seen[source.display] = suppressions.directives(source, comments)
        if found[0] or found[1]:
            holding.add(source.display)
    return holding


def _shown_files(found: list, holding: set) -> set:
    """The displayed paths a report may show for an app: where its findings are, what their fixes edit,
    and the files with suppression comments."""
    keep = set(holding)
    for diagnostic in found:
        keep.add(diagnostic.span.file)
        for edit in diagnostic.fix.edits if diagnostic.fix is not None else ():
            keep.add(display(edit.path))
    return keep


def _suppress(result: Result, collected: dict, codes: frozenset, registry) -> list[Diagnostic]:
    """Apply inline suppressions; report unused or unreadable ones as FCL009."""
    from fly_cluster_lint import suppressions

    directives = [d for found, _ in collected.values() for d in found]
    errors = [e for _, bad in collected.values() for e in bad]
    kept = suppressions.apply(result.diagnostics, directives, codes)
    rule = registry.by_code().get(suppressions.UNUSED)
    if rule is None:
        return kept
    sources = {s.display: s for s in result.files.sources()} if result.files is not None else {}
    reports = suppressions.unused(directives, codes, sources) + [(e.span, e.message, None) for e in errors]
    for span, message, fix in reports:
        app = _owner(result.apps, span.file)
        if app is None or not app.settings.enabled(rule.code):
            continue
        kept.append(Diagnostic(rule.code, rule.slug, app.settings.severity_of(rule.code, rule.severity), message, span,
                               app.toml_path, fix))
    return kept


def _owner(apps: list[App], file: str) -> App | None:
    """The app whose project folder holds a file (the deepest one), else the app whose Fly config or Dockerfile
    it is; None for a file of no linted app (discovery reads every Fly config of the repository: a suppression
    in another app's config is that app's business, never reported or removed for this one)."""
    best, depth = None, -1
    for app in apps:
        root = display(app.spec.project)
        if root == ".":
            inside = not (os.path.isabs(file) or file == ".." or file.startswith("../"))
        else:
            inside = file == root or file.startswith(root.rstrip("/") + "/")
        if not inside and os.path.isabs(file):
            project = str(app.spec.project)
            inside = file == project or file.startswith(project.rstrip(os.sep) + os.sep)
            root = project if inside else root
        if inside and len(root) > depth:
            best, depth = app, len(root)
    if best is not None:
        return best
    return next((app for app in apps if file == app.toml_path
                 or (app.spec.dockerfile is not None and file == display(app.spec.dockerfile))), None)
