"""The user's cache folder (never inside the linted project). Everything in it may be deleted at any
time; a corrupt or unreadable entry is ignored and rebuilt."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ENV_DIR = "FLY_CLUSTER_LINT_CACHE_DIR"
ENV_OFF = "FLY_CLUSTER_LINT_NO_CACHE"


def cache_dir() -> Path | None:
    """Where to cache, or None when caching is off (--no-cache, FLY_CLUSTER_LINT_NO_CACHE=1)."""
    if os.environ.get(ENV_OFF):
        return None
    explicit = os.environ.get(ENV_DIR)
    if explicit:
        return Path(explicit)
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    elif os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "fly-cluster-lint"


def read(name: str) -> bytes | None:
    folder = cache_dir()
    if folder is None:
        return None
    try:
        return (folder / name).read_bytes()
    except OSError:
        return None


def write(name: str, data: bytes) -> None:
    """Atomic write (temporary file, then rename); any failure is ignored: the cache is an optimisation."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{name}.{os.getpid()}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, folder / name)
    except OSError:
        pass
