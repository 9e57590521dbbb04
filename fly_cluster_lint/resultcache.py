"""Whole-run results, reused when nothing they depend on has changed (what a pre-commit hook sees most of
the time). A warm run reads one cache entry, checks it, and prints the stored report: no parsing, no
tree-sitter, not even pathlib is imported.

An entry is keyed by the tool version, the Python version, the rule files, the working directory and every
option that changes the output. It records what the cold run depended on: the content (CRC-32 and length)
of every file it read, the files it looked for and did not find, and the modification time of every
folder it listed or probed (a new fly.toml or lib file changes its folder's time). Entries live in the
user's cache folder, never in the project; a corrupt entry is a miss. `--no-cache` bypasses all of it.
"""

from __future__ import annotations

import marshal
import os
import sys
import zlib

FORMAT = 2


def _digest(text: str) -> str:
    data = text.encode("utf-8", "surrogateescape")
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def _rules_stamp() -> list:
    here = os.path.dirname(os.path.abspath(__file__))
    for folder in (os.path.join(here, "rules"), os.path.join(os.path.dirname(here), "rules")):
        try:
            return sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in os.scandir(folder))
        except OSError:
            continue
    return []


def key(args, fmt: str, color: bool) -> str:
    from fly_cluster_lint import __version__

    parts = [FORMAT, __version__, sys.version, os.getcwd(), args.command, args.paths, fmt, color, args.quiet,
             args.statistics, args.fail_on, args.config, sorted(args.secret), args.select, args.ignore,
             args.extend_exclude, args.output_file, os.environ.get("FLY_CLUSTER_LINT_CACHE_DIR", ""), _rules_stamp()]
    return "results-" + _digest(repr(parts))


def _folder() -> str | None:
    from fly_cluster_lint.cache import cache_dir

    return cache_dir()


def load(name: str):
    """(report, status, error lines) when the entry exists and everything it depends on is unchanged."""
    folder = _folder()
    if folder is None:
        return None
    try:
        with open(os.path.join(folder, name), "rb") as handle:
            entry = marshal.loads(handle.read())
        files, folders, report, status, errors = entry
        for path, mtime in folders:
            if os.stat(path).st_mtime_ns != mtime:
                return None
        for path, size, crc in files:
            if size < 0:
                if os.path.exists(path):
                    return None
                continue
            with open(path, "rb") as handle:
                data = handle.read()
            if len(data) != size or zlib.crc32(data) != crc:
                return None
        return report, status, errors
    except (OSError, ValueError, EOFError, TypeError):
        return None


def store(name: str, files: dict, folders: set, report: str, status: int, errors: list) -> None:
    """files: path -> bytes (or None when looked for and absent); folders: paths whose mtime matters."""
    folder = _folder()
    if folder is None:
        return
    try:
        records = [(p, -1, 0) if data is None else (p, len(data), zlib.crc32(data)) for p, data in files.items()]
        stamps = []
        for path in sorted(folders):
            try:
                stamps.append((path, os.stat(path).st_mtime_ns))
            except OSError:
                continue
        blob = marshal.dumps((records, stamps, report, status, errors))
        os.makedirs(folder, exist_ok=True)
        tmp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as handle:
            handle.write(blob)
        os.replace(tmp, os.path.join(folder, name))
    except (OSError, ValueError):
        pass
