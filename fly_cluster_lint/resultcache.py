"""Whole-run results, reused when nothing they depend on has changed (what a pre-commit hook sees most of
the time). A warm run reads one cache entry, checks it, and prints the stored report: no parsing, no
tree-sitter, not even pathlib is imported.

An entry is keyed by the tool's own code (the size and modification time of every module and rule file,
not only the version), the Python and dependency installations, the real paths of the working directory and
of every linted path, and every option and environment variable that changes the output. It records every
input the cold run depended on (files.py records them all): the content digest (BLAKE2b) of every file
read, the kind of every path probed (a file, a folder, missing), and for every folder listed the names and kinds
it held when the run listed it (compared again on every warm run, whatever the folder's mtime). A result is reused only when all of it is unchanged; an edit that keeps a file's size and
modification time is still seen. Entries live in the user's private cache folder (cache.py), never in a
linted repository; a corrupt entry is a miss. `--no-cache` bypasses all of it.
"""

from __future__ import annotations

import marshal
import os
import sys

FORMAT = 5
DEPENDENCIES = ("tree_sitter", "tree_sitter_elixir", "tree_sitter_bash", "tree_sitter_dockerfile",
                "tree_sitter_toml", "tomli", "yaml")


def digest(data: bytes) -> bytes:
    try:
        from _blake2 import blake2b
    except ImportError:  # pragma: no cover - an interpreter built without it
        from hashlib import blake2b
    return blake2b(data, digest_size=16).digest()


def _code_stamp() -> list:
    """What identifies this installation of the tool: every module and rule file (name, size, mtime) and
    the dependency packages' folders."""
    here = os.path.dirname(os.path.abspath(__file__))
    out: list = []
    stack = [here, os.path.join(os.path.dirname(here), "rules")]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name != "__pycache__":
                            stack.append(entry.path)
                    elif entry.name.endswith((".py", ".yml")):
                        info = entry.stat()
                        out.append((entry.path, info.st_size, info.st_mtime_ns))
        except OSError:
            continue
    for name in DEPENDENCIES:
        for base in sys.path:
            try:
                info = os.stat(os.path.join(base or ".", name))
            except OSError:
                continue
            out.append((name, base, info.st_mtime_ns))
            break
    out.sort()
    return out


def key(args, fmt: str, color: bool) -> str:
    from fly_cluster_lint import __version__

    def real(path):
        return os.path.realpath(path) if path else path

    environment = sorted((k, v) for k, v in os.environ.items() if k.startswith("FLY_CLUSTER_LINT_"))
    parts = [FORMAT, __version__, sys.version, sys.prefix, _code_stamp(), real(os.getcwd()), real(os.path.expanduser("~")),
             args.command, [real(p) for p in (args.paths or ["."])], args.paths, fmt, color, args.quiet,
             args.statistics, args.fail_on, real(args.config), sorted(args.secret), sorted(getattr(args, "_secret_origins", ())), args.select, args.ignore,
             args.extend_exclude, real(args.output_file), environment]
    return "results-" + digest(repr(parts).encode("utf-8", "surrogateescape")).hex()


def kind_of(path: str) -> str:
    """"file", "dir", "other" or "missing": what a probe records (files.FileCache) and a warm run compares. A
    `.git` is not followed (a symlinked .git is "other", as the cold run saw it); everything else is."""
    import stat

    try:
        mode = (os.lstat(path) if os.path.basename(path) == ".git" else os.stat(path)).st_mode
    except (OSError, ValueError):
        return "missing"
    return "file" if stat.S_ISREG(mode) else "dir" if stat.S_ISDIR(mode) else "other"


def listing_digest(seen: list[str]) -> bytes:
    """The digest of a folder's entries, each `name NUL kind` (l symlink, d folder, f file, o other, ? unknown)."""
    return digest("\n".join(sorted(seen)).encode("utf-8", "surrogateescape"))


def listing(folder: str) -> bytes | None:
    """A digest of the names and kinds in a folder (what a walk of it would see), or None if unlistable."""
    try:
        with os.scandir(folder) as entries:
            names = []
            for entry in entries:
                try:
                    kind = "l" if entry.is_symlink() else "d" if entry.is_dir() else "f" if entry.is_file() else "o"
                except OSError:
                    kind = "?"
                names.append(entry.name + "\0" + kind)
    except OSError:
        return None
    return listing_digest(names)


def load(name: str):
    """(report, status, error lines) when the entry exists and everything it depends on is unchanged."""
    from fly_cluster_lint.cache import read

    data = read(name)
    if data is None:
        return None
    try:
        files, probes, folders, report, status, errors = marshal.loads(data)
        for path, kind in probes:
            if kind_of(path) != kind:
                return None
        for path, (stamp, names) in folders:
            if stamp is not None:  # unchanged mtime, ctime (which utime cannot set back) and inode: as listed
                try:
                    info = os.stat(path)
                    if (info.st_mtime_ns, info.st_ctime_ns, info.st_ino) == tuple(stamp):
                        continue
                except OSError:
                    return None
            if listing(path) != names:  # changed, or too recent to trust the stamp: list it again
                return None
        from fly_cluster_lint.limits import MAX_BYTES

        for path, expected in files:
            with open(path, "rb") as handle:
                if digest(handle.read(MAX_BYTES + 1)) != expected:
                    return None
        if not isinstance(report, str) or not isinstance(status, int):
            return None
        return report, status, errors
    except (OSError, ValueError, EOFError, TypeError):
        return None


def store(name: str, files_cache, report: str, status: int, errors: list) -> None:
    """Record a result with every input the run depended on (a fly_cluster_lint.files.FileCache)."""
    from fly_cluster_lint.cache import write

    try:
        if files_cache.unreadable or "outside" in files_cache.probes.values():
            return  # what the warm path could not check the same way: never cached
        files = sorted(files_cache.reads.items())  # (path, digest of what was read)
        probes = sorted(files_cache.probes.items())
        folders = sorted(files_cache.folders.items())  # (folder, (stamp, digest of what was listed then))
        write(name, marshal.dumps((files, probes, folders, report, status, errors)))
    except (OSError, ValueError):
        pass
