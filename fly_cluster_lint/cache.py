"""The user's cache folder (never inside the linted project). Everything in it may be deleted at any
time; a corrupt or unreadable entry is ignored and rebuilt. Only `os` is imported: a warm run must not
pay for pathlib."""

from __future__ import annotations

import os
import sys

ENV_DIR = "FLY_CLUSTER_LINT_CACHE_DIR"
ENV_OFF = "FLY_CLUSTER_LINT_NO_CACHE"


def cache_dir() -> str | None:
    """Where to cache, or None when caching is off (FLY_CLUSTER_LINT_NO_CACHE=1)."""
    if os.environ.get(ENV_OFF):
        return None
    explicit = os.environ.get(ENV_DIR)
    if explicit:
        return explicit
    home = os.path.expanduser("~")
    if sys.platform == "darwin":
        base = os.path.join(home, "Library", "Caches")
    elif os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")
    return os.path.join(base, "fly-cluster-lint")


def read(name: str) -> bytes | None:
    folder = cache_dir()
    if folder is None:
        return None
    try:
        with open(os.path.join(folder, name), "rb") as handle:
            return handle.read()
    except OSError:
        return None


def write(name: str, data: bytes) -> None:
    """Atomic write (temporary file, then rename); any failure is ignored: the cache is an optimisation."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        os.makedirs(folder, exist_ok=True)
        tmp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, os.path.join(folder, name))
    except OSError:
        pass
