"""Which apps to lint: every Fly config and the Elixir release it deploys.

An app is one (Fly config, Elixir project) pair. Fly configs are `fly*.toml`, and any other `.toml` with an
`app` key and Fly sections (`deploy/fly/prod.toml`). The project a config deploys is the mix.exs beside it;
else the folder of its `[build] dockerfile` when that holds a mix.exs; else the only mix project below the
config's folder; else the nearest mix project above it. A config that deploys something else (`[build]
image`, or a Dockerfile that never runs `mix release`) is listed as skipped.

The repository root is the nearest folder holding `.git`; without one (a source tarball, a build context),
the outermost ancestor below the home folder that holds a `fly.toml` or `mix.exs` plays it. Everything is
read through the file cache (files.py), which never touches anything outside the roots.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

from fly_cluster_lint.errors import ToolError
from fly_cluster_lint.files import FileCache
from fly_cluster_lint.records import Record, value

SKIP_DIRS = frozenset({".git", "_build", "deps", "node_modules", ".elixir_ls", ".hg", ".svn", "__pycache__", ".venv"})
# Top-level keys that only a Fly config has (besides `app`); a TOML with `app` and one of them is a Fly config.
FLY_SECTIONS = ("build", "env", "http_service", "services", "deploy", "processes", "vm", "primary_region")
NOT_FLY = frozenset({".fly-cluster-lint.toml", "pyproject.toml", "Cargo.toml", "netlify.toml", "config.toml",
                     "rust-toolchain.toml", "ruff.toml", ".ruff.toml", "taplo.toml", "typos.toml"})


def is_fly_toml(name: str) -> bool:
    return name == "fly.toml" or (name.startswith("fly.") and name.endswith(".toml") and len(name) > len("fly..toml"))


def is_fly_config(files: FileCache, path: Path) -> bool:
    """`fly*.toml`, or another TOML whose content is a Fly config (an `app` and a Fly section)."""
    name = path.name
    if is_fly_toml(name):
        return True
    if not name.endswith(".toml") or name in NOT_FLY:
        return False
    doc = files.toml_values(path)
    return isinstance(doc.get("app"), str) and any(key in doc for key in FLY_SECTIONS)


class AppSpec(value("AppSpec", "toml project dockerfile repo_root")):
    """The Fly config, the folder of the mix.exs it deploys, its Dockerfile (or None) and the repository root."""

    __slots__ = ()


class Discovery(Record):
    __slots__ = ("apps", "skipped")
    _defaults = {"apps": list, "skipped": list}


def repo_root_of(path: Path, files: FileCache) -> Path:
    """The nearest folder holding `.git`; without one, the outermost ancestor (below the home folder)
    holding a fly.toml or mix.exs; else the path's own folder. Every probe is recorded in the cache."""
    start = path if files.locate(path) == "dir" else path.parent
    chain = [start, *start.parents]
    for current in chain:
        if files.locate(current / ".git") != "missing":
            return current
    try:
        home = Path(os.path.realpath(Path.home()))
    except (OSError, RuntimeError, KeyError):
        home = None
    best = start
    for current in chain:
        if current.parent == current or current == home or (home is not None and current in home.parents):
            break
        if files.locate(current / "mix.exs") == "file" or files.locate(current / "fly.toml") == "file":
            best = current
    return best


def walk(root: Path, files: FileCache, exclude: tuple = ()) -> tuple[list[Path], set[Path]]:
    """Fly configs and folders holding a mix.exs below root. Symlinked folders are never followed; a
    symlinked file that leads outside the repository is not read."""
    tomls: list[Path] = []
    mix_dirs: set[Path] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        for entry in files.listdir(folder, below_listed=folder is not root):
            name = entry.name
            if entry.symlink and entry.kind != "dir" and (name == "mix.exs" or name.endswith(".toml")):
                files.kind(entry.path)  # recorded: a dangling link whose target appears later changes the result
            if entry.kind == "dir":
                if not entry.symlink and name not in SKIP_DIRS and not _excluded(root, entry.path, exclude):
                    stack.append(entry.path)
            elif name == "mix.exs" and entry.kind == "file":
                mix_dirs.add(folder)
            elif name.endswith(".toml") and entry.kind == "file" and not _excluded(root, entry.path, exclude):
                if files.kind(entry.path) == "file" and is_fly_config(files, entry.path):
                    tomls.append(entry.path)
    tomls.sort()
    return tomls, mix_dirs


def _excluded(root: Path, path: Path, patterns: tuple) -> bool:
    if not patterns:
        return False
    rel = path.relative_to(root).as_posix()
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(path.name, p) or fnmatch.fnmatch(rel, p.rstrip("/") + "/*")
               for p in patterns)


