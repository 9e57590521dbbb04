"""The user's cache folder. Everything in it may be deleted at any time; a corrupt or unreadable entry is
ignored and rebuilt. Only `os` is imported: a warm run must not pay for pathlib.

The linted repository is untrusted, so the folder is used only when it is the user's own: it must not lie
inside a repository being linted (a `.cache/` in the workspace, a cache variable pointing there), it must be
owned by the current user and writable by nobody else. It is created private (0700), entries are private
(0600; the umask can only take more away), and it is bounded: no entry older than MAX_AGE_DAYS, at most
MAX_ENTRIES entries and MAX_TOTAL_BYTES in all, the oldest going first (pruned whenever an entry is written).
`fly-cluster-lint clean` empties it. Pruning and cleaning touch only the cache's own entries (NAMES), never
follow a symbolic link, and never descend into a folder: a cache variable pointing at the wrong folder
cannot cost anything else.
"""

from __future__ import annotations

import os
import sys

ENV_DIR = "FLY_CLUSTER_LINT_CACHE_DIR"
ENV_OFF = "FLY_CLUSTER_LINT_NO_CACHE"
MAX_ENTRIES = 200
MAX_AGE_DAYS = 30
MAX_TOTAL_BYTES = 64 * 1024 * 1024
NAMES = ("results-", "rules-", ".results-", ".rules-")  # entries (resultcache, registry) and their temporary files
MARKERS = (".git", "mix.exs", "fly.toml")  # what makes a folder a repository root (discovery.repo_root_of)


def cache_dir(even_when_off: bool = False) -> str | None:
    """Where to cache, or None when caching is off (FLY_CLUSTER_LINT_NO_CACHE=1) unless `even_when_off`."""
    if os.environ.get(ENV_OFF) and not even_when_off:
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


def _entries(folder: str) -> list[tuple[float, int, str]]:
    """(mtime, size, path) of the cache's own regular files in the folder (no link followed)."""
    found = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(NAMES) and entry.is_file(follow_symlinks=False):
                info = entry.stat(follow_symlinks=False)
                found.append((info.st_mtime, info.st_size, entry.path))
    return found


def prune(folder: str, keep: int = MAX_ENTRIES, max_age_days: float = MAX_AGE_DAYS,
          max_bytes: int = MAX_TOTAL_BYTES) -> int:
    """Delete every entry older than `max_age_days`, then the oldest ones beyond the newest `keep` or beyond
    `max_bytes` in all; returns how many were deleted. A temporary file being written by another run is
    left alone for an hour."""
    import time

    try:
        entries = _entries(folder)
    except OSError:
        return 0
    now = time.time()
    limit = now - max_age_days * 86400
    if (len(entries) <= keep and sum(size for _, size, _ in entries) <= max_bytes
            and not any(mtime < limit for mtime, _, _ in entries)):
        return 0
    entries.sort(reverse=True)
    removed = 0
    total = 0
    kept = 0
    full = False  # once the newest entries fill the budget, every older one goes
    for mtime, size, path in entries:
        if os.path.basename(path).startswith(".") and mtime > now - 3600:
            continue  # another run's temporary file, still being written
        full = full or kept >= keep or total + size > max_bytes
        if not full and mtime >= limit:
            kept += 1
            total += size
            continue
        try:
            os.unlink(path)
            removed += 1
        except OSError:
            pass
    return removed


def clean() -> tuple[str | None, int, int]:
    """Delete every entry of the cache folder (also when caching is off): (the folder, how many files, how
    many bytes). Only the folder's own entries are looked at, through a descriptor of the folder opened
    without following a link: a link is removed, never followed; a folder inside is never entered. A
    folder that is a link, or not the user's own private folder, is refused (ToolError)."""
    import stat

    from fly_cluster_lint.errors import ToolError

    folder = cache_dir(even_when_off=True)
    if folder is None:
        return None, 0, 0
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return folder, 0, 0
    except OSError as exc:
        raise ToolError(f"{folder}: cannot clean the cache: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        raise ToolError(f"{folder}: the cache folder is a symbolic link; not cleaned")
    if not stat.S_ISDIR(info.st_mode):
        raise ToolError(f"{folder}: the cache folder is not a folder; not cleaned")
    if os.name != "nt" and (info.st_uid != os.getuid() or info.st_mode & 0o022):
        raise ToolError(f"{folder}: the cache folder is not this user's private folder; not cleaned")
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
    count = size = 0
    if os.name == "nt" or os.unlink not in os.supports_dir_fd:  # pragma: no cover - no descriptors there
        for _, length, path in _entries(folder):
            try:
                os.unlink(path)
                count, size = count + 1, size + length
            except OSError:
                pass
        return folder, count, size
    try:
        fd = os.open(folder, flags)
    except OSError as exc:
        raise ToolError(f"{folder}: cannot clean the cache: {exc.strerror or exc}") from None
    try:
        with os.scandir(fd) as entries:
            names = [(e.name, e.stat(follow_symlinks=False)) for e in entries if e.name.startswith(NAMES)]
        for name, found in names:
            if stat.S_ISDIR(found.st_mode):
                continue  # never entered: nothing of ours is a folder
            try:
                os.unlink(name, dir_fd=fd)
            except OSError:
                continue
            count += 1
            size += found.st_size if stat.S_ISREG(found.st_mode) else 0
    except OSError as exc:
        raise ToolError(f"{folder}: cannot clean the cache: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    return folder, count, size
