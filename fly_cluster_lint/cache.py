"""The user's cache folder. Everything in it may be deleted at any time; a corrupt or unreadable entry is
ignored and rebuilt. Only `os` is imported: a warm run must not pay for pathlib.

The linted repository is untrusted, so the folder is used only when it is the user's own: it must not lie
inside a repository being linted (a `.cache/` in the workspace, a cache variable pointing there), it must be
owned by the current user and writable by nobody else. It is created private (0700), entries are private
(0600), and it is bounded: at most MAX_ENTRIES entries, none older than MAX_AGE_DAYS (pruned when an entry is
written). `fly-cluster-lint clean` empties it.
"""

from __future__ import annotations

import os
import sys

ENV_DIR = "FLY_CLUSTER_LINT_CACHE_DIR"
ENV_OFF = "FLY_CLUSTER_LINT_NO_CACHE"
MAX_ENTRIES = 200
MAX_AGE_DAYS = 30
MARKERS = (".git", "mix.exs", "fly.toml")  # what makes a folder a repository root (discovery.repo_root_of)


def cache_dir() -> str | None:
    """Where to cache, or None when caching is off (FLY_CLUSTER_LINT_NO_CACHE=1)."""
    if os.environ.get(ENV_OFF):
        return None
    explicit = os.environ.get(ENV_DIR)
    if explicit:
        return os.path.abspath(explicit)
    home = os.path.expanduser("~")
    if sys.platform == "darwin":
        base = os.path.join(home, "Library", "Caches")
    elif os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")
    return os.path.join(os.path.abspath(base), "fly-cluster-lint")


_ALLOWED: dict[str, bool] = {}  # cache folder -> usable for this run


def configure(linted: list[str]) -> str | None:
    """Decide once per run whether the cache folder may be used while these paths are linted; returns the
    folder, or None when caching is off or unsafe for this run."""
    folder = cache_dir()
    if folder is None:
        return None
    _ALLOWED[folder] = usable(folder, linted or ["."])
    return folder if _ALLOWED[folder] else None


def folder() -> str | None:
    """The cache folder when it may be used (decided by configure(); else for the working directory)."""
    found = cache_dir()
    if found is None:
        return None
    allowed = _ALLOWED.get(found)
    if allowed is None:
        allowed = _ALLOWED[found] = usable(found, ["."])
    return found if allowed else None


def usable(folder: str, linted: list[str]) -> bool:
    """Whether the cache folder may be read and written while these paths are linted: it lies in no
    repository that is linted (nor below a linted path), and on POSIX it is the user's own, not writable by
    group or others. A folder that does not exist yet is fine (it is created private)."""
    real = os.path.realpath(folder)
    for path in linted:
        top = os.path.realpath(path)
        for candidate in _repository_folders(top):
            if real == candidate or real.startswith(candidate.rstrip(os.sep) + os.sep):
                return False
    if os.name == "nt" or not os.path.exists(folder):
        return True
    try:
        info = os.stat(folder)
    except OSError:
        return False
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def _repository_folders(path: str) -> list[str]:
    """The linted path and every ancestor that could be (part of) the repository it belongs to: up to the
    first one holding `.git`, or, without one, every ancestor holding a fly.toml or mix.exs."""
    start = path if os.path.isdir(path) else os.path.dirname(path)
    out = [start]
    current = start
    while True:
        parent = os.path.dirname(current)
        if any(os.path.exists(os.path.join(current, m)) for m in MARKERS):
            out.append(current)
            if os.path.exists(os.path.join(current, ".git")):
                return out
        if parent == current:
            return out
        current = parent


def read(name: str) -> bytes | None:
    where = folder()
    if where is None:
        return None
    try:
        with open(os.path.join(where, name), "rb") as handle:
            return handle.read()
    except OSError:
        return None


def write(name: str, data: bytes) -> None:
    """Atomic, private write (a temporary file, then a rename); any failure is ignored: the cache is an
    optimisation. Old entries are pruned."""
    where = folder()
    if where is None:
        return
    tmp = os.path.join(where, f".{name}.{os.getpid()}.tmp")
    try:
        os.makedirs(where, mode=0o700, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, os.path.join(where, name))
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return
    prune(where)


def prune(folder: str, keep: int = MAX_ENTRIES, max_age_days: float = MAX_AGE_DAYS) -> int:
    """Delete entries beyond the newest `keep` and every entry older than `max_age_days`; returns how many."""
    import time

    try:
        entries = []
        with os.scandir(folder) as found:
            for entry in found:
                if entry.is_file(follow_symlinks=False):
                    entries.append((entry.stat(follow_symlinks=False).st_mtime, entry.path))
    except OSError:
        return 0
    if len(entries) <= keep and not any(m < time.time() - max_age_days * 86400 for m, _ in entries):
        return 0
    entries.sort(reverse=True)
    limit = time.time() - max_age_days * 86400
    removed = 0
    for index, (mtime, path) in enumerate(entries):
        if index >= keep or mtime < limit:
            try:
                os.unlink(path)
                removed += 1
            except OSError:
                pass
    return removed


def clean() -> tuple[str | None, int]:
    """Delete every entry: (the folder, how many files were removed)."""
    folder = cache_dir()
    if folder is None or not os.path.isdir(folder):
        return folder, 0
    return folder, prune(folder, keep=0)