def discover(paths: list[Path], files: FileCache, exclude: tuple = ()) -> Discovery:
    result = Discovery()
    seen: set[tuple[Path, Path]] = set()
    walked: dict[Path, tuple] = {}  # repository root -> (tomls, mix folders): each repository is walked once
    resolved: dict[Path, AppSpec | str] = {}  # each Fly config is resolved once, however many paths select it
    judged: set[Path] = set()  # configs whose Dockerfile was asked whether it builds a release
    for given in paths:
        if not given.exists() and not given.is_symlink():
            raise ToolError(f"{given}: no such file or directory")
        path = given.resolve() if given.exists() else given.absolute()
        repo = repo_root_of(path, files)
        files.add_root(repo)
        is_dir = files.kind(path) == "dir"
        # the configs that deploy a project inside this path may sit anywhere in the repository (above it,
        # or in another folder such as deploy/fly/): the whole repository is walked and the path selects
        if repo not in walked:
            tomls, mix_dirs = walk(repo, files, exclude)
            walked[repo] = (tomls, mix_dirs, _projects_below(mix_dirs, repo))
        tomls, mix_dirs, below = walked[repo]
        for toml in tomls:
            if toml not in resolved:
                resolved[toml] = _resolve(toml, mix_dirs, below, repo, files)
            spec_or_reason = resolved[toml]
            if isinstance(spec_or_reason, AppSpec) and toml not in judged and (
                    _inside(toml, path) or _selected(spec_or_reason, path, is_dir, files)):
                judged.add(toml)
                # whether the Dockerfile builds a release (a parse of it) is asked only of the configs this
                # path selects: linting one app of a large repository does not parse every other Dockerfile
                spec_or_reason = resolved[toml] = _built_release(spec_or_reason, files)
            if isinstance(spec_or_reason, str):
                if _inside(toml, path) and (toml, toml) not in seen:
                    seen.add((toml, toml))
                    result.skipped.append((toml, spec_or_reason))
                continue
            spec = spec_or_reason
            if not _selected(spec, path, is_dir, files) or (spec.toml, spec.project) in seen:
                continue
            seen.add((spec.toml, spec.project))
            result.apps.append(spec)
    return result


def _ancestors(path: Path, repo: Path) -> list[Path]:
    """The folders above a path, nearest first, up to the repository root."""
    out = []
    current = path.parent
    while True:
        out.append(current)
        if current == repo or current.parent == current:
            return out
        current = current.parent


def _projects_below(mix_dirs: set[Path], repo: Path) -> dict[Path, list[Path]]:
    """folder -> the topmost mix projects below it (none of them inside another of them), built once per
    repository in one pass over the projects' ancestors: resolving n configs against n projects stays linear."""
    below: dict[Path, list[Path]] = {}
    for project in sorted(mix_dirs):
        if project == repo:
            continue
        for folder in _ancestors(project, repo):
            below.setdefault(folder, []).append(project)
    tops: dict[Path, list[Path]] = {}
    for folder, projects in below.items():
        inside = set(projects)
        tops[folder] = [p for p in projects if not any(a in inside for a in _ancestors(p, folder) if a != folder)]
    return tops


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _selected(spec: AppSpec, selector: Path, is_dir: bool, files: FileCache) -> bool:
    """A folder selects the apps inside it or whose project it is inside; a file the app it belongs to."""
    members = [spec.toml.parent, spec.project] + ([spec.dockerfile.parent] if spec.dockerfile else [])
    if is_dir:
        return _inside(spec.toml, selector) or _inside(spec.project, selector) or _inside(selector, spec.project)
    if selector == spec.toml or selector == spec.dockerfile:
        return True
    if selector.name.endswith(".toml") and is_fly_config(files, selector):
        return False  # another Fly config: it is its own app
    return any(_inside(selector, m) for m in members)


EXAMPLE_MARKERS = (".example.", ".sample.", ".template.", ".dist.")


def _resolve(toml: Path, mix_dirs: set[Path], below: dict[Path, list[Path]], repo: Path,
             files: FileCache) -> AppSpec | str:
    folder = toml.parent
    if any(marker in toml.name for marker in EXAMPLE_MARKERS):
        return "an example configuration to copy (its name says so), not one that is deployed"
    doc = files.toml_values(toml)
    build = doc.get("build", {}) if isinstance(doc, dict) else {}
    if not isinstance(build, dict):
        build = {}
    if isinstance(build.get("image"), str) and build.get("image"):
        return "deploys a prebuilt image ([build] image)"
    dockerfile_name = build.get("dockerfile") if isinstance(build.get("dockerfile"), str) else None
    if dockerfile_name:
        dockerfile = Path(os.path.normpath(folder / dockerfile_name))
    else:  # flyctl looks for `Dockerfile`, then `dockerfile` (never Containerfile unless fly.toml names it)
        dockerfile = folder / "Dockerfile"
        if files.kind(dockerfile) != "file" and files.kind(folder / "dockerfile") == "file":
            dockerfile = folder / "dockerfile"
    kind = files.kind(dockerfile)
    if kind not in ("file", "outside"):  # a path out of the repository is reported (FCL001), never tested
        dockerfile = None
    project = None
    if folder in mix_dirs or files.is_file(folder / "mix.exs"):
        project = folder
    elif dockerfile is not None and kind == "file" and files.is_file(dockerfile.parent / "mix.exs"):
        project = dockerfile.parent
    else:
        top = below.get(folder, [])
        if len(top) == 1:
            project = top[0]
        elif folder != repo:
            project = next((f for f in _ancestors(folder, repo) if files.is_file(f / "mix.exs")), None)
    if project is None:
        return "no Elixir project (mix.exs) for this toml"
    return AppSpec(toml, project, dockerfile, repo)


def _built_release(spec: AppSpec, files: FileCache) -> AppSpec | str:
    """The spec, or why its Dockerfile shows that it deploys no Mix release (a skipped config)."""
    dockerfile = spec.dockerfile
    if dockerfile is not None and files.kind(dockerfile) == "file":
        doc, _ = files.dockerfile(dockerfile)
        if doc is not None:
            from fly_cluster_lint.model.docker import release_evidence

            folder, project = spec.toml.parent, spec.project
            context = folder if folder == project or folder in project.parents else project
            why = release_evidence(doc, files, context)
            if why is not None:
                return why
    return spec
