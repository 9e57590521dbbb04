"""Which apps to lint: every fly*.toml and the Elixir release it deploys.

An app is one (fly toml, Elixir project) pair. The project a toml deploys is the mix.exs beside it; else
the folder of its `[build] dockerfile` when that holds a mix.exs; else the only mix project below the
toml's folder; else the nearest mix project above it. A toml that deploys something else (`[build]
image`, or a Dockerfile that never runs `mix release`) is listed as skipped.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

from fly_cluster_lint.errors import ToolError
from fly_cluster_lint.files import FileCache
from fly_cluster_lint.records import Record, value

SKIP_DIRS = frozenset({".git", "_build", "deps", "node_modules", ".elixir_ls", ".hg", ".svn", "__pycache__", ".venv"})


def is_fly_toml(name: str) -> bool:
    return name == "fly.toml" or (name.startswith("fly.") and name.endswith(".toml") and len(name) > len("fly..toml"))


class AppSpec(value("AppSpec", "toml project dockerfile repo_root")):
    """The toml, the folder of the mix.exs it deploys, its Dockerfile (or None) and the repository root."""

    __slots__ = ()


class Discovery(Record):
    __slots__ = ("apps", "skipped")
    _defaults = {"apps": list, "skipped": list}


def repo_root_of(path: Path) -> Path:
    """The first folder holding `.git`, from path upwards; the path's own folder when there is none."""
    start = path if path.is_dir() else path.parent
    current = start
    while True:
        if (current / ".git").exists():
            return current
        if current.parent == current:
            return start
        current = current.parent


def walk(root: Path, exclude: tuple = (), seen: set | None = None) -> tuple[list[Path], set[Path]]:
    """fly*.toml files and folders holding a mix.exs below root. Symlinked folders are never followed.
    Every folder listed is added to `seen`."""
    tomls: list[Path] = []
    mix_dirs: set[Path] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        if seen is not None:
            seen.add(str(folder))
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if name in SKIP_DIRS or _excluded(root, Path(entry.path), exclude):
                        continue
                    stack.append(Path(entry.path))
                elif name == "mix.exs":
                    mix_dirs.add(folder)
                elif is_fly_toml(name) and entry.is_file() and not _excluded(root, Path(entry.path), exclude):
                    if entry.is_symlink() and not _inside(Path(entry.path).resolve(), root.resolve()):
                        continue  # a symlink that leads outside the linted tree is not followed
                    tomls.append(Path(entry.path))
            except OSError:
                continue
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
    for given in paths:
        if not given.exists() and not given.is_symlink():
            raise ToolError(f"{given}: no such file or directory")
        path = given.resolve() if given.exists() else given.absolute()
        repo = repo_root_of(path)
        if repo not in files.roots:
            files.roots.append(repo)
        # Folders where .git and configurations are looked for: up to the repository root, or every
        # ancestor when there is no repository (a .git created above would change the answer).
        has_git = (repo / ".git").exists()
        files.folders.update(str(p) for p in path.parents if not has_git or p == repo or repo in p.parents)
        if path.is_dir():
            tomls, mix_dirs = walk(path, exclude, files.folders)
            if path != repo:
                # the tomls that deploy a project inside this folder may sit above it
                tomls += [t for t in _tomls_above(path, repo) if t not in tomls]
                mix_dirs |= _mix_above(path, repo)
            selector = path
        else:
            tomls, mix_dirs = walk(repo, exclude, files.folders)
            selector = path
        for toml in tomls:
            spec_or_reason = _resolve(toml, mix_dirs, repo, files)
            if isinstance(spec_or_reason, str):
                if _inside(toml, selector) and (toml, toml) not in seen:
                    seen.add((toml, toml))
                    result.skipped.append((toml, spec_or_reason))
                continue
            spec = spec_or_reason
            if not _selected(spec, selector, path.is_dir()):
                continue
            if (spec.toml, spec.project) in seen:
                continue
            seen.add((spec.toml, spec.project))
            result.apps.append(spec)
    return result


def _tomls_above(path: Path, repo: Path) -> list[Path]:
    out = []
    current = path.parent
    while True:
        try:
            out += sorted(Path(e.path) for e in os.scandir(current) if is_fly_toml(e.name) and e.is_file())
        except OSError:
            pass
        if current == repo or current.parent == current:
            return out
        current = current.parent


def _mix_above(path: Path, repo: Path) -> set[Path]:
    out = set()
    current = path
    while True:
        if (current / "mix.exs").is_file():
            out.add(current)
        if current == repo or current.parent == current:
            return out
        current = current.parent


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _selected(spec: AppSpec, selector: Path, is_dir: bool) -> bool:
    """A folder selects the apps inside it or whose project it is inside; a file the app it belongs to."""
    members = [spec.toml.parent, spec.project] + ([spec.dockerfile.parent] if spec.dockerfile else [])
    if is_dir:
        return _inside(spec.toml, selector) or _inside(spec.project, selector) or _inside(selector, spec.project)
    if selector == spec.toml or selector == spec.dockerfile:
        return True
    if selector.name.startswith("fly") and selector.name.endswith(".toml"):
        return False  # another toml: it is its own app
    return any(_inside(selector, m) for m in members)


def _resolve(toml: Path, mix_dirs: set[Path], repo: Path, files: FileCache) -> AppSpec | str:
    folder = toml.parent
    doc = files.toml_values(toml)
    build = doc.get("build", {}) if isinstance(doc, dict) else {}
    if not isinstance(build, dict):
        build = {}
    if isinstance(build.get("image"), str) and build.get("image"):
        return "deploys a prebuilt image ([build] image)"
    dockerfile_name = build.get("dockerfile") if isinstance(build.get("dockerfile"), str) else None
    dockerfile = (folder / dockerfile_name) if dockerfile_name else folder / "Dockerfile"
    if not dockerfile.is_file():
        dockerfile = None
    project = None
    if folder in mix_dirs or (folder / "mix.exs").is_file():
        project = folder
    elif dockerfile is not None and (dockerfile.parent / "mix.exs").is_file():
        project = dockerfile.parent
    else:
        below = sorted(d for d in mix_dirs if folder in d.parents)
        top = [d for d in below if not any(o in d.parents for o in below)]
        if len(top) == 1:
            project = top[0]
        else:
            current = folder.parent
            while folder != repo and current != current.parent:
                if (current / "mix.exs").is_file():
                    project = current
                    break
                if current == repo:
                    break
                current = current.parent
    if project is None:
        return "no Elixir project (mix.exs) for this toml"
    if dockerfile is not None and files.dockerfile_runs_mix_release(dockerfile) is False:
        return f"{dockerfile.name} never runs `mix release`"
    return AppSpec(toml, project, dockerfile, repo)
